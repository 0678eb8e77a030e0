"""YAML aliases that repeat a document far beyond its size (an alias bomb) are refused cheaply.

Nine lists of nine, nine deep, is 387 million values in a few hundred bytes. PyYAML shares an
aliased node, so loading costs nothing; a message that ``repr``-ed the value walked every
repetition (32 s, 2.2 GB, then ``MemoryError``). The loader now refuses such a document in one
line, and a message looks at a bounded part of any value it shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pyt_arch_kit import PersonaError, Requirements, RequirementsError
from pyt_arch_kit.cli import main
from pyt_arch_kit.messages import shown
from pyt_arch_kit.persona import Persona
from pyt_arch_kit.yamlload import AliasExpansionError, load


def bomb(levels: int = 9, width: int = 9) -> str:
    """Anchors ``a0`` … ``a{levels-1}``, each a list of ``width`` aliases of the one before."""
    lines = [f"x0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_by_the_loader() -> None:
    with pytest.raises(AliasExpansionError, match=r"aliases \(\*name\) expand to more than"):
        load(bomb())


def test_a_few_aliases_still_load() -> None:
    data = load("base: &b {peak_rps: 100}\nscale: *b\nother: [*b, *b]")
    assert data["scale"] == {"peak_rps": 100} and len(data["other"]) == 2


def test_a_long_list_without_aliases_is_not_an_alias_bomb() -> None:
    assert len(load("[" + ", ".join(["x"] * 20_000) + "]")) == 20_000


@pytest.mark.parametrize("field", ["scale: {peak_rps: *a8}", "name: *a8", "x9: *a8"])
def test_a_requirements_file_with_an_alias_bomb_is_one_line(field: str) -> None:
    with pytest.raises(RequirementsError) as caught:
        Requirements.from_yaml(bomb() + field, source="bomb.yaml")
    message = str(caught.value)
    assert "bomb.yaml" in message and "aliases" in message and len(message) < 300


def test_the_cli_refuses_an_alias_bomb_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb() + "scale: {peak_rps: *a8}\n", encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "aliases" in err and "Traceback" not in err


def test_persona_front_matter_with_an_alias_bomb_is_one_line() -> None:
    text = f"---\nname: x\ndescription: y\n{bomb()}color: *a8\n---\nThe prompt.\n"
    with pytest.raises(PersonaError, match="aliases") as caught:
        Persona.parse(text, source="agent.md")
    assert "\n" not in str(caught.value)


def test_a_message_shows_a_bounded_part_of_a_huge_shared_value() -> None:
    # The value a bomb below the loader's limit (or built in Python) gives: 9**9 leaves, shared.
    value: object = ["lol"] * 9
    for _ in range(8):
        value = [value] * 9
    text = shown(value)
    assert len(text) <= 60 and text.startswith("[[[")


def test_a_message_shows_a_bounded_part_of_a_long_string_and_a_wide_mapping() -> None:
    assert len(shown("x" * 10_000_000)) == 60
    assert len(shown({str(i): i for i in range(100_000)})) <= 60
