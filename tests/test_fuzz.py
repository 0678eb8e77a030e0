"""Fuzzing the user-facing loaders: any input gives a model or a clear error, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyt_arch_kit import PersonaError, Requirements, RequirementsError
from pyt_arch_kit.persona import Persona, load_persona

DEEP = "[" * 3000 + "]" * 3000
HUGE_INT = "scale: {peak_rps: " + "9" * 5000 + "}\n"
BAD_DATE = "name: 2024-13-45\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (DEEP, ["nested too deeply"]),
        ("{a: " * 2000 + "1" + "}" * 2000, ["nested too deeply"]),
        (HUGE_INT, ["too many digits"]),
        (BAD_DATE, ["month must be in 1..12", "quote it"]),
    ],
)
def test_yaml_that_parses_but_cannot_be_read_gives_a_clear_error(
    text: str, words: list[str]
) -> None:
    with pytest.raises(RequirementsError) as info:
        Requirements.from_yaml(text, source="req.yaml")
    message = str(info.value)
    assert message.startswith("req.yaml: not valid YAML") and "\n" not in message
    assert all(word in message for word in words), message


@pytest.mark.parametrize(
    "content", ["[" * 100_000 + "]" * 100_000, '{"scale": {"peak_rps": ' + "9" * 5000 + "}}"]
)
def test_json_file_too_deep_or_too_long_a_number_gives_a_clear_error(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "req.json"
    path.write_text(content)
    with pytest.raises(RequirementsError, match="not valid JSON for requirements"):
        Requirements.from_file(path)


def test_a_path_with_a_nul_character_is_a_clear_error() -> None:
    with pytest.raises(RequirementsError, match="not a usable file path"):
        Requirements.from_file("req\x00.yaml")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scale": {"peak_rps": "x" * 3000}}, "scale.peak_rps"),
        ({"interface": ["rest"] * 500}, "interface"),
        ({"latency": {"p99_ms": -1.0, "p50_ms": "y" * 900}}, "latency.p50_ms"),
        ({"scale": {"peak\nrps": 1}}, "scale.peak\\nrps"),
        ({"z" * 3000: 1}, "unknown field 'zzz"),
    ],
)
def test_long_values_and_odd_keys_are_shown_short_on_one_line(
    data: dict[str, object], field: str
) -> None:
    with pytest.raises(RequirementsError) as info:
        Requirements.parse(data, source="req.yaml")
    message = str(info.value)
    assert field in message
    problems = len(info.value.problems)
    assert len(message.splitlines()) == (1 if problems == 1 else problems + 1), message[:400]
    assert all(len(line) <= 300 for line in message.splitlines()), message[:400]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "infrastructure: {cores_per_instance: 2.5}\n",
            "infrastructure.cores_per_instance: is 2.5; it must be a whole number",
        ),
        (
            "scale: {concurrent_users: many}\n",
            "scale.concurrent_users: is 'many'; it must be a whole",
        ),
        ("scale: {peak_rps: .nan}\n", "scale.peak_rps: is NaN (not a number)"),
        ("latency: {availability_pct: .nan}\n", "latency.availability_pct: is NaN (not a number)"),
    ],
)
def test_number_messages_say_what_kind_of_number(text: str, expected: str) -> None:
    with pytest.raises(RequirementsError) as info:
        Requirements.from_yaml(text)
    assert str(info.value).startswith(expected), str(info.value)


@pytest.mark.parametrize(
    "front",
    [DEEP, "name: " + "9" * 5000, "name: a\ndescription: 2024-13-45"],
    ids=["deep", "huge-int", "bad-date"],
)
def test_agent_file_front_matter_that_cannot_be_read_is_a_clear_error(front: str) -> None:
    with pytest.raises(PersonaError) as info:
        Persona.parse(f"---\n{front}\n---\nYou review.\n", source="agent.md")
    message = str(info.value)
    assert message.startswith("agent.md: front matter") and "\n" not in message
    assert len(message) < 200


def test_agent_path_with_a_nul_character_is_a_clear_error() -> None:
    with pytest.raises(PersonaError, match="not a usable file path"):
        load_persona("agent\x00.md")
