"""The ``pyt-arch`` command: design, verify, plan, gaps, calibrate, presets, persona.

Exit codes: 0 success; 2 bad input (one line per problem naming the field and the fix, no
traceback); 3 backend failure (an incomplete answer is still written, marked incomplete); 4
``verify`` found problems in the design; 1 the output could not be written (a full disk); 130
interrupted (what arrived is still written); 141 the reader of a pipe left (``| head``), quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from pyt_arch_kit import __version__
from pyt_arch_kit.backends import registry
from pyt_arch_kit.errors import (
    BackendError,
    IncompleteDesignError,
    PytArchError,
    RequirementsError,
    SettingsError,
)

if TYPE_CHECKING:
    from pyt_arch_kit.design import Design
    from pyt_arch_kit.requirements import Requirements

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_BACKEND = 0, 2, 3
EXIT_PROBLEMS = 4  # `verify`: the design disagrees with its plan or stack
EXIT_OUTPUT = 1  # standard output could not be written (full disk, closed file)
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141  # Ctrl-C; the reader of a pipe left (128 + SIGPIPE)


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
        choices=registry.names(),
        default=os.environ.get("PYT_ARCH_BACKEND", "offline"),
        help="who writes the design (default: offline; env PYT_ARCH_BACKEND): "
        + "; ".join(f"{s.name}: {s.summary}" for s in registry.BACKENDS),
    )
    design.add_argument(
        "--model", metavar="ID", help="model id or alias for a backend that talks to a model"
    )
    design.add_argument("--persona", metavar="PATH", help="a Claude Code agent file")
    design.add_argument(
        "--no-verify",
        action="store_true",
        help="skip checking the design (checking the diagram starts node, ~0.5 s); by default "
        "a line on stderr names the problems, if any",
    )
    design.add_argument(
        "--verbose",
        action="store_true",
        help="print the verification verdict on stderr even when it passes",
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
        help="the clarifying questions still open, the ones that matter first",
        description="List the questions the architect would still ask, the ones whose answer "
        "would change the design most first, with the assumption the design makes for each "
        "and what a plausible other answer would change (re-planned, not guessed). Questions "
        "whose answers change nothing are listed last.",
    )
    _add_source(gaps)

    cal = sub.add_parser(
        "calibrate",
        help="set CPU, IO wait and service cv from measured request timings",
        description="Estimate workload.cpu_ms_per_request, io_wait_ms_per_request and "
        "service_cv from a load test: a locust --csv file (*_stats.csv or "
        "*_stats_history.csv) or request timings in ms (one a line, or a CSV with --column). "
        "The mean response time is the service time (measure at a low rate: give --rps and "
        "--workers to see the utilisation); the cv comes from the spread (a locust CSV: the "
        "gamma with its mean and p99); CPU vs IO needs --cpu-ms or --cpu-seconds. With a "
        "requirements FILE (or --preset), prints it updated, or writes --out PATH or "
        "--in-place: YAML is edited line by line, so comments stay; without one, prints the "
        "workload block. How each value was estimated goes to stderr.",
    )
    cal.add_argument("measured", metavar="MEASURED", help="locust stats CSV or timings file")
    _add_source(cal)
    cpu = cal.add_mutually_exclusive_group()
    cpu.add_argument("--cpu-ms", type=float, metavar="MS", help="CPU time of one request (ms)")
    cpu.add_argument(
        "--cpu-seconds",
        type=float,
        metavar="S",
        help="the server's process CPU-seconds counter over the run (÷ the request count)",
    )
    cal.add_argument("--requests", type=int, metavar="N", help="requests --cpu-seconds covers")
    cal.add_argument("--rps", type=float, metavar="R", help="the rate measured at (req/s)")
    cal.add_argument("--workers", type=int, metavar="N", help="the server's concurrency")
    cal.add_argument("--column", metavar="NAME", help="the CSV column of times in ms")
    cal.add_argument("--name", metavar="ROW", help="a locust row (default: Aggregated)")
    where = cal.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="PATH", help="write the updated requirements here")
    where.add_argument("--in-place", action="store_true", help="update FILE itself")
    cal.add_argument("--force", action="store_true", help="overwrite --out if it exists")

    sub.add_parser(
        "presets",
        help="list the shipped scenarios",
        description="List the shipped scenarios, one a line, name first.",
    )

    sub.add_parser(
        "baseline",
        help="print the service baseline every service design applies",
        description="Print the service baseline (Markdown): the practices every service "
        "design applies and names in one line.",
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


def _check_out(path: str, force: bool) -> None:
    """Refuse an ``--out`` that cannot be used before any work (or money) is spent on it."""
    from pyt_arch_kit.errors import ExportError
    from pyt_arch_kit.files import not_regular, shown_path

    kind = not_regular(path)
    if kind is not None:
        raise SettingsError(
            f"--out {shown_path(path)} is {kind}, not a regular file; --out (and --force) "
            "write regular files only: choose a file path"
        )
    if not force and os.path.lexists(path):
        raise ExportError(f"{shown_path(path)} exists; use --force to overwrite it")


def _attempt(req: Requirements, architect: Any, show: Any) -> tuple[Design | None, int]:
    """Run the design; a failure that kept text gives the incomplete design, and its exit."""
    from pyt_arch_kit.design import Design

    try:
        design: Design = architect.design(req, on_text=show)
        return design, EXIT_OK
    except IncompleteDesignError as exc:
        _error(str(exc))
        code = EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_BACKEND
        return (exc.design if isinstance(exc.design, Design) else None), code
    except BackendError as exc:
        _error(str(exc))
        if not exc.partial_text:
            return None, EXIT_BACKEND
        design = Design(
            title=req.name,
            text=exc.partial_text,
            backend=architect.backend.name,
            complete=False,
            stop_reason=exc.cause,
        )
        return design, EXIT_BACKEND


def _design(args: argparse.Namespace, out: TextIO) -> int:
    from pyt_arch_kit.architect import Architect
    from pyt_arch_kit.files import shown_path

    req = _requirements(args)
    if args.out:
        _check_out(args.out, args.force)
    architect = Architect(backend=args.backend, persona=args.persona, model=args.model)
    live = args.format == "markdown" and not args.out and architect.backend.streams

    def show(piece: str) -> None:
        out.write(piece)
        out.flush()

    design, exit_code = _attempt(req, architect, show if live else None)
    if design is None:
        return exit_code
    text = design.to_json() + "\n" if args.format == "json" else design.to_markdown()
    if args.format == "html":
        text = design.to_html()
    if args.out and (design.text or design.complete):
        from pyt_arch_kit.exports import write_atomically

        try:
            write_atomically(
                Path(args.out), text, overwrite=args.force, fix="use --force to overwrite it"
            )
        except PytArchError as exc:  # the answer is not lost: it goes to stdout instead
            _error(f"{exc}; the design follows on standard output instead")
            out.write(text)
            return exit_code or EXIT_INPUT
        _note(f"wrote {shown_path(args.out)}" + ("" if design.complete else " (incomplete)"))
    elif args.out:
        _note(f"nothing arrived, so {shown_path(args.out)} was not written")
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
        _note(design.usage.summary())
    if not args.no_verify and (line := _verdict_line(design, verbose=args.verbose)):
        _note(line)
    return exit_code


def _verdict_line(design: Design, *, verbose: bool = False) -> str | None:
    """``verify: …`` in one line when it has something to say; the checker never fails the
    design command. A passing design is quiet, unless ``verbose``; a check that cannot run on
    this machine (no node or mermaid for the diagram) is said once per machine."""
    from pyt_arch_kit.notices import first_time
    from pyt_arch_kit.verify.mermaid import node_parser

    try:
        verdict = design.verify(diagrams=node_parser())
    except Exception as exc:  # a checker bug must not cost the user their design
        return f"verify: could not run ({exc.__class__.__name__})"
    if verbose or not verdict.ok:
        return f"verify: {verdict.summary()}"
    if verdict.unchecked and first_time("verify-unchecked"):
        return (
            f"verify: {verdict.summary()} (said once on this machine; --verbose prints the "
            "verdict every time)"
        )
    return None


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


#: The largest measurements file read (a long load test's timings, one a line).
MAX_MEASURED_BYTES = 64 * 1024 * 1024


def _calibrate(args: argparse.Namespace, out: TextIO) -> int:
    from pyt_arch_kit.calibration import (
        calibrate,
        read_measurements,
        update_requirements_text,
        workload_yaml,
    )
    from pyt_arch_kit.exports import write_atomically
    from pyt_arch_kit.files import FileRefusedError, read_bounded, shown_path

    if args.in_place and not args.file:
        raise SettingsError("--in-place updates a requirements FILE; give one")
    if args.file and args.preset:
        raise SettingsError("give a requirements FILE or --preset NAME, not both")
    if not args.file and not args.preset and args.out:
        raise SettingsError("--out writes an updated requirements FILE; give one or --preset")
    shown = shown_path(args.measured)
    try:
        raw = read_bounded(args.measured, limit=MAX_MEASURED_BYTES)
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise SettingsError(f"{shown}: file not found; check the path") from None
    except FileRefusedError as exc:
        raise SettingsError(f"{shown}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"{shown}: not UTF-8 text (byte {exc.start}); give a CSV or text file"
        ) from None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{shown}: cannot be read ({exc.__class__.__name__})") from None
    try:
        measured = read_measurements(text, column=args.column, name=args.name)
        cal = calibrate(
            measured,
            cpu_ms=args.cpu_ms,
            cpu_seconds=args.cpu_seconds,
            requests=args.requests,
            rps=args.rps,
            workers=args.workers,
        )
    except PytArchError as exc:
        raise SettingsError(f"{shown}: {exc}") from None
    for line in (*cal.method, *cal.notes):
        _note(line)
    if not args.file and not args.preset:
        out.write(workload_yaml(cal))
        return EXIT_OK
    if args.preset:
        from pyt_arch_kit.presets import preset

        source_text, json_file = preset(args.preset).to_yaml(), False
    else:
        from pyt_arch_kit.requirements.loading import MAX_REQUIREMENTS_BYTES

        _requirements(args)  # the file is valid requirements (the loader's messages if not)
        source_text = read_bounded(args.file, limit=MAX_REQUIREMENTS_BYTES).decode("utf-8")
        json_file = args.file.lower().endswith(".json")
    updated, notes, kept = update_requirements_text(source_text, cal, json_file=json_file)
    target = args.file if args.in_place else args.out
    if target is None:
        for line in notes:
            _note(line)
        out.write(updated)
        return EXIT_OK
    if args.in_place and not kept:
        raise SettingsError(
            f"{shown_path(args.file)}: {notes[-1]}; use --out PATH to write a new file instead"
        )
    if args.out:
        _check_out(args.out, args.force)
    write_atomically(Path(target), updated, overwrite=True if args.in_place else args.force)
    for line in notes:
        _note(line)
    _note(f"wrote {shown_path(target)}")
    return EXIT_OK


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "calibrate":
        return _calibrate(args, out)
    if args.command == "design":
        return _design(args, out)
    if args.command == "verify":
        return _verify(args, out)
    if args.command == "presets":
        from pyt_arch_kit.presets import list_presets

        for name, summary in list_presets():
            out.write(f"{name:<24} {summary}\n")
        return EXIT_OK
    if args.command == "baseline":
        from pyt_arch_kit.baseline import baseline_text

        out.write(baseline_text())
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
        from pyt_arch_kit.questions import rank_questions

        ranked = rank_questions(req)
        if not ranked:
            out.write("No open questions: every field that matters is set.\n")
        for q in ranked:
            g = q.gap
            out.write(
                f"- {g.field}: {g.question}\n    assuming {_fmt(g.assumed)}: {g.because}\n"
                + (
                    f"    would change: {q.impact()}\n"
                    if q.changes_design
                    else "    does not change this design (within the answers tried)\n"
                )
            )
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


def _error(message: str) -> None:
    _note(f"error: {message}")


def _note(message: str) -> None:
    """One line on stderr, the key (and anything shaped like one) scrubbed, controls escaped."""
    from pyt_arch_kit.redaction import redact

    line = " ".join(redact(message).split("\n"))
    line = "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in line)
    with contextlib.suppress(OSError, ValueError):
        print(f"pyt-arch: {line}", file=sys.stderr, flush=True)


class _StdoutError(Exception):
    """Standard output could not be written (a closed pipe, a full disk)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or type(error).__name__)
        self.error = error


class _Out:
    """Standard output that reports a failed write as :class:`_StdoutError`.

    Everything written is made inert for a terminal first (:func:`pyt_arch_kit.terminal.inert`):
    a design, a cassette's chunks and a persona's fields come from outside, and a control
    character in them would act on the terminal (or on whoever ``cat``s the redirected file).
    """

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream  # None when the shell closed it (`>&-`)

    def write(self, text: str) -> int:
        if self._stream is None:
            raise _StdoutError(OSError(errno.EBADF, "it is closed"))
        from pyt_arch_kit.terminal import inert

        try:
            written = self._stream.write(inert(text))
            self._stream.flush()
        except OSError as exc:
            raise _StdoutError(exc) from None
        return written

    def flush(self) -> None:
        if self._stream is None:
            raise _StdoutError(OSError(errno.EBADF, "it is closed"))
        try:
            self._stream.flush()
        except OSError as exc:
            raise _StdoutError(exc) from None


def _drop_stdout() -> None:
    """After a failed write, point fd 1 at a scratch file so exiting does not fail again."""
    stdout = sys.__stdout__
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if stdout is not None and sys.stdout is stdout:
            with tempfile.TemporaryFile() as sink:  # fd 1 keeps the file open after this
                os.dup2(sink.fileno(), stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pyt-arch``; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args, _Out(sys.stdout))  # type: ignore[arg-type]
    except _StdoutError as exc:
        _drop_stdout()
        if exc.error.errno == errno.EPIPE:  # the reader left (`| head`): nothing to say
            return EXIT_PIPE
        fix = "use --out FILE" if args.command == "design" else "redirect it to a file"
        _error(f"cannot write to standard output ({exc}); {fix}")
        return EXIT_OUTPUT
    except BackendError as exc:
        _error(str(exc))
        return EXIT_BACKEND
    except RequirementsError as exc:
        where = f"{exc.source}: " if exc.source else ""
        for loc, msg in exc.problems:
            _error(f"{where}{loc}: {msg}" if loc else f"{where}{msg}")
        return EXIT_INPUT
    except PytArchError as exc:
        _error(str(exc))
        return EXIT_INPUT
    except KeyboardInterrupt:
        _note("interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
