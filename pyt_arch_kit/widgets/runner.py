"""Running the architect from the form: backend and key, Design and Stop, status, results."""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as w

from pyt_arch_kit.architect import Architect
from pyt_arch_kit.backends import registry
from pyt_arch_kit.backends.base import Cancel
from pyt_arch_kit.design import Design, Usage
from pyt_arch_kit.errors import BackendError, IncompleteDesignError, PytArchError
from pyt_arch_kit.exports import redact
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.requirements import Requirements
from pyt_arch_kit.settings import Secret
from pyt_arch_kit.verify import Verification
from pyt_arch_kit.widgets.results import ResultsView
from pyt_arch_kit.widgets.view import StreamingMarkdown

__all__ = ["DesignRunner", "Run"]

_RED = "<span style='color:#b00020'>{}</span>"
#: What a backend's message says in command-line terms, and what the form calls the same thing.
_FORM_TERMS = (
    ("use the offline backend (--backend offline)", "switch Backend to Offline"),
    ("(--backend offline)", "(switch Backend to Offline)"),
    ("--backend offline", "Backend: Offline"),
    ("--force", "overwrite=True"),
)
_NO_KEY = (
    "no API key: paste one into the API key field above (kept in memory, never saved), or set "
    "ANTHROPIC_API_KEY before starting Jupyter — or switch Backend to Offline"
)


def in_form_terms(message: str, cause: str = "") -> str:
    """A backend's message in the form's own terms (its toggles and fields, not CLI flags)."""
    if cause == "no_key":
        return _NO_KEY
    for cli, form in _FORM_TERMS:
        message = message.replace(cli, form)
    return message


@dataclass
class Run:
    """One run of the form: what went in and everything that came out.

    Attributes:
        requirements: the requirements as entered.
        plan: the computed plan (``None`` if planning failed).
        backend: which backend ran.
        design: the design, complete or not (``None`` if nothing came back as a design).
        error: the one-line error, if the run failed or stopped early.
        elapsed_s: wall time of the run.
        text: every character that arrived, even when the run failed.
        verification: the design checked against its plan and stack (``None`` until checked,
            and for runs that failed or were stopped).
    """

    requirements: Requirements
    plan: Plan | None
    backend: str
    design: Design | None = None
    error: str = ""
    elapsed_s: float = 0.0
    text: str = ""
    verification: Verification | None = None

    @property
    def usage(self) -> Usage | None:
        """Tokens and cost, if a model wrote the design."""
        return self.design.usage if self.design else None

    @property
    def state(self) -> str:
        """``done``, ``stopped``, ``incomplete`` or ``failed``."""
        if self.design is None:
            return "failed"
        if self.design.stop_reason == "cancelled":
            return "stopped"
        return "done" if self.design.complete and not self.error else "incomplete"


#: How long Stop waits for the run to end by itself before it ends it from here.
_STOP_WAIT_S = 0.5
#: How often the status's elapsed time is refreshed while a run goes.
_TICK_S = 0.5


@dataclass
class _Job:
    requirements: Requirements | None = None
    backend: str = ""
    cancel: Cancel = field(default_factory=Cancel)
    thread: threading.Thread | None = None
    done: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.perf_counter)
    plan: Plan | None = None
    # Who ends the run (its thread, or Stop when the thread does not end in time): first wins.
    lock: threading.Lock = field(default_factory=threading.Lock)
    ended: bool = False

    def end(self) -> bool:
        """Claim the end of the run; ``False`` if it has already ended."""
        with self.lock:
            if self.ended:
                return False
            self.ended = True
            return True


class DesignRunner:
    """The run area under the form.

    Args:
        read: returns the form's valid requirements, or ``None`` (showing why at the fields).
        backend: the backend selected at first (a name in the backend registry).
    """

    def __init__(
        self,
        read: Callable[[], Requirements | None],
        backend: str = "offline",
        label: Callable[[str], str] = str,
    ) -> None:
        self._read = read
        self.runs: list[Run] = []
        self._keys: dict[str, Secret] = {}  # per backend, in memory only: never in a widget
        self._job = _Job()
        self._job.done.set()
        self._ready = False
        self.backend = w.ToggleButtons(
            options=[(s.label, s.name) for s in registry.BACKENDS if s.in_workbench],
            value=backend,
            description="Backend",
        )
        self.model = w.Dropdown(
            options=registry.spec(backend).models or [""],
            description="Model",
            layout=w.Layout(width="14em"),
        )
        self.key = w.Password(
            placeholder="paste a key and press Enter (held in memory, never saved)",
            description="API key",
            continuous_update=False,
            layout=w.Layout(width="34em"),
        )
        self.design_button = w.Button(description="Design", button_style="primary", icon="play")
        self.stop_button = w.Button(
            description="Stop", button_style="warning", icon="stop", disabled=True
        )
        self.status = w.HTML("")
        self.stream = StreamingMarkdown()
        self.view = ResultsView(label)
        self.results = self.view.tabs  # the tabs of the design on screen
        self.key_row = w.HBox([self.model, self.key])
        self.widget = w.VBox(
            [
                self.backend,
                self.key_row,
                w.HBox([self.design_button, self.stop_button, self.status]),
                self.stream.widget,
                self.view.widget,
            ]
        )
        self.key.observe(self._take_key, names="value")
        self.backend.observe(lambda _c: self._show_key_row(), names="value")
        self.design_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self.stop())
        self._show_key_row()

    # -- controls ----------------------------------------------------------------------------

    def _show_key_row(self) -> None:
        chosen = registry.spec(self.backend.value)
        self.key_row.layout.display = "" if chosen.key_env else "none"
        models = [m for m in (os.environ.get("PYT_ARCH_MODEL", "").strip(),) if m]
        models += [m for m in chosen.models if m not in models]
        if models and list(self.model.options) != models:
            self.model.options = models
        self.key.placeholder = (
            "a key is set: paste another and press Enter to replace it"
            if self.has_key
            else "paste a key and press Enter (held in memory, never saved)"
        )

    def _take_key(self, change: dict[str, Any]) -> None:
        value = str(change["new"] or "").strip()
        if value:
            self._keys[self.backend.value] = Secret(value)
            self.key.value = ""  # never leave the key in the widget (or the saved notebook)
            self._show_key_row()
            self.status.value = "API key set for this session"

    def forget_key(self) -> None:
        """Drop the key typed into the form (its variable, e.g. ``ANTHROPIC_API_KEY``, is used)."""
        self._keys.pop(self.backend.value, None)
        self._show_key_row()

    @property
    def has_key(self) -> bool:
        """Whether the chosen backend has a key set here or in its variable."""
        env = registry.spec(self.backend.value).key_env
        return bool(self._keys.get(self.backend.value) or (env and os.environ.get(env, "").strip()))

    def set_ready(self, ready: bool) -> None:
        """Enable the Design button for valid requirements when no run is in progress."""
        self._ready = ready
        self.design_button.disabled = not ready or self.running

    @property
    def running(self) -> bool:
        """Whether a run is in progress (until its result is shown)."""
        return not self._job.done.is_set()

    def architect(self) -> Architect:
        """The architect for the chosen backend (with the model and key chosen here)."""
        chosen = registry.spec(self.backend.value)
        if not chosen.talks_to_a_model:
            return Architect(backend=chosen.name)
        key = self._keys.get(chosen.name)
        backend = chosen.create(model=self.model.value, api_key=key.reveal() if key else None)
        return Architect(backend=backend)

    # -- running -----------------------------------------------------------------------------

    def start(self) -> threading.Thread | None:
        """Start a run in the background; returns its thread (``None`` if it cannot start)."""
        if self.running:
            return None
        requirements = self._read()
        if requirements is None:
            self.status.value = _RED.format("Fix the marked fields first.")
            return None
        architect = self.architect()  # read the choices now, not later from the thread
        self._job = job = _Job(requirements=requirements, backend=self.backend.value)
        self.stream.reset()
        self.stream.widget.layout.display = ""
        self.view.mark(requirements, running=True)  # the design on screen stays until replaced
        self.design_button.disabled, self.stop_button.disabled = True, False
        self.status.value = "running…"
        job.thread = threading.Thread(
            target=self._run,
            args=(requirements, architect, self.backend.value, job),
            daemon=True,
        )
        job.thread.start()
        threading.Thread(target=self._tick, args=(job,), daemon=True).start()
        return job.thread

    def stop(self) -> None:
        """Stop the running design at once; everything that arrived is kept.

        The answer's connection is closed, so a stream that has stalled stops without waiting
        for its next bytes. If the run has not ended half a second later (the SDK waiting to
        retry, a server that has not answered yet), it is ended from here and its thread's
        result, whenever it comes, is dropped.
        """
        job = self._job
        if not self.running:
            return
        self.status.value = "stopping…"
        job.cancel.set()
        if job.done.wait(_STOP_WAIT_S) or not job.end():
            return  # ended by its thread: shown already (or about to be)
        assert job.requirements is not None
        run = Run(requirements=job.requirements, plan=job.plan, backend=job.backend)
        run.text = self.stream.text
        run.elapsed_s = time.perf_counter() - job.started
        if job.plan is not None:
            run.design = Design(
                title=job.requirements.name,
                text=run.text,
                plan=job.plan,
                assumptions=job.plan.assumptions,
                backend=job.backend,
                complete=False,
                stop_reason="cancelled",
            )
        else:
            run.error = "stopped before the plan was ready"
        self._end(run, job)

    def _tick(self, job: _Job) -> None:
        """Keep the elapsed time counting while the run goes (text arriving or not)."""
        while not job.done.wait(_TICK_S):
            with job.lock:  # never over the status of a run that has ended
                if job.ended or job.cancel.is_set():
                    continue
                self.status.value = (
                    f"running… {time.perf_counter() - job.started:.1f} s · "
                    f"{len(self.stream.text):,} characters"
                )

    def wait(self) -> Run | None:
        """Wait for the run in progress, if any, to end; returns the latest run (or ``None``)."""
        self._job.done.wait()
        return self.runs[-1] if self.runs else None

    def _run(
        self, requirements: Requirements, architect: Architect, backend: str, job: _Job
    ) -> None:
        try:
            run = self._design(requirements, architect, backend, job)
        except Exception as exc:  # a widget must never die with a traceback
            run = Run(requirements=requirements, plan=job.plan, backend=backend)
            run.error = redact(f"unexpected {exc.__class__.__name__}: {exc}")
        if job.end():
            self._end(run, job)

    def _end(self, run: Run, job: _Job) -> None:
        """Show a run that has ended (from its thread, or from Stop), once."""
        try:
            self._conclude(run)
        finally:
            job.done.set()
            self.stop_button.disabled = True
            self.design_button.disabled = not self._ready

    def _design(
        self, requirements: Requirements, architect: Architect, backend: str, job: _Job
    ) -> Run:
        started = job.started
        run = Run(requirements=requirements, plan=None, backend=backend)

        def on_text(piece: str) -> None:
            if not job.ended:  # text that arrives after Stop ended the run is not shown
                self.stream.feed(piece)

        try:
            request = architect.request(requirements)
            run.plan = job.plan = request.plan
            run.design = architect.backend.write(request, on_text=on_text, cancel=job.cancel)
        except IncompleteDesignError as exc:
            run.design = exc.design if isinstance(exc.design, Design) else None
            run.error, run.text = redact(str(exc)), exc.partial_text
        except BackendError as exc:
            run.error, run.text = redact(in_form_terms(str(exc), exc.cause)), exc.partial_text
            if exc.cause == "auth":
                self.forget_key()  # a rejected key is not kept for the next run
        except PytArchError as exc:
            run.error = redact(str(exc))
        except Exception as exc:  # a widget must never die with a traceback
            run.error = redact(f"unexpected {exc.__class__.__name__}: {exc}")
        run.elapsed_s = time.perf_counter() - started
        run.text = run.design.text if run.design else (run.text or self.stream.text)
        return run

    def _conclude(self, run: Run) -> None:
        self.runs.append(run)  # kept first: nothing below may lose it
        try:
            self.stream.finish()
            self._show(run)
        except Exception as exc:  # showing must never lose the run or raise in a thread
            self.stream.widget.layout.display = ""
            self.status.value = _RED.format(
                html.escape(redact(f"{run.state}; the result could not be shown: {exc}"))
            )
        if run.design is not None and run.state != "stopped":
            self._verify(run, run.design)

    def _verify(self, run: Run, design: Design) -> None:
        """Check the design against its plan and stack; the verdict follows the status."""
        from pyt_arch_kit.verify.mermaid import node_parser

        try:
            run.verification = design.verify(run.plan, diagrams=node_parser())
            verdict = run.verification.to_html()
        except Exception as exc:  # the checker must never cost the user their design
            verdict = _RED.format(html.escape(f"verify could not run: {exc.__class__.__name__}"))
        self.status.value += " · " + verdict

    def _show(self, run: Run) -> None:
        bits = [f"<b>{run.state}</b> in {run.elapsed_s:.1f} s"]
        if run.usage is not None:
            bits.append(html.escape(run.usage.summary()))
        if run.error:
            bits.append(_RED.format(html.escape(redact(run.error))))
        if run.state != "done" and run.text:
            bits.append("everything that arrived is kept")
        self.status.value = " · ".join(bits)
        if run.design is not None:
            self.view.show(run, len(self.runs))
        else:
            self.view.failed = run  # the design on screen (if any) stays, and says so
        self.view.mark(self._read())
        # A finished design lives in the tabs; the streamed copy stays only to show what
        # arrived from a run that did not finish.
        self.stream.widget.layout.display = "none" if run.state == "done" else ""

    def export(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Save the latest design as Markdown (``.md``), JSON (``.json``) or HTML (``.html``).

        A run that failed produced no design: the one before it is saved.

        Raises:
            PytArchError: if nothing ran yet, or the file exists and ``overwrite`` is not set.
        """
        from pyt_arch_kit.exports import export_design

        design = next((r.design for r in reversed(self.runs) if r.design is not None), None)
        if design is None:
            raise PytArchError("nothing to export yet: run a design first")
        return export_design(design, path, overwrite=overwrite)
