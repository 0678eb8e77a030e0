"""The workbench, driven headless: set values, click, read what the user would see."""

from __future__ import annotations

import json
import threading
import time
from enum import StrEnum
from pathlib import Path

import ipywidgets as w
import pytest
from pydantic import BaseModel, Field

from pyt_arch_kit import Design, PytArchError, Requirements, RequirementsForm, preset, preset_names
from pyt_arch_kit.design import SECTIONS
from pyt_arch_kit.widgets.fields import make_field
from pyt_arch_kit.widgets.view import StreamingMarkdown
from tests.fake_api import FAKE_KEY, FakeAnthropic, Hang, Stall, Status, Stream, design_text


def _model_paths() -> set[str]:
    paths = set()
    for name, info in Requirements.model_fields.items():
        model = info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            paths |= {f"{name}.{key}" for key in model.model_fields}
        else:
            paths.add(name)
    return paths


def _tab_titles(form: RequirementsForm) -> list[str]:
    tabs = form.runner.results
    return [tabs.get_title(i) for i in range(len(tabs.children))]


# -- the form is generated from the models ---------------------------------------------------


def test_every_model_field_has_a_widget() -> None:
    assert set(RequirementsForm().fields) == _model_paths()


def test_sections_are_grouped_and_titled() -> None:
    form = RequirementsForm()
    titles = [form.sections.get_title(i) for i in range(len(form.sections.children))]
    assert titles == [
        "System",
        "Scale",
        "Latency",
        "Consistency",
        "Workload",
        "Infrastructure",
        "Proposed approach",
    ]


def test_a_new_field_gets_a_widget_from_its_type_alone() -> None:
    class Colour(StrEnum):
        RED = "red"
        BLUE = "blue"

    class Extra(BaseModel):
        queue_depth: int | None = Field(None, ge=1, le=5000, description="Messages waiting.")
        arrivals_per_s: float | None = Field(
            None, ge=0, le=1e6, description="Arrivals.", json_schema_extra={"widget": "log"}
        )
        colour: Colour | None = None
        regions: list[str] = Field(default_factory=list)
        enabled: bool = False

    made = {name: make_field(f"extra.{name}", info) for name, info in Extra.model_fields.items()}
    # A number box that keeps what is typed; the bounds are stated, and enforced by validation.
    assert isinstance(made["queue_depth"].widget, w.FloatText)
    assert (
        made["queue_depth"].widget.tooltip
        == "Messages waiting. Allowed: 1 to 5,000, a whole number."
    )
    assert made["queue_depth"].toggle.description == "set"  # a labelled toggle
    arrivals = made["arrivals_per_s"]
    assert isinstance(arrivals.widget, w.FloatText)  # holds the value, zero included
    assert any(
        isinstance(c, w.FloatLogSlider) for c in arrivals.box.children[0].children[1].children
    )
    assert isinstance(made["colour"].widget, w.Dropdown)
    assert list(made["colour"].widget.options) == ["(unset)", "red", "blue"]
    assert isinstance(made["regions"].widget, w.TagsInput)
    assert isinstance(made["enabled"].widget, w.Checkbox)


@pytest.mark.parametrize("name", preset_names())
def test_a_preset_fills_the_form_and_reads_back_unchanged(name: str) -> None:
    assert RequirementsForm(name).requirements == preset(name)


def test_choosing_a_preset_in_the_dropdown_fills_the_form() -> None:
    form = RequirementsForm()
    form.preset.value = "payments-ledger"
    assert form.requirements == preset("payments-ledger")


def test_the_form_fills_from_a_requirements_object() -> None:
    req = Requirements.parse({"name": "tiny", "scale": {"peak_rps": 12}})
    form = RequirementsForm(req)
    assert form.requirements == req
    assert form.fields["latency.p99_ms"].get() is None


def test_zero_and_tiny_values_round_trip_through_the_log_fields() -> None:
    req = Requirements.parse(
        {
            "scale": {"peak_rps": 0, "data_gb": 0.001, "concurrent_users": 0},
            "workload": {"io_wait_ms_per_request": 0},
        }
    )
    form = RequirementsForm(req)
    assert form.requirements == req
    assert form.valid is not None


def test_the_log_slider_and_its_number_box_move_together() -> None:
    form = RequirementsForm("io-bound-api")
    field = form.fields["scale.concurrent_users"]
    slider = next(
        c for c in field.box.children[0].children[1].children if "Slider" in type(c).__name__
    )
    slider.value = 1234.6
    assert form.requirements.scale.concurrent_users == 1235  # an int field gets a whole number
    field.widget.value = 0  # a log scale cannot show zero; the box can
    assert form.requirements.scale.concurrent_users == 0
    assert slider.value == 1  # the slider rests at its left end


# -- live validation and clarifying questions ------------------------------------------------


def test_an_inconsistent_edit_is_shown_at_the_field_and_loses_nothing() -> None:
    form = RequirementsForm("io-bound-api")
    form.fields["scale.peak_rps"].widget.value = 4321
    form.fields["latency.p50_ms"].widget.value = 900  # above the preset's p99 of 200 ms
    error = form.fields["latency.p99_ms"].error
    # The message names the fields as the form labels them, not by their Python paths.
    assert "“Latency › p99 (ms)” (200) is below “Latency › p50 (ms)” (900)" in error.value
    assert "raise “p99 (ms)” or lower “p50 (ms)”" in error.value and "p99_ms" not in error.value
    assert error.layout.display == ""
    assert form.valid is None
    assert form.runner.design_button.disabled
    assert form.fields["scale.peak_rps"].widget.value == 4321  # the other edit is kept
    form.fields["latency.p99_ms"].widget.value = 1500
    assert form.valid is not None and form.valid.latency.p99_ms == 1500
    assert error.value == "" and error.layout.display == "none"
    assert not form.runner.design_button.disabled


def test_editing_a_value_sets_an_unset_field() -> None:
    form = RequirementsForm(Requirements())
    field = form.fields["scale.peak_rps"]
    assert field.get() is None
    field.widget.value = 750
    assert field.toggle.value is True
    assert form.requirements.scale.peak_rps == 750


def test_unset_fields_are_listed_as_clarifying_questions() -> None:
    form = RequirementsForm("io-bound-api")
    question = next(g.question for g in Requirements().gaps() if g.field == "latency.p99_ms")
    assert question not in form.gaps.value.replace("&#x27;", "'")
    form.fields["latency.p99_ms"].toggle.value = False
    assert question in form.gaps.value.replace("&#x27;", "'")


def _listed(gaps_html: str) -> list[str]:
    return [item.split("<br>")[0].replace("&#x27;", "'") for item in gaps_html.split("<li>")[1:]]


def test_open_questions_are_listed_at_once_and_ordered_when_ranked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ranking every open question re-plans the design dozens of times (hundreds of ms with
    # nothing given): the form lists them at once, in its own order, and orders them after.
    # The ranking is held at a gate until the first listing has been read.
    from pyt_arch_kit.questions import rank_questions
    from pyt_arch_kit.widgets import form as form_module

    gate = threading.Event()

    def held(req: Requirements) -> list:  # type: ignore[type-arg]
        assert gate.wait(60)
        return rank_questions(req)

    monkeypatch.setattr(form_module, "rank_questions", held)
    req = Requirements(name="listed-at-once")  # not ranked before: the ranking is not known
    form = RequirementsForm(req)
    first = form.gaps.value
    assert "Ordering them" in first and "Would change" not in first
    assert _listed(first) == [g.question for g in req.gaps()]
    assert not form.wait_for_questions(timeout=0.01)  # still held
    gate.set()
    assert form.wait_for_questions(timeout=60)
    ranked = rank_questions(req)
    assert _listed(form.gaps.value) == [q.gap.question for q in ranked]
    assert _listed(form.gaps.value) != _listed(first)  # the order changed
    assert "Would change:" in form.gaps.value and "Ordering them" not in form.gaps.value


def test_a_later_edit_is_what_the_questions_show_once_ranked() -> None:
    from pyt_arch_kit.questions import rank_questions

    form = RequirementsForm(Requirements(name="edited-twice"))
    form.fields["scale.peak_rps"].widget.value = 750
    form.fields["latency.p99_ms"].widget.value = 120
    assert form.wait_for_questions(timeout=60)
    final = form.requirements
    assert final.scale.peak_rps == 750 and final.latency.p99_ms == 120
    assert _listed(form.gaps.value) == [q.gap.question for q in rank_questions(final)]


def test_reading_an_invalid_form_raises_the_field_and_the_fix() -> None:
    form = RequirementsForm("io-bound-api")
    form.fields["latency.p50_ms"].widget.value = 900
    with pytest.raises(Exception, match=r"latency\.p99_ms"):
        form.run()
    assert form.runs == []


# -- running ----------------------------------------------------------------------------------


def test_clicking_design_streams_the_design_and_fills_the_tabs() -> None:
    form = RequirementsForm("io-bound-api")
    form.fields["scale.peak_rps"].widget.value = 6000
    form.runner.design_button.click()
    run = form.runner.wait()
    assert run is not None and run.state == "done"
    assert run.requirements.scale.peak_rps == 6000
    assert form.runner.stream.text == run.design.text
    assert form.runner.stream.widget.layout.display == "none"  # the tabs hold it now
    assert _tab_titles(form) == [
        "Summary",
        "Diagram",
        "Stack",
        "Guidelines",
        "Operations",
        "Risks",
        "Plan",
        "Charts",
    ]
    headings = [tab.outputs[0]["data"]["text/markdown"] for tab in form.runner.results.children[:6]]
    assert [h.splitlines()[0] for h in headings] == [f"## {name}" for name in SECTIONS]
    diagram = form.runner.results.children[1].outputs[0]["data"]["text/markdown"]
    assert "```mermaid" in diagram
    charts = form.runner.results.children[-1].children
    assert len(charts) == 2
    assert all(bytes(image.value).startswith(b"\x89PNG") for image in charts)
    assert form.runner.status.value.startswith("<b>done</b>")
    assert not form.runner.design_button.disabled and form.runner.stop_button.disabled


def test_every_run_is_kept_in_the_session() -> None:
    form = RequirementsForm("io-bound-api")
    first = form.run()
    form.fields["scale.peak_rps"].widget.value = 700
    second = form.run()
    assert form.runs == [first, second]
    assert first.plan is not None and second.plan is not None
    assert first.plan.capacity.cores > second.plan.capacity.cores


def test_claude_run_with_a_key_typed_into_the_form(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    form = RequirementsForm("io-bound-api")
    form.runner.backend.value = "claude"
    assert form.runner.key_row.layout.display == ""  # asks for a key
    assert "paste a key" in form.runner.key.placeholder
    form.runner.key.value = FAKE_KEY
    assert form.runner.key.value == ""  # taken out of the widget at once
    assert "a key is set" in form.runner.key.placeholder
    run = form.run()
    assert run.state == "done", run.error
    assert run.backend == "claude"
    headers = fake_api.messages[-1].headers
    assert FAKE_KEY in (headers.get("x-api-key") or headers.get("authorization", ""))
    assert run.usage is not None and run.usage.output_tokens > 0
    assert "out" in form.runner.status.value
    state = json.dumps(w.Widget.get_manager_state(drop_defaults=False))
    assert FAKE_KEY not in state
    assert FAKE_KEY not in repr(form.runner.architect().backend)


def test_claude_without_a_key_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    form = RequirementsForm("io-bound-api")
    form.runner.backend.value = "claude"
    run = form.run()
    assert run.state == "failed"
    assert "ANTHROPIC_API_KEY" in run.error
    assert "Traceback" not in form.runner.status.value


def test_a_cut_stream_keeps_what_arrived(fake_api: FakeAnthropic) -> None:
    text = design_text("orders")
    fake_api.queue(Stream(text, cut_after=300))
    form = RequirementsForm("io-bound-api", backend="claude")
    run = form.run()
    assert run.state == "incomplete"
    assert run.design is not None and not run.design.complete
    assert run.text and text.startswith(run.text)
    assert len(run.text) >= 300
    assert "everything that arrived is kept" in form.runner.status.value
    assert form.runner.stream.widget.layout.display == ""  # and shown


def test_stop_keeps_the_text_so_far(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Hang(0.5), Stream(design_text("orders") * 20, chunk=5))
    form = RequirementsForm("io-bound-api", backend="claude")
    thread = form.runner.start()
    assert thread is not None and form.runner.running
    assert form.runner.start() is None  # one run at a time
    form.runner.stop_button.click()  # before the answer starts: it need not be waited for
    run = form.runner.wait()
    assert run is not None and run.state == "stopped"
    assert (design_text("orders") * 20).startswith(run.text)
    assert form.runner.status.value.startswith("<b>stopped</b>")


def _stalled_run(fake_api: FakeAnthropic) -> tuple[RequirementsForm, str]:
    """A run whose answer pauses 40 s after 500 characters, waited for until the pause."""
    text = design_text("orders") * 5
    fake_api.queue(Stream(text, fault=Stall(40), fault_after=500))
    form = RequirementsForm("io-bound-api", backend="claude")
    form.runner.start()
    assert fake_api.stalling.wait(20)
    for _ in range(200):  # the 500 characters sent before the pause reach the view
        if len(form.runner.stream.text) >= 500:
            break
        time.sleep(0.05)
    return form, text


def test_stop_ends_a_stalled_stream_at_once_and_keeps_what_arrived(
    fake_api: FakeAnthropic,
) -> None:
    form, text = _stalled_run(fake_api)
    clicked = time.monotonic()
    form.runner.stop_button.click()
    while "stopped" not in form.runner.status.value and time.monotonic() - clicked < 60:
        time.sleep(0.02)
    waited = time.monotonic() - clicked
    # The server sends nothing for 40 s: a Stop that waited for the next chunk takes 40 s.
    assert waited < 5, f"Stop took {waited:.1f} s"
    run = form.runner.wait()
    assert run is not None and run.state == "stopped"
    assert len(run.text) >= 500 and text.startswith(run.text)
    assert form.runner.status.value.startswith("<b>stopped</b>")
    assert "everything that arrived is kept" in form.runner.status.value
    assert not form.runner.running and form.runner.stop_button.disabled
    assert not form.runner.design_button.disabled  # a new run can start at once


def test_the_elapsed_time_keeps_counting_while_the_answer_pauses(
    fake_api: FakeAnthropic,
) -> None:
    form, _ = _stalled_run(fake_api)
    seen = form.runner.status.value
    for _ in range(100):  # the status changes while no text arrives
        time.sleep(0.05)
        if form.runner.status.value != seen:
            break
    assert form.runner.status.value != seen and "running…" in form.runner.status.value
    form.runner.stop()
    form.runner.wait()


def test_one_state_at_a_time_after_a_failed_run(fake_api: FakeAnthropic) -> None:
    form = RequirementsForm("io-bound-api", backend="claude")
    assert form.run().state == "done"
    fake_api.queue(Status(400, "bad request"))
    assert form.run().state == "failed"
    assert "The latest run failed" in form.runner.view.banner.value
    fake_api.queue(Hang(0.5))
    form.runner.start()
    banner = form.runner.view.banner.value
    assert "being written" in banner and "failed" not in banner
    form.runner.wait()


def test_a_rejected_key_is_dropped_and_another_can_be_typed(
    fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    fake_api.queue(Status(401, "invalid x-api-key"))
    form = RequirementsForm("io-bound-api", backend="claude")
    form.runner.key.value = "sk-ant-fake03-mistyped-0123456789"
    failed = form.run()
    assert failed.state == "failed" and "401" in failed.error
    assert "paste a key" in form.runner.key.placeholder  # asks again
    form.runner.key.value = FAKE_KEY
    assert form.run().state == "done"
    sent = fake_api.messages[-1].headers
    assert FAKE_KEY in (sent.get("x-api-key") or sent.get("authorization", ""))


def test_the_choices_at_the_click_are_the_ones_that_run(fake_api: FakeAnthropic) -> None:
    fake_api.queue(Hang(0.5))
    form = RequirementsForm("io-bound-api", backend="claude")
    form.runner.start()
    form.runner.backend.value = "offline"  # changed while the run waits for its answer
    run = form.runner.wait()
    assert run is not None and run.backend == "claude" and run.design.backend == "claude"


def test_the_design_button_follows_the_form_after_a_run(fake_api: FakeAnthropic) -> None:
    form = RequirementsForm("io-bound-api", backend="claude")
    fake_api.queue(Hang(0.5))
    form.runner.start()
    assert form.runner.design_button.disabled
    form.fields["latency.p50_ms"].widget.value = 900  # invalid while the run is going
    form.runner.wait()
    assert form.runner.design_button.disabled  # still invalid: no Design
    fake_api.queue(Hang(0.5))
    form.fields["latency.p50_ms"].widget.value = 20
    form.runner.start()
    form.fields["scale.peak_rps"].widget.value = 2500  # a valid edit during the run
    form.runner.wait()
    assert not form.runner.design_button.disabled
    assert form.runner.stop_button.disabled


# -- the streaming view -----------------------------------------------------------------------


def _stream(text: str, *, piece: int = 7) -> StreamingMarkdown:
    tick = iter(range(10**9))
    view = StreamingMarkdown(min_interval_s=1, clock=lambda: float(next(tick)))
    for i in range(0, len(text), piece):
        view.feed(text[i : i + piece])
    view.finish()
    return view


def _answer(chars: int) -> str:
    para = "The pool holds ten connections per worker, sized by Little's law.\n\n"
    code = "```python\n## not a heading inside a fence\nx = 1\n```\n\n"
    out, n = [], 0
    while n < chars:
        block = f"## Section {len(out)}\n\n" + para * 12 + code
        out.append(block)
        n += len(block)
    return "".join(out)[:chars]


def test_streaming_view_keeps_every_character() -> None:
    text = _answer(12_000)
    assert _stream(text).text == text
    assert _stream(text, piece=1).text == text


def test_streaming_view_renders_in_linear_total_cost() -> None:
    # The worst case for the view: the clock lets it re-render after every 7-character delta.
    small, large = _stream(_answer(10_000)), _stream(_answer(40_000))
    naive = sum(range(7, 40_000 + 7, 7))  # re-render the whole text on every delta: ~1.1e8
    assert large.rendered_chars < naive / 20
    ratio = large.rendered_chars / small.rendered_chars
    assert 3 <= ratio <= 5.5, ratio  # 4x the text, about 4x the work: linear, not 16x


def test_streaming_view_never_splits_a_code_fence() -> None:
    view = _stream(_answer(20_000))
    for block in view.frozen.children:
        markdown = block.outputs[0]["data"]["text/markdown"]
        assert markdown.count("```") % 2 == 0


def test_streaming_view_refresh_rate_is_bounded() -> None:
    now = [0.0]
    view = StreamingMarkdown(min_interval_s=0.5, clock=lambda: now[0])
    for _ in range(100):
        view.feed("word ")
        now[0] += 0.01  # 100 pieces in one second
    assert view.renders <= 3


def test_two_runs_from_two_threads_keep_their_own_text() -> None:
    forms = [RequirementsForm("io-bound-api"), RequirementsForm("cpu-inference")]
    threads = [threading.Thread(target=f.run) for f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for form, name in zip(forms, ["io-bound-api", "cpu-inference"], strict=True):
        assert form.runs[-1].design is not None
        assert form.runner.stream.text == form.runs[-1].design.text
        assert form.runs[-1].requirements == preset(name)


# -- exports ----------------------------------------------------------------------------------


def test_the_latest_design_exports_and_is_never_overwritten_unasked(tmp_path: Path) -> None:
    form = RequirementsForm("io-bound-api")
    with pytest.raises(PytArchError, match="run a design first"):
        form.export(tmp_path / "design.md")
    run = form.run()
    md = form.export(tmp_path / "design.md")
    assert md.read_text(encoding="utf-8") == run.design.to_markdown()
    saved = Design.from_json(form.export(tmp_path / "design.json").read_text(encoding="utf-8"))
    assert saved.text == run.design.text
    with pytest.raises(PytArchError, match=r"design\.md"):
        form.export(tmp_path / "design.md")
    assert md.read_text(encoding="utf-8") == run.design.to_markdown()


def test_a_session_with_a_failed_run_exports_every_run(tmp_path: Path) -> None:
    form = RequirementsForm("io-bound-api")
    form.run()
    form.runner.backend.value = "claude"  # no key: this run fails, and is kept
    failed = form.run()
    assert failed.state == "failed"
    written = form.export_runs(tmp_path / "session")
    text = "\n".join(p.read_text(encoding="utf-8") for p in written)
    assert "ANTHROPIC_API_KEY" in text  # the failed run's message is kept
    assert "## Executive Summary" in text


def test_the_form_shows_a_useful_line_where_widgets_cannot_render() -> None:
    form = RequirementsForm("io-bound-api")
    bundle = form._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "RequirementsForm('orders-api', valid)"
    form.fields["latency.p50_ms"].widget.value = 900
    assert form._repr_mimebundle_()["text/plain"] == "RequirementsForm('?', 1 problem)"


def test_a_range_error_shows_numbers_as_the_help_does() -> None:
    form = RequirementsForm("io-bound-api")
    form.fields["scale.peak_rps"].widget.value = 1e9
    error = form.fields["scale.peak_rps"].error.value
    assert "10,000,000" in error and "1,000,000,000" in error
    assert "10000000.0" not in error
