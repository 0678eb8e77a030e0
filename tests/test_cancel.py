"""Cancelling a design in flight: the backend closes the answer's connection, not waits for it.

A reader blocked on a stalled stream does not see a cancel flag until bytes arrive; a
:class:`~pyt_arch_kit.backends.base.Cancel` set from another thread shuts the connection down,
so ``write`` returns at once with what arrived (the workbench's Stop relies on it).
"""

from __future__ import annotations

import threading
import time

from pyt_arch_kit import preset
from pyt_arch_kit.architect import Architect
from pyt_arch_kit.backends.base import Cancel
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.design import Design
from pyt_arch_kit.settings import Settings
from tests.fake_api import FakeAnthropic, Stall, Stream, design_text


def test_cancel_closes_a_stalled_stream_and_keeps_what_arrived(fake_api: FakeAnthropic) -> None:
    text = design_text("orders") * 5
    fake_api.queue(Stream(text, fault=Stall(40), fault_after=500))
    backend = ClaudeBackend(Settings.from_env())
    request = Architect(backend=backend).request(preset("io-bound-api"))
    cancel = Cancel()
    arrived: list[str] = []
    result: list[Design] = []
    worker = threading.Thread(
        target=lambda: result.append(backend.write(request, on_text=arrived.append, cancel=cancel)),
        daemon=True,
    )
    worker.start()
    assert fake_api.stalling.wait(60), (result, fake_api.messages)
    for _ in range(200):
        if len("".join(arrived)) >= 500:
            break
        time.sleep(0.05)
    cancelled = time.monotonic()
    cancel.set()
    worker.join(30)
    waited = time.monotonic() - cancelled
    assert not worker.is_alive() and waited < 5, f"write returned {waited:.1f} s after cancel"
    design = result[0]
    assert design.stop_reason == "cancelled" and not design.complete
    assert len(design.text) >= 500 and text.startswith(design.text)


def test_a_cancel_hook_registered_after_the_flag_is_set_runs_at_once() -> None:
    cancel = Cancel()
    ran: list[str] = []
    cancel.on_set(lambda: ran.append("before"))
    cancel.set()
    cancel.on_set(lambda: ran.append("after"))
    cancel.set()  # a second set runs nothing twice
    assert ran == ["before", "after"] and cancel.is_set()
