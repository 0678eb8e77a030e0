"""Fuzzing the user-facing loaders: any input gives a model or a clear PytArchError, never a crash.

Every requirement loader (YAML text, JSON text, a mapping, a file, ``load_requirements``), the
agent-file parser and the ``pyt-arch`` command are fed random and half-valid input. Each must
return a result or raise a :class:`PytArchError` whose message is short, names what is wrong and
carries no traceback; the command must exit 0 or 2.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pyt_arch_kit import PersonaError, PytArchError, Requirements, RequirementsError
from pyt_arch_kit import requirements as requirements_module
from pyt_arch_kit.cli import main
from pyt_arch_kit.persona import Persona, load_persona
from pyt_arch_kit.requirements import load_requirements

MAX_LINE = 300  # a message line longer than this is not "one line naming the field"

# -- what to generate -------------------------------------------------------------------------


def _fields() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"": []}
    for name, info in Requirements.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[name] = list(ann.model_fields)
        else:
            out[""].append(name)
    return out


FIELDS = _fields()
SECTIONS = [s for s in FIELDS if s]
ENUM_VALUES = sorted(
    {
        member.value
        for obj in vars(requirements_module).values()
        if isinstance(obj, type)
        and issubclass(obj, Enum)
        and obj.__module__.startswith(requirements_module.__name__ + ".")
        for member in obj
    }
)
ALL_KEYS = sorted({k for keys in FIELDS.values() for k in keys} | set(SECTIONS))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(max_size=2000, min_size=200),  # long values must not flood the message
    st.sampled_from(ENUM_VALUES),
)
keys = st.one_of(st.sampled_from(ALL_KEYS), st.text(max_size=15))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def requirement_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly the right shape, with wrong values, typos and stray keys mixed in."""
    data: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(FIELDS[""]), unique=True, max_size=3)):
        data[key] = draw(values)
    for section in draw(st.lists(st.sampled_from(SECTIONS), unique=True, max_size=6)):
        names = st.one_of(st.sampled_from(FIELDS[section]), keys)
        data[section] = draw(
            st.one_of(st.dictionaries(names, values, max_size=5), values)
            if draw(st.integers(0, 9)) == 0
            else st.dictionaries(names, values, max_size=5)
        )
    if draw(st.booleans()):
        data.update(draw(st.dictionaries(keys, values, max_size=2)))
    return data


def dump_yaml(data: Any) -> str:
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# -- what a good error looks like -------------------------------------------------------------


def assert_clear(exc: PytArchError) -> None:
    """Short lines, no traceback or library noise, and it says where the problem is."""
    message = str(exc)
    assert message.strip(), "empty error message"
    assert "Traceback" not in message and "errors.pydantic.dev" not in message
    assert "set_int_max_str_digits" not in message
    lines = message.splitlines()
    assert all(len(line) <= MAX_LINE for line in lines), message[:600]
    if isinstance(exc, RequirementsError):
        assert exc.problems
        assert len(lines) == (1 if len(exc.problems) == 1 else len(exc.problems) + 1), message
        for location, text in exc.problems:
            assert text.strip(), exc.problems
            if location:
                assert location in message
            else:
                assert any(
                    word in text
                    for word in (
                        "YAML",
                        "JSON",
                        "mapping",
                        "file",
                        "directory",
                        "read",
                        "unknown field",
                    )
                ), text
    else:
        assert len(lines) == 1, message


def requirements_or_clear_error(load: Any, *args: Any) -> Requirements | None:
    try:
        result = load(*args)
    except PytArchError as exc:
        assert_clear(exc)
        return None
    assert isinstance(result, Requirements)
    return result


# -- requirement loaders ----------------------------------------------------------------------

DEEP = "[" * 600 + "]" * 600  # past the recursion limit of the YAML composer
DEEP_MAP = "{a: " * 2000 + "1" + "}" * 2000
HUGE_INT = "scale: {peak_rps: " + "9" * 5000 + "}\n"
BAD_DATE = "name: 2024-13-45\n"
LONG_VALUE = "scale: {peak_rps: '" + "x" * 3000 + "'}\n"


@given(st.text(max_size=300))
@example(DEEP)
@example(DEEP_MAP)
@example(HUGE_INT)
@example(BAD_DATE)
@example(LONG_VALUE)
@example("\ufeffname: x\n")
@example("? [a, b]\n: 1\n")
@example("a: &a [*a]\n")
def test_any_yaml_text_gives_requirements_or_a_clear_error(text: str) -> None:
    requirements_or_clear_error(Requirements.from_yaml, text)


@given(requirement_dicts())
def test_half_valid_yaml_documents(data: dict[str, Any]) -> None:
    result = requirements_or_clear_error(Requirements.from_yaml, dump_yaml(data))
    if result is not None:  # what loads, round-trips
        assert Requirements.from_yaml(result.to_yaml()) == result


@given(requirement_dicts())
def test_half_valid_mappings_through_parse_and_load_requirements(data: dict[str, Any]) -> None:
    parsed = requirements_or_clear_error(Requirements.parse, data)
    loaded = requirements_or_clear_error(load_requirements, data)
    assert parsed == loaded


@given(st.one_of(values, st.lists(values), st.integers(), st.text()))
def test_any_value_through_parse(data: Any) -> None:
    requirements_or_clear_error(Requirements.parse, data)


@given(requirement_dicts())
def test_json_text_through_from_yaml(data: dict[str, Any]) -> None:
    requirements_or_clear_error(Requirements.from_yaml, dump_json(data))


@settings(max_examples=80)
@given(
    st.one_of(
        requirement_dicts().map(dump_json),
        st.text(max_size=200),
    ).map(str.encode)
    | st.binary(max_size=200),
    st.sampled_from([".json", ".yaml", ".yml", ".txt", ""]),
)
@example(("[" * 100_000 + "]" * 100_000).encode(), ".json")
@example(("9" * 5000).encode(), ".json")
@example(b"\xff\xfe\x00bad", ".yaml")
def test_any_file_through_from_file_and_load_requirements(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"req{suffix}"
        path.write_bytes(content)
        first = requirements_or_clear_error(Requirements.from_file, path)
        second = requirements_or_clear_error(load_requirements, str(path))
        assert first == second


@pytest.mark.parametrize("name", ["missing.yaml", "a\x00b.yaml", "."])
def test_bad_paths_give_a_clear_error(name: str, tmp_path: Path) -> None:
    with pytest.raises(RequirementsError) as info:
        Requirements.from_file(name if name != "." else tmp_path)
    assert_clear(info.value)


# -- agent files ------------------------------------------------------------------------------

front_keys = st.one_of(
    st.sampled_from(["name", "description", "model", "tools", "color"]), st.text(max_size=10)
)


@st.composite
def agent_files(draw: st.DrawFn) -> str:
    meta = draw(st.dictionaries(front_keys, values, max_size=6))
    if draw(st.booleans()):
        meta.setdefault("name", draw(st.text(max_size=20)))
        meta.setdefault("description", draw(st.text(max_size=40)))
    front = draw(st.one_of(st.just(dump_yaml(meta)), st.text(max_size=80)))
    body = draw(st.text(max_size=80))
    opening = draw(st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "--\n", ""]))
    closing = draw(st.sampled_from(["---\n", "--- \n", ""]))
    return f"{opening}{front}{closing}{body}"


def persona_or_clear_error(text: str) -> None:
    try:
        persona = Persona.parse(text, source="agent.md")
    except PersonaError as exc:
        assert_clear(exc)
        assert str(exc).startswith("agent.md: ")
        return
    assert persona.name.strip() and persona.description.strip() and persona.prompt.strip()
    assert persona.model.strip()


@given(st.one_of(agent_files(), st.text(max_size=300)))
@example("---\n" + DEEP + "\n---\nbody\n")
@example("---\nname: " + "9" * 5000 + "\ndescription: d\n---\nbody\n")
@example("---\nname: a\ndescription: 2024-13-45\n---\nbody\n")
def test_any_agent_file_gives_a_persona_or_a_clear_error(text: str) -> None:
    persona_or_clear_error(text)


@settings(max_examples=40)
@given(st.one_of(agent_files().map(str.encode), st.binary(max_size=100)))
def test_any_agent_file_on_disk(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agent.md"
        path.write_bytes(content)
        try:
            load_persona(path)
        except PersonaError as exc:
            assert_clear(exc)
            assert str(exc).startswith(str(path))


@pytest.mark.parametrize("name", ["missing.md", "a\x00b.md", "dir/"])
def test_bad_agent_paths_give_a_clear_error(name: str, tmp_path: Path) -> None:
    source = tmp_path if name == "dir/" else name
    with pytest.raises(PersonaError) as info:
        load_persona(source)
    assert_clear(info.value)


# -- the command ------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=60)
@given(
    st.one_of(requirement_dicts().map(dump_yaml), st.text(max_size=200)),
    st.sampled_from(["design", "plan", "gaps"]),
)
@example(HUGE_INT, "design")
@example(DEEP, "plan")
def test_random_yaml_files_through_the_cli_exit_0_or_2(text: str, command: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requirements.yaml"
        path.write_text(text, encoding="utf-8")
        code, out, err = run_cli([command, str(path)])
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        assert err.startswith("pyt-arch: error: ") and out == ""
        first = err.splitlines()[0]
        assert len(first) <= MAX_LINE + len("pyt-arch: error: ") + len(str(path)) + 2, err
    else:
        assert out.strip()


# -- regressions the fuzzers found ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (DEEP, ["nested too deeply"]),
        ("{a: " * 2000 + "1" + "}" * 2000, ["nested too deeply"]),
        (HUGE_INT, ["too many digits"]),
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


def test_a_date_like_name_is_text_not_a_date() -> None:
    # YAML 1.2 has no dates: what looks like one (even an impossible one) is the name given.
    assert Requirements.from_yaml(BAD_DATE).name == "2024-13-45"
    assert Requirements.from_yaml("name: 2024-01-01\n").name == "2024-01-01"


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
    [DEEP, "name: " + "9" * 5000, "name: a\nname: b\ndescription: d"],
    ids=["deep", "huge-int", "duplicate-key"],
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
