"""Agent files: the shipped persona, any Claude Code agent file, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyt_arch_kit import PersonaError, load_persona
from pyt_arch_kit.persona import Persona, resolve_model

GOOD = (
    "---\nname: reviewer\ndescription: reviews code\nmodel: opus\ntools: Read, Grep\n---\n"
    "\nYou review.\n"
)


def test_shipped_persona_is_the_seed_agent() -> None:
    p = load_persona()
    assert p.name == "pyt-arch" and p.model == "sonnet"
    assert "Executive Summary" in p.prompt and "Risks and Mitigations" in p.prompt
    assert p.model_id.startswith("claude-sonnet")


def test_any_agent_file_loads_with_tools_and_model(tmp_path: Path) -> None:
    f = tmp_path / "reviewer.md"
    f.write_text(GOOD)
    p = load_persona(f)
    assert (p.name, p.model, p.tools, p.prompt) == (
        "reviewer",
        "opus",
        ("Read", "Grep"),
        "You review.",
    )
    assert p.source == str(f)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("no front matter\n", "starts with a '---'"),
        ("---\nname: x\n", "not closed"),
        ("---\nname: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\ndescription: d\n---\nbody\n", "'name:'"),
        ("---\nname: x\ndescription: d\n---\n\n", "prompt"),
        ("---\nname: x\ndescription: d\ntools: 5\n---\nbody\n", "'tools:'"),
        ("---\n- a\n- b\n---\nbody\n", "key: value"),
    ],
)
def test_malformed_agent_files_name_the_file_and_the_problem(
    tmp_path: Path, text: str, fragment: str
) -> None:
    f = tmp_path / "agent.md"
    f.write_text(text)
    with pytest.raises(PersonaError) as exc:
        load_persona(f)
    assert str(f) in str(exc.value) and fragment in str(exc.value)


def test_missing_agent_file_says_what_to_give() -> None:
    with pytest.raises(PersonaError, match="agent file not found"):
        load_persona("nowhere/agent.md")


def test_alias_table_can_be_overridden_by_a_setting() -> None:
    assert resolve_model("sonnet", env={"PYT_ARCH_MODEL_SONNET": "claude-x"}) == "claude-x"
    assert resolve_model("claude-custom-1", env={}) == "claude-custom-1"


def test_persona_renders_itself_in_jupyter() -> None:
    md = Persona.parse(GOOD)._repr_markdown_()
    assert "reviewer" in md and "opus" in md
