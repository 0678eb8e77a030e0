"""The replay backend: answers only from a recorded cassette, with no key and no network."""

from __future__ import annotations

from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.errors import SettingsError
from pyt_arch_kit.settings import Settings

__all__ = ["ReplayBackend"]


class ReplayBackend(ClaudeBackend):
    """Replays the Claude exchanges recorded in ``PYT_ARCH_CASSETTE``; never calls the API.

    A request that was never recorded fails loudly with its fingerprint.
    """

    name = "replay"

    def __init__(
        self, settings: Settings | None = None, *, model: str | None = None, api_key: None = None
    ) -> None:
        settings = settings or Settings.from_env()
        if settings.cassette is None:
            raise SettingsError(
                "the replay backend needs a cassette: set PYT_ARCH_CASSETTE=path/to/cassette.json"
            )
        super().__init__(settings, model=model, replay_only=True)
