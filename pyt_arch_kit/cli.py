"""The ``pyt-arch`` command: design, verify, plan, gaps, presets, persona.

Exit codes: 0 success; 2 bad input (one line naming the field and the fix, no traceback);
3 backend failure (an incomplete answer is still written, marked incomplete); 4 ``verify`` found
problems in the design.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from pyt_arch_kit import __version__
from pyt_arch_kit.errors import BackendError, IncompleteDesignError, PytArchError, SettingsError

if TYPE_CHECKING:
    from pyt_arch_kit.design import Design
    from pyt_arch_kit.requirements import Requirements

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_BACKEND = 0, 2, 3
EXIT_PROBLEMS = 4  # `verify`: the design disagrees with its plan or stack


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, like our own input errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="requirements as YAML or JSON")
    p.add_argument("--preset", metavar="NAME", help="a shipped scenario (see `pyt-arch presets`)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pyt-arch",
        description="Design production Python systems with the pyt-arch architect persona.",
    )
    parser.add_argument("--version", action="version", version=f"pyt-arch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    design = sub.add_parser(
        "design",
        help="write the six-section design",
        description="Write the six-section design for some requirements.",
    )
    _add_source(design)
    design.add_argument("--out", metavar="PATH", help="write to a file instead of stdout")
    design.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    design.add_argument(
        "--format",
        choices=["markdown", "json", "html"],
        default="markdown",
        help="html: one self-contained file (diagram drawn, charts, the plan's tables)",
    )
    design.add_argument(
        "--backend",
        choices=["offline", "claude", "replay"],
        default=os.environ.get("PYT_ARCH_BACKEND", "offline"),
        help="who writes the design (default: offline; env PYT_ARCH_BACKEND)",
    )
    design.add_argument("--model", metavar="ID", help="model id or alias for --backend claude")
    design.add_argument("--persona", metavar="PATH", help="a Claude Code agent file")
    design.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the one-line verdict on stderr (checking the diagram starts node, ~0.5 s)",
    )

    verify = sub.add_parser(
        "verify",
        help="check a saved design against its plan and its stack",
        description="Check a design saved by `pyt-arch design` (Markdown or JSON): the six "
        "sections, the mermaid diagram (mermaid's own parser under node, when `npm ci` has "
        "installed it), every python block (parses; imports only the standard library, the "
        "stack and the app), every figure the text quotes against the plan, and the components "
        "the plan chose. A JSON design carries its plan; for Markdown give its requirements. "
        "Exit 0 when it passes, 4 when it has problems, 2 when the file cannot be read.",
    )
    verify.add_argument("design_file", metavar="FILE", help="a design as Markdown or JSON")
    source = verify.add_mutually_exclusive_group()
    source.add_argument(
        "--requirements", metavar="PATH", help="the requirements it was designed from"
    )
    source.add_argument("--preset", metavar="NAME", help="the preset it was designed from")
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 4) also when a check could not run (no node or mermaid, no plan)",
    )

    plan = sub.add_parser(
        "plan",
        help="the computed numbers, with formulas and sources",
        description="Print the deterministic plan: figures, decisions, findings, assumptions.",
    )
    _add_source(plan)
    plan.add_argument("--format", choices=["markdown", "json"], default="markdown")

    gaps = sub.add_parser(
        "gaps",
        help="the clarifying questions still open",
        description="List the questions the architect would still ask, and "
        "the assumption the design makes for each.",
    )
    _add_source(gaps)

    sub.add_parser(
        "presets",
        help="list the shipped scenarios",
        description="List the shipped scenarios, one a line, name first.",
    )

    persona = sub.add_parser(
        "persona",
        help="show the persona in use",
        description="Show the persona: name, model and where it came from.",
    )
    persona.add_argument("--persona", metavar="PATH", help="a Claude Code agent file")
    return parser


def _requirements(args: argparse.Namespace) -> Requirements:
    from pyt_arch_kit.presets import preset
    from pyt_arch_kit.requirements import Requirements

    if args.file and args.preset:
        raise SettingsError("give a requirements FILE or --preset NAME, not both")
    if args.preset:
        return preset(args.preset)
    if args.file:
        return Requirements.from_file(args.file)
    raise SettingsError("give a requirements FILE or --preset NAME (see `pyt-arch presets`)")


def _design(args: argparse.Namespace, out: TextIO) -> int:
    from pyt_arch_kit.architect import Architect

    req = _requirements(args)
    architect = Architect(backend=args.backend, persona=args.persona, model=args.model)
    live = args.format == "markdown" and not args.out and architect.backend.name != "offline"
    streamed: list[str] = []

    def show(piece: str) -> None:
        streamed.append(piece)
        out.write(piece)
        out.flush()

    exit_code = EXIT_OK
    try:
        design = architect.design(req, on_text=show if live else None)
    except IncompleteDesignError as exc:
        design = exc.design  # type: ignore[assignment]
        print(f"pyt-arch: error: {exc}", file=sys.stderr)
        exit_code = EXIT_BACKEND
    text = design.to_json() + "\n" if args.format == "json" else design.to_markdown()
    if args.format == "html":
        text = design.to_html()
    if args.out:
        from pyt_arch_kit.exports import write_atomically

        write_atomically(
            Path(args.out), text, overwrite=args.force, fix="use --force to overwrite it"
        )
        print(
            f"pyt-arch: wrote {args.out}" + ("" if design.complete else " (incomplete)"),
            file=sys.stderr,
        )
    elif live:
        out.write("\n")
        if not design.complete:
            out.write(
                "\n> **Incomplete design**: the answer stopped early; everything that "
                "arrived is above.\n"
            )
    else:
        out.write(text)
    if design.usage is not None:
        print(f"pyt-arch: {design.usage.summary()}", file=sys.stderr)
    if not args.no_verify:
        print(f"pyt-arch: {_verdict_line(design)}", file=sys.stderr)
    return exit_code


def _verdict_line(design: Design) -> str:
    """``verify: …`` in one line; the checker never fails the design command."""
    from pyt_arch_kit.verify.mermaid import node_parser

    try:
        return f"verify: {design.verify(diagrams=node_parser()).summary()}"
    except Exception as exc:  # a checker bug must not cost the user their design
        return f"verify: could not run ({exc.__class__.__name__})"


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    from pyt_arch_kit.planning import plan as make_plan
    from pyt_arch_kit.verify.files import read_design
    from pyt_arch_kit.verify.mermaid import node_parser

    design, plan = read_design(args.design_file)
    if args.requirements or args.preset:
        from pyt_arch_kit.presets import preset
        from pyt_arch_kit.requirements import Requirements

        req = preset(args.preset) if args.preset else Requirements.from_file(args.requirements)
        plan = make_plan(req)
    verdict = design.verify(plan, diagrams=node_parser())
    if args.format == "json":
        import json

        out.write(json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(f"{args.design_file}: {verdict.to_text()}")
    failed = not verdict.ok or (args.strict and bool(verdict.unchecked))
    return EXIT_PROBLEMS if failed else EXIT_OK


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "design":
        return _design(args, out)
    if args.command == "verify":
        return _verify(args, out)
    if args.command == "presets":
        from pyt_arch_kit.presets import list_presets

        for name, summary in list_presets():
            out.write(f"{name:<24} {summary}\n")
        return EXIT_OK
    if args.command == "persona":
        from pyt_arch_kit.persona import load_persona

        p = load_persona(args.persona)
        out.write(
            f"name:        {p.name}\ndescription: {p.description}\n"
            f"model:       {p.model} → {p.model_id}\nsource:      {p.source}\n"
        )
        return EXIT_OK
    from pyt_arch_kit.planning import plan as make_plan
    from pyt_arch_kit.requirements import _fmt

    req = _requirements(args)
    if args.command == "gaps":
        gaps = req.gaps()
        if not gaps:
            out.write("No open questions: every field that matters is set.\n")
        for g in gaps:
            out.write(f"- {g.field}: {g.question}\n    assuming {_fmt(g.assumed)}: {g.because}\n")
        return EXIT_OK
    computed = make_plan(req)
    if args.format == "json":
        import json

        from pyt_arch_kit.design import Design

        data = Design(title=req.name, text="", plan=computed).to_dict()["plan"]

        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(computed._repr_markdown_())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pyt-arch``; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args, sys.stdout)
    except BackendError as exc:
        print(f"pyt-arch: error: {exc}", file=sys.stderr)
        if exc.partial_text:
            sys.stdout.write(exc.partial_text + "\n")
        return EXIT_BACKEND
    except PytArchError as exc:
        print(f"pyt-arch: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("pyt-arch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
