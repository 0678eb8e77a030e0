"""The workbench never misleads: the screen matches the form, and says so when it does not."""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import PytArchError, Requirements, RequirementsForm, preset
from pyt_arch_kit.widgets.fields import label_of
from tests.fake_api import FakeAnthropic, Status


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&#x27;", "'")


def test_a_failed_run_keeps_the_previous_design_and_says_how_to_fix_it_in_the_forms_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    form = RequirementsForm("io-bound-api")
    first = form.run()
    tabs = form.runner.results.children
    form.runner.backend.value = "claude"
    failed = form.run()
    assert failed.state == "failed"
    assert form.runner.results.children == tabs  # the design on screen is still there
    status = _text(form.runner.status.value)
    assert "switch Backend to Offline" in status and "API key field" in status
    assert "--backend" not in status
    assert "still showing the design of run 1" in _text(form.runner.view.banner.value)
    assert form.export_runs  # and the design that is shown is the one exported
    assert first.design is not None


def test_a_result_that_no_longer_matches_the_form_is_marked_out_of_date() -> None:
    form = RequirementsForm("io-bound-api")
    form.run()
    assert not form.runner.view.stale
    form.fields["scale.peak_rps"].widget.value = 7000
    banner = _text(form.runner.view.banner.value)
    assert form.runner.view.stale
    assert "Scale › peak (req/s): 2,000 → 7,000" in banner and "Press Design" in banner
    form.fields["scale.peak_rps"].widget.value = 2000  # back to what the design was made from
    assert not form.runner.view.stale
    form.fields["scale.peak_rps"].widget.value = 7000
    form.run()
    assert not form.runner.view.stale and form.runner.view.banner.value == ""


def test_typed_values_are_kept_and_flagged_never_clamped_or_rounded() -> None:
    form = RequirementsForm("io-bound-api")
    users = form.fields["scale.concurrent_users"]
    users.widget.value = -5
    assert users.widget.value == -5  # kept as typed
    assert "is -5; it must be at least 0" in _text(users.error.value)
    cores = form.fields["infrastructure.cores_per_instance"]
    cores.widget.value = 1.5
    assert cores.widget.value == 1.5
    assert "must be a whole number" in _text(cores.error.value)
    assert form.valid is None and form.runner.design_button.disabled
    huge = form.fields["scale.peak_rps"]
    huge.widget.value = 50_000_000  # above the slider's right end
    assert huge.widget.value == 50_000_000
    assert "at most 10000000" in _text(huge.error.value).replace(",", "")


def test_the_preset_dropdown_shows_the_forms_preset() -> None:
    assert RequirementsForm("payments-ledger").preset.value == "payments-ledger"
    assert RequirementsForm(preset("cpu-inference")).preset.value == "cpu-inference"
    assert RequirementsForm().preset.value == "(choose a preset)"
    form = RequirementsForm("io-bound-api")
    form.fields["scale.peak_rps"].widget.value = 2500
    # No longer the preset as shipped, and still saying which preset it started from.
    assert form.preset.value == "io-bound-api (edited)"
    form.fields["latency.p99_ms"].widget.value = 120
    assert form.preset.value == "io-bound-api (edited)"
    assert list(form.preset.options).count("io-bound-api (edited)") == 1
    form.fields["scale.peak_rps"].widget.value = 2000  # back to the preset's own values
    form.fields["latency.p99_ms"].widget.value = 200
    assert form.preset.value == "io-bound-api"
    assert "io-bound-api (edited)" not in form.preset.options
    form.fields["scale.peak_rps"].widget.value = 2500
    form.preset.value = "io-bound-api"  # choosing the preset brings its values back
    assert form.fields["scale.peak_rps"].widget.value == 2000
    assert form.preset.value == "io-bound-api"
    blank = RequirementsForm()
    blank.fields["scale.peak_rps"].widget.value = 2500
    assert blank.preset.value == "(choose a preset)"  # made from no preset
    other = RequirementsForm("io-bound-api")
    other.set_requirements(Requirements(name="mine"))
    assert other.preset.value == "(choose a preset)"


def test_unset_fields_say_what_is_assumed_as_the_questions_panel_does() -> None:
    form = RequirementsForm(Requirements(name="empty"))
    users = form.fields["scale.concurrent_users"]
    assumed = next(g for g in form.valid.gaps() if g.field == "scale.concurrent_users")
    note = _text(users.note.value)
    assert note.startswith("unset — assuming ")
    value = note.removeprefix("unset — assuming ")
    assert f"assuming {value}" in _text(form.gaps.value)
    assert value.replace(",", "") == str(assumed.assumed).removesuffix(".0")
    users.widget.value = 10
    assert users.note.value == ""  # set now: no note


def test_toggles_are_labelled_and_labels_are_words() -> None:
    form = RequirementsForm()
    assert form.fields["latency.p99_ms"].toggle.description == "set"
    assert form.fields["latency.p99_ms"].label == "p99 (ms)"
    assert form.fields["infrastructure.team_size"].widget.description == "team size"
    assert label_of("workload.cpu_ms_per_request") == "CPU (ms per request)"
    assert label_of("scale.growth_gb_per_month") == "growth (GB per month)"


def test_the_live_preview_follows_every_valid_edit_without_design() -> None:
    form = RequirementsForm("io-bound-api")
    before = _text(form.preview.value)
    assert "Live preview" in before and "within the 200 ms SLA" in before
    form.fields["scale.peak_rps"].widget.value = 60_000
    after = _text(form.preview.value)
    assert after != before and form.runs == []  # recomputed, nothing ran
    instances = int(re.search(r"([\d,]+) instances", after).group(1).replace(",", ""))
    assert instances > 2
    form.fields["latency.p50_ms"].widget.value = 900  # invalid: the preview clears
    assert form.preview.value == ""


def test_plurals_are_right_in_the_preview() -> None:
    form = RequirementsForm("internal-tool-pushback")
    text = _text(form.preview.value)
    assert "1 instance ×" in text and "1 instances" not in text


def test_compare_two_runs_lists_changed_decisions_and_figure_deltas() -> None:
    form = RequirementsForm("io-bound-api")
    form.run()
    form.fields["scale.peak_rps"].widget.value = 60_000
    form.run()
    diff = form.compare()
    assert diff.titles == ("run 1", "run 2")
    assert ("scale.peak_rps", "2,000", "60,000") in diff.requirements
    instances = diff.figure("instances")
    assert instances.after > instances.before and instances.delta_text().startswith("+")
    text = diff.to_markdown()
    assert "| Figure | run 1 | run 2 | Δ |" in text
    titles = [form.runner.results.get_title(i) for i in range(len(form.runner.results.children))]
    assert titles[-1] == "Compare"
    compare_tab = form.runner.results.children[-1].outputs[0]["data"]["text/markdown"]
    assert compare_tab == text


def test_compare_needs_two_runs() -> None:
    form = RequirementsForm("io-bound-api")
    form.run()
    with pytest.raises(PytArchError, match="1 run;"):
        form.compare()


def test_compare_refuses_a_failed_run_instead_of_calling_the_plans_the_same(
    fake_api: FakeAnthropic,
) -> None:
    form = RequirementsForm("io-bound-api", backend="claude")
    assert form.run().state == "done"
    fake_api.queue(Status(400, "bad request"))
    assert form.run().state == "failed"
    with pytest.raises(PytArchError, match=r"run 2 failed .*no design to compare"):
        form.compare()
    assert form.run().state == "done"
    assert form.compare(0, 2).titles == ("run 1", "run 3")


def test_the_preview_says_what_pgbouncer_does_with_the_pools() -> None:
    """Not "pools use 75,000 of 180 connections: fits": the pools end at PgBouncer."""
    form = RequirementsForm("io-bound-api")
    form.fields["scale.peak_rps"].widget.value = 60_000
    text = _text(form.preview.value)
    pooled = r"pools open [\d,]+ client connections to PgBouncer, which holds [\d,]+ of"
    assert re.search(pooled, text)
    assert not re.search(r"pools use [\d,]+ of 180 connections \(through PgBouncer\)", text)


def test_an_unset_number_box_shows_the_number_assumed_and_stays_unset() -> None:
    form = RequirementsForm("io-bound-api")
    field = form.fields["scale.concurrent_users"]
    assert not field.is_set and "assuming 20,000" in field.note.value
    assert field.widget.value == 20_000  # not a stale 100 beside "assuming 20,000"
    assert form.requirements.scale.concurrent_users is None  # still unset: nothing typed
    field.widget.value = 30_000  # editing it sets it
    assert field.is_set and form.requirements.scale.concurrent_users == 30_000
