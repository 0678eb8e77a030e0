"""MkDocs hook: fill ``<!-- pyt-arch: NAME ARGS -->`` markers with content generated from the code.

Every number, field, bound, setting, price and command-line option on the site that the code
defines is rendered here at build time from the code itself, so the docs cannot drift from it:

- ``requirements-fields``: one table per section of the requirement models (type, bounds,
  description, the clarifying question, and what the design assumes when it is left unset).
- ``presets``: the shipped scenarios with their headline inputs and planned numbers.
- ``preset-yaml NAME``: a preset's requirements as YAML.
- ``figures PRESET KEY[,KEY…]``: figures from the real planner, with formula, inputs and source.
- ``decisions PRESET TOPIC[,TOPIC…]`` and ``findings PRESET [SECTION.FIELD=VALUE…] [--only
  WORDS]``: the planner's choices (for a preset with fields changed, if given).
- ``call FUNCTION ARGS…``: a queueing function evaluated, e.g. ``call littles_law 2000 0.05``.
- ``constant MODULE NAME``: a constant of the package, e.g. the target utilisation.
- ``design PRESET [SECTION|SECTION…]``: sections of an offline design, headings demoted.
- ``settings``, ``prices``, ``model-aliases``: the Claude backend's configuration.
- ``cli``: ``pyt-arch --help`` and every sub-command's help, from the real parser.
- ``readme SECTION``: a section of the README (one source for the two commands).

An unknown marker or a bad argument stops the build with a message naming the page, and so does
a YAML requirements example on a page that would not load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, get_args

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"<!--\s*pyt-arch:\s*(?P<body>.*?)\s*-->")
ROOT = Path(__file__).resolve().parents[2]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(value: float) -> str:
    from pyt_arch_kit.planning.model import fmt_number

    return fmt_number(float(value))


def _shown(value: Any) -> str:
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, bool):
        return f"`{value}`"
    if isinstance(value, int | float):
        return _num(value)
    if value in (None, "", []):
        return "—"
    return f"`{value}`"


# -- requirements ----------------------------------------------------------------------------


def _type_name(annotation: Any) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    inner = args[0]
    if isinstance(inner, type) and issubclass(inner, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in inner)
    if getattr(inner, "__origin__", None) is list:
        return "list of text"
    return {float: "number", int: "integer", str: "text"}.get(inner, str(inner))


def _bounds(field: Any) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "max_length": "length ≤"}
    parts = []
    for meta in field.metadata:
        for attr, sign in words.items():
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sign} {_num(value)}")
    return ", ".join(parts) or "—"


def _requirements_fields(_args: list[str]) -> str:
    from pydantic import BaseModel

    from pyt_arch_kit.requirements import Requirements, _question

    assumed = {g.field: g for g in Requirements().gaps()}
    out: list[str] = []

    def table(prefix: str, model: type[BaseModel], names: list[str]) -> None:
        out.extend(
            [
                "| Field | Type | Allowed | Meaning | Left unset, the design assumes |",
                "|---|---|---|---|---|",
            ]
        )
        for name in names:
            field = model.model_fields[name]
            path = f"{prefix}{name}"
            gap = assumed.get(path)
            if gap is not None:
                unset = f"{_shown(gap.assumed)} — {gap.because}"
            elif field.default_factory is not None:
                unset = "empty"
            else:
                unset = f"{_shown(field.default)} (default)"
            meaning = field.description or ""
            extra = field.json_schema_extra
            if isinstance(extra, dict) and "question" in extra:
                meaning += f" *Asks: {_question(path)}*"
            out.append(
                f"| `{path}` | {_cell(_type_name(field.annotation))} | {_cell(_bounds(field))} "
                f"| {_cell(meaning)} | {_cell(unset)} |"
            )
        out.append("")

    top = [n for n, f in Requirements.model_fields.items() if not _is_model(f.annotation)]
    out += ["### Top level", ""]
    table("", Requirements, top)
    for name, field in Requirements.model_fields.items():
        if not _is_model(field.annotation):
            continue
        model = field.annotation
        doc = (model.__doc__ or "").strip().splitlines()[0]
        out += [f"### `{name}` — {doc}", ""]
        table(f"{name}.", model, list(model.model_fields))
    return "\n".join(out)


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


# -- presets and the planner -----------------------------------------------------------------


def _preset_plan(name: str) -> Any:
    from pyt_arch_kit import plan, preset

    return plan(preset(name))


def _presets(_args: list[str]) -> str:
    from pyt_arch_kit import preset, preset_names

    rows = [
        "| Preset | What it is | Interface | Peak req/s | p99 target | Plan | Findings |",
        "|---|---|---|---:|---:|---|---:|",
    ]
    for name in preset_names():
        req = preset(name)
        p = _preset_plan(name)
        c = p.capacity
        job = p.pipeline
        shape = (
            (
                f"{job.executors} × {job.executor_cores}-core executor(s), "
                f"≈ {_num(job.run_time_h)} h of a {_num(job.window_h)} h window"
                if job.mode.value == "batch"
                else f"{job.partitions} partitions, {job.consumers} consumers"
            )
            if job is not None and "app" not in p.components
            else f"{c.instances} × {c.cores_per_instance} cores, {p.concurrency.model.value}"
        )
        shape = (
            shape
            + (f", {p.database.engine}" if p.database else "")
            + (f", {p.data.tool}" if p.data else "")
        )
        rows.append(
            f"| [`{name}`](#{name}) | {_cell(req.summary)} | "
            f"{_shown(p.requirements.interface)} | {_shown(p.requirements.scale.peak_rps)} | "
            f"{_num(p.requirements.latency.p99_ms or 0)} ms | {_cell(shape)} | "
            f"{len(p.findings)} |"
        )
    return "\n".join(rows)


def _preset_yaml(args: list[str]) -> str:
    from pyt_arch_kit import preset

    (name,) = args
    return f"```yaml\n{preset(name).to_yaml().rstrip()}\n```"


def _figures(args: list[str]) -> str:
    from pyt_arch_kit.render import figures_table

    name, keys = args
    p = _preset_plan(name)
    return figures_table([p.figure(k) for k in keys.split(",")])


def _decisions(args: list[str]) -> str:
    name, topics = args
    p = _preset_plan(name)
    rows = ["| Decision | Choice | Why | Trade-off |", "|---|---|---|---|"]
    for topic in topics.split(","):
        d = p.decision(topic.replace("_", " "))
        rows.append(f"| {d.topic} | {_cell(d.choice)} | {_cell(d.why)} | {_cell(d.trade_off)} |")
    return "\n".join(rows)


def _findings(args: list[str]) -> str:
    """``findings PRESET [SECTION.FIELD=VALUE …] [--only WORDS]``: the planner's findings for a
    preset, optionally with fields changed and only the findings whose title has WORDS."""
    from pyt_arch_kit import Requirements, plan, preset

    name, *rest = args
    only = ""
    if "--only" in rest:
        at = rest.index("--only")
        rest, only = rest[:at], " ".join(rest[at + 1 :])
    data = preset(name).model_dump(mode="json", exclude_none=True)
    for override in rest:
        path, sep, value = override.partition("=")
        section, dot, field = path.partition(".")
        if not sep or not dot:
            raise ValueError(f"{override!r} is not SECTION.FIELD=VALUE")
        data.setdefault(section, {})[field] = json.loads(value)
    p = plan(Requirements.parse(data, source=name))
    shown = [f for f in p.findings if only in f.title]
    if not shown:
        raise ValueError(f"preset {name} has no findings to show")
    return "\n".join(
        f"- **{f.kind}: {_cell(f.title)}** — {f.detail} *{f.recommendation}*" for f in shown
    )


def _design(args: list[str]) -> str:
    from pyt_arch_kit import Architect, preset

    name, *wanted = args
    design = Architect().design(preset(name))
    titles = "|".join(wanted).split("|") if wanted else list(design.sections)
    parts = []
    for title in titles:
        body = design.section(title)
        body = re.sub(r"^(#{1,4}) ", r"#\1 ", body, flags=re.MULTILINE)
        parts.append(f"### {title}\n\n{body}")
    return "\n\n".join(parts)


def _call(args: list[str]) -> str:
    """A queueing function evaluated on literal numbers, e.g. ``call erlang_c 2 1.0``."""
    from pyt_arch_kit.planning import queueing

    name, *raw = args
    if name not in queueing.__all__ or not callable(getattr(queueing, name)):
        raise ValueError(f"{name} is not a function of pyt_arch_kit.planning.queueing")
    values = [int(a) if a.lstrip("-").isdigit() else float(a) for a in raw]
    result = getattr(queueing, name)(*values)
    shown = ", ".join(_num(v) for v in result) if isinstance(result, tuple) else _num(result)
    return f"`{name}({', '.join(raw)})` = **{shown}**"


def _constant(args: list[str]) -> str:
    """A module constant, e.g. ``constant pyt_arch_kit.planning.capacity TARGET_UTILISATION``."""
    import importlib

    module, name = args
    if not module.startswith("pyt_arch_kit."):
        raise ValueError("only pyt_arch_kit constants can be shown")
    value = getattr(importlib.import_module(module), name)
    return value if isinstance(value, str) else _num(value)


# -- the Claude backend ----------------------------------------------------------------------


def _settings(_args: list[str]) -> str:
    from pyt_arch_kit.settings import Settings

    doc = Settings.__doc__ or ""
    described: dict[str, str] = {}
    for m in re.finditer(r"^ {8}(\w+): (.+?)(?=^ {8}\w+:|\Z)", doc, re.MULTILINE | re.DOTALL):
        described[m.group(1)] = " ".join(m.group(2).split())
    rows = ["| Setting | Variable and meaning | Default |", "|---|---|---|"]
    for field in dataclasses.fields(Settings):
        if field.name not in described:
            raise ValueError(f"Settings.{field.name} is not described in the Settings docstring")
        text = described[field.name].replace("``", "`").replace(":class:", "")
        rows.append(f"| `{field.name}` | {_cell(text)} | {_shown(field.default)} |")
    return "\n".join(rows)


def _prices(_args: list[str]) -> str:
    from pyt_arch_kit.pricing import price_table

    table = price_table()
    rows = [
        f"Prices as of **{table['as_of']}**, {table['currency']} {table['unit']} "
        f"(`pyt_arch_kit/prices.json`). {table['note']} The Message Batches API is billed at "
        f"{table['batch_discount']:.0%} of these.",
        "",
        "| Model | Input | Output | Cache write | Cache read |",
        "|---|---:|---:|---:|---:|",
    ]
    for model, p in table["models"].items():
        rows.append(
            f"| `{model}` | {p['input']:.2f} | {p['output']:.2f} | {p['cache_write']:.2f} "
            f"| {p['cache_read']:.2f} |"
        )
    return "\n".join(rows)


def _model_aliases(_args: list[str]) -> str:
    from pyt_arch_kit.persona import MODEL_ALIASES

    rows = ["| Alias in the agent file | Model id |", "|---|---|"]
    rows += [f"| `{alias}` | `{model}` |" for alias, model in MODEL_ALIASES.items()]
    return "\n".join(rows)


# -- the command line ------------------------------------------------------------------------


def _cli(_args: list[str]) -> str:
    from pyt_arch_kit.cli import _parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "96"  # argparse wraps help to the terminal width
    try:
        parser = _parser()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        out = ["## `pyt-arch`", "", "```text", parser.format_help().rstrip(), "```", ""]
        for name, child in sub.choices.items():
            out += [f"## `pyt-arch {name}`", "", "```text", child.format_help().rstrip(), "```"]
            out.append("")
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(out)


# -- the README ------------------------------------------------------------------------------


def _readme(args: list[str]) -> str:
    (title,) = args
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise ValueError(f"README.md has no '## {title}' section")
    return match.group(1).strip()


GENERATORS: dict[str, Callable[[list[str]], str]] = {
    "requirements-fields": _requirements_fields,
    "presets": _presets,
    "preset-yaml": _preset_yaml,
    "figures": _figures,
    "decisions": _decisions,
    "call": _call,
    "constant": _constant,
    "findings": _findings,
    "design": _design,
    "settings": _settings,
    "prices": _prices,
    "model-aliases": _model_aliases,
    "cli": _cli,
    "readme": _readme,
}


def render(body: str) -> str:
    """The Markdown for one marker's body, e.g. ``figures io-bound-api in_flight``."""
    name, *args = shlex.split(body)
    if name not in GENERATORS:
        raise ValueError(f"unknown marker {name!r}; known: {', '.join(GENERATORS)}")
    return GENERATORS[name](args)


def on_config(config: Any) -> Any:
    """Put the benchmarks page (written with the benchmarks) in the nav once it exists."""
    page = Path(config["docs_dir"]) / "benchmarks.md"
    nav = config["nav"]
    listed = "benchmarks.md" in json.dumps(nav)
    if page.is_file() and not listed:
        at = next((i for i, item in enumerate(nav) if "Reference" in item), len(nav))
        nav.insert(at, {"Benchmarks": "benchmarks.md"})
    return config


_YAML_FENCE = re.compile(r"^```yaml\n(?P<body>.*?)^```", re.M | re.S)
_SECTIONS = {"interface", "scale", "latency", "consistency", "workload", "infrastructure"}


def check_requirement_examples(markdown: str) -> None:
    """Validate every YAML example on a page that is a requirements file.

    Raises:
        RequirementsError: naming the field, if an example would not load.
    """
    import yaml

    from pyt_arch_kit.requirements import Requirements

    for match in _YAML_FENCE.finditer(markdown):
        data = yaml.safe_load(match.group("body"))
        if isinstance(data, dict) and _SECTIONS & set(data):
            Requirements.parse(data, source="a YAML example")


def on_page_markdown(markdown: str, page: Any, **_kwargs: Any) -> str:
    """Check the page's requirement examples, then replace its markers with generated Markdown."""
    try:
        check_requirement_examples(markdown)
    except Exception as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from exc

    def replace(match: re.Match[str]) -> str:
        try:
            return render(match.group("body"))
        except Exception as exc:
            raise PluginError(
                f"{page.file.src_uri}: cannot generate <!-- pyt-arch: {match.group('body')} -->: "
                f"{exc.__class__.__name__}: {exc}"
            ) from exc

    return MARKER.sub(replace, markdown)


if __name__ == "__main__":
    # Preview a marker: python3 docs/hooks/generated.py "figures io-bound-api in_flight"
    import sys

    print(render(sys.argv[1]) if len(sys.argv) > 1 else json.dumps(sorted(GENERATORS)))
