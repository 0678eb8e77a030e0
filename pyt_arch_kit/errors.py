"""The exceptions pyt_arch_kit raises.

Every error a user can cause derives from :class:`PytArchError` and carries a message that says
what was wrong, where (file, field) and what to do. The CLI and the workbench print that message,
never a traceback, and so does IPython/Jupyter when one ends a cell (``_render_traceback_``).
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "DesignInterruptedError",
    "ExportError",
    "IncompleteDesignError",
    "MissingExtraError",
    "PersonaError",
    "PytArchError",
    "RequirementsError",
    "SettingsError",
]


class PytArchError(Exception):
    """Base class of every error pyt_arch_kit raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show when this error ends a cell: the message, no traceback.

        IPython's ``showtraceback`` uses this hook, when an exception has it, instead of
        formatting the stack; the message already says what was wrong and what to do.
        """
        return [f"{type(self).__name__}: {self}"]


class RequirementsError(PytArchError, ValueError):
    """Requirements are missing, malformed or inconsistent.

    Attributes:
        problems: one ``(location, message)`` pair per problem, e.g.
            ``("latency.p99_ms", "must be ≥ latency.p50_ms (120); raise p99_ms or lower p50_ms")``.
        source: the file the requirements came from, if any.
    """

    def __init__(self, problems: list[tuple[str, str]], *, source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        lines = [f"{loc}: {msg}" if loc else msg for loc, msg in self.problems]
        if len(lines) == 1:
            text = f"{where}{lines[0]}"
        else:
            text = f"{where}{len(lines)} problems\n" + "\n".join(f"  - {ln}" for ln in lines)
        super().__init__(text)


class PersonaError(PytArchError, ValueError):
    """An agent file could not be read or is malformed."""


class SettingsError(PytArchError, ValueError):
    """A setting (environment variable or argument) has an invalid value."""


class ExportError(PytArchError, FileExistsError):
    """An export would overwrite an existing file and overwriting was not asked for.

    The message names the file and the fix (``overwrite=True``, or ``--force`` on the command
    line); the existing file is left untouched.
    """


class BackendError(PytArchError, RuntimeError):
    """A backend failed to produce a design.

    Attributes:
        cause: a short machine-readable cause, e.g. ``"auth"``, ``"rate_limit"``, ``"timeout"``.
        partial_text: whatever text arrived before the failure (never thrown away).
    """

    def __init__(self, message: str, *, cause: str = "backend", partial_text: str = "") -> None:
        super().__init__(message)
        self.cause = cause
        self.partial_text = partial_text


class IncompleteDesignError(BackendError):
    """The answer stopped before it was finished (connection cut, token limit).

    The partial design is kept on :attr:`design`.
    """

    def __init__(self, message: str, *, design: object, cause: str = "incomplete") -> None:
        text = getattr(design, "text", "")
        super().__init__(message, cause=cause, partial_text=text if isinstance(text, str) else "")
        self.design = design


class DesignInterruptedError(IncompleteDesignError, KeyboardInterrupt):
    """Ctrl-C (or a kernel interrupt) stopped a design as it streamed in.

    It is a :class:`KeyboardInterrupt`, so an interrupt still stops the program, and an
    :class:`IncompleteDesignError`, so the text that arrived is kept on :attr:`design`.
    """


class MissingExtraError(BackendError, ImportError):
    """An optional package this feature needs is not installed.

    The message is one line naming the package and the extra that brings it, e.g.
    ``pip install "pyt_arch_kit[lab]"``. It is an ``ImportError`` (so ``from pyt_arch_kit import
    RequirementsForm`` fails the way a Python user expects) and a :class:`BackendError` with
    ``cause="missing_extra"`` (so the command line exits with code 3, like any backend that
    cannot run).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, cause="missing_extra")
