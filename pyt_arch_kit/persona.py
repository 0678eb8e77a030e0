"""Claude Code agent files: YAML front matter plus a Markdown body that is the system prompt."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pyt_arch_kit.errors import PersonaError
from pyt_arch_kit.files import FileRefusedError, read_bounded, shown_path
from pyt_arch_kit.markup import inline

__all__ = ["DEFAULT_PERSONA", "MODEL_ALIASES", "Persona", "load_persona", "resolve_model"]

DEFAULT_PERSONA = "pyt-arch"
#: The largest agent file read (the shipped persona is about 10 KB).
MAX_PERSONA_BYTES = 1024 * 1024

#: The agent file's ``model:`` aliases and the concrete model ids they stand for.
#: Override one with ``PYT_ARCH_MODEL_<ALIAS>`` (e.g. ``PYT_ARCH_MODEL_SONNET=claude-...``).
MODEL_ALIASES: dict[str, str] = {
    "sonnet": "claude-sonnet-5-5",
    "opus": "claude-opus-5-5",
    "haiku": "claude-haiku-5-5",
}


def resolve_model(name: str, env: dict[str, str] | None = None) -> str:
    """Map an alias (``sonnet``, ``opus``, ``haiku``) to a model id; other names pass through.

    Args:
        name: an alias or a concrete model id.
        env: the environment to read overrides from (defaults to ``os.environ``).

    Example:
        >>> resolve_model("sonnet", env={})
        'claude-sonnet-5-5'
        >>> resolve_model("claude-opus-5-5", env={})
        'claude-opus-5-5'
    """
    env = dict(os.environ) if env is None else env
    key = name.strip().lower()
    override = env.get(f"PYT_ARCH_MODEL_{key.upper()}")
    if override:
        return override.strip()
    return MODEL_ALIASES.get(key, name.strip())


@dataclass(frozen=True)
class Persona:
    """An agent persona: who the model is asked to be.

    Attributes:
        name: the agent's name (``pyt-arch``).
        description: one line from the front matter.
        model: the ``model:`` alias or id from the front matter.
        color: the agent's colour in Claude Code.
        tools: tools the agent may use, if the file lists any.
        prompt: the Markdown body, used as the system prompt.
        source: where it was loaded from.
    """

    name: str
    description: str
    model: str
    prompt: str
    color: str = ""
    tools: tuple[str, ...] = ()
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def model_id(self) -> str:
        """The concrete model id the ``model:`` alias resolves to."""
        return resolve_model(self.model)

    def _repr_markdown_(self) -> str:
        return (
            f"**Persona {inline(self.name)}** — {inline(self.description)}\n\n"
            f"model: {inline(self.model)} → {inline(self.model_id)} · "
            f"source: {inline(self.source)} · "
            f"{len(self.prompt.split()):,} words of system prompt"
        )

    @classmethod
    def parse(cls, text: str, *, source: str = "<string>") -> Persona:
        """Parse an agent file's text.

        Raises:
            PersonaError: if the front matter is missing or malformed, or a field is wrong.
        """
        import yaml

        stripped = text.lstrip("\ufeff")
        lines = stripped.splitlines()
        if not lines or lines[0].strip() != "---":
            raise PersonaError(
                f"{source}: an agent file starts with a '---' line, then YAML front matter "
                "(name, description, model), then '---' and the prompt"
            )
        try:
            end = next(i for i, ln in enumerate(lines[1:], 1) if ln.strip() == "---")
        except StopIteration:
            raise PersonaError(
                f"{source}: the front matter is not closed; add a '---' line after it"
            ) from None
        from pyt_arch_kit.yamlload import AliasExpansionError, DuplicateKeyError, load

        try:
            meta = load("\n".join(lines[1:end])) or {}
        except DuplicateKeyError as exc:
            raise PersonaError(
                f"{source}: front matter: '{exc.path}' at line {exc.line + 1} is given twice; "
                "keep one"
            ) from None
        except AliasExpansionError as exc:
            raise PersonaError(f"{source}: front matter: {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark else ""
            raise PersonaError(f"{source}: front matter is not valid YAML{where}") from None
        except (RecursionError, ValueError):  # deep nesting, 5,000-digit ints, bad dates
            raise PersonaError(
                f"{source}: front matter has a value that cannot be read (nested too deeply, a "
                "number with too many digits or an impossible date); quote it"
            ) from None
        if not isinstance(meta, dict):
            raise PersonaError(f"{source}: front matter must be 'key: value' lines")
        for key in ("name", "description"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                raise PersonaError(f"{source}: front matter needs a non-empty '{key}:'")
        model = meta.get("model", "sonnet")
        if not isinstance(model, str) or not model.strip():
            raise PersonaError(f"{source}: 'model:' must be an alias (sonnet, opus, haiku) or id")
        tools_raw = meta.get("tools") or []
        if isinstance(tools_raw, str):
            tools = tuple(t.strip() for t in tools_raw.split(",") if t.strip())
        elif isinstance(tools_raw, list) and all(isinstance(t, str) for t in tools_raw):
            tools = tuple(tools_raw)
        else:
            raise PersonaError(f"{source}: 'tools:' must be a list or comma-separated names")
        body = "\n".join(lines[end + 1 :]).strip()
        if not body:
            raise PersonaError(
                f"{source}: the prompt (the Markdown after the front matter) is empty"
            )
        known = {"name", "description", "model", "color", "tools"}
        return cls(
            name=meta["name"].strip(),
            description=" ".join(meta["description"].split()),
            model=model.strip(),
            color=str(meta.get("color", "")),
            tools=tools,
            prompt=body,
            source=source,
            extra={k: v for k, v in meta.items() if k not in known},
        )


def load_persona(source: str | Path | None = None) -> Persona:
    """Load a persona: a shipped one by name, or any agent file by path.

    Args:
        source: ``None`` or ``"pyt-arch"`` for the shipped persona, another shipped name, or the
            path of a Claude Code agent file (``.md``).

    Raises:
        PersonaError: if the file is missing or malformed.

    Example:
        >>> load_persona().name
        'pyt-arch'
    """
    name = DEFAULT_PERSONA if source is None else str(source)
    shipped = resources.files("pyt_arch_kit") / "personas" / f"{name}.md"
    if "/" not in name and not name.endswith(".md") and shipped.is_file():
        return Persona.parse(shipped.read_text(encoding="utf-8"), source=f"builtin:{name}")
    path = Path(name)
    shown = shown_path(path)
    try:
        text = read_bounded(path, limit=MAX_PERSONA_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise PersonaError(
            f"{shown}: agent file not found; give a path to a .md agent file or a shipped "
            f"persona name ({DEFAULT_PERSONA})"
        ) from None
    except FileRefusedError as exc:
        raise PersonaError(f"{shown} {exc}; give a Claude Code agent file (.md)") from None
    except UnicodeDecodeError as exc:
        raise PersonaError(
            f"{shown}: cannot be read as UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PersonaError(f"{shown}: cannot be read ({reason})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise PersonaError(f"{str(path)!r}: not a usable file path; check the name") from None
    return Persona.parse(text, source=shown)
