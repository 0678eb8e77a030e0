"""The Design model: sections, rendering, JSON."""

from __future__ import annotations

from pyt_arch_kit import SECTIONS, Design
from pyt_arch_kit.design import Usage, parse_sections

FULL = "\n\n".join(f"## {s}\n\nbody of {s}" for s in SECTIONS)


def test_sections_parse_in_order() -> None:
    assert list(parse_sections(FULL)) == list(SECTIONS)


def test_numbered_and_emphasised_headings_are_recognised() -> None:
    text = "## 1. **Executive Summary**\n\nhi\n\n## 2) System Diagram:\n\nd"
    assert list(parse_sections(text)) == ["Executive Summary", "System Diagram"]


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "## Executive Summary\n\n```markdown\n## System Diagram\n```\n"
    sections = parse_sections(text)
    assert list(sections) == ["Executive Summary"]
    assert "## System Diagram" in sections["Executive Summary"]


def test_missing_sections_are_reported() -> None:
    d = Design(title="t", text="## Executive Summary\n\nx\n")
    assert d.missing_sections == SECTIONS[1:]
    assert "lacks these sections" in d.to_markdown()


def test_incomplete_design_says_so_and_keeps_the_text() -> None:
    d = Design(
        title="t", text="## Executive Summary\n\npartial wor", complete=False, stop_reason=None
    )
    md = d.to_markdown()
    assert md.startswith("# t\n\n> **Incomplete design**")
    assert "partial wor" in md


def test_json_round_trip_keeps_text_usage_and_state() -> None:
    d = Design(
        title="t",
        text=FULL,
        backend="claude",
        model="m",
        usage=Usage(10, 20, 5, 100, 0.01, 1),
        complete=False,
        stop_reason="max_tokens",
    )
    back = Design.from_json(d.to_json())
    assert back == d


def test_stack_table_rows_parse() -> None:
    text = (
        "## Technology Stack\n\n| Library | Version | Why |\n|---|---|---|\n"
        "| fastapi | `>=0.115` | async | \n"
    )
    d = Design(title="t", text=text)
    assert [(s.library, s.version) for s in d.stack] == [("fastapi", ">=0.115")]


def test_usage_adds_up_across_requests() -> None:
    total = Usage(1, 2, 3, 4, 0.5, 1) + Usage(1, 1, 0, 10, None, 1)
    assert (total.input_tokens, total.cache_read_input_tokens, total.requests) == (2, 14, 2)
    assert total.cost_usd == 0.5
