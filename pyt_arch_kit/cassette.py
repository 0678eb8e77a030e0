"""Record model exchanges to a file and replay them with no key and no network."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pyt_arch_kit.errors import BackendError

__all__ = ["Cassette", "fingerprint"]


def fingerprint(body: dict[str, Any]) -> str:
    """A stable id of a request: the model, system prompt, messages and token limit.

    Headers (and so the key) never enter it.
    """
    canonical = {k: body.get(k) for k in ("model", "system", "messages", "max_tokens")}
    raw = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


class Cassette:
    """A JSON file of recorded exchanges keyed by request fingerprint."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 1, "exchanges": {}}
        except (OSError, json.JSONDecodeError) as exc:
            raise BackendError(
                f"cassette {self.path} cannot be read ({exc.__class__.__name__}); "
                "delete it to record again",
                cause="cassette",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("exchanges"), dict):
            raise BackendError(
                f"cassette {self.path} is not a pyt_arch_kit cassette", cause="cassette"
            )
        return data

    def get(self, key: str) -> dict[str, Any] | None:
        """The recorded exchange for a fingerprint, if any."""
        found = self._load()["exchanges"].get(key)
        return found if isinstance(found, dict) else None

    def put(self, key: str, exchange: dict[str, Any]) -> None:
        """Record an exchange, writing the file atomically."""
        data = self._load()
        data["exchanges"][key] = exchange
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, ensure_ascii=False, sort_keys=True)
                handle.write("\n")
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
