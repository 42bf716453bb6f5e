"""What a failed requirement shows a student: the call that was sent, what came back, why it is wrong.

A check raises CheckFailed with the exchange it judged, so every failure message has the same
three parts and nobody has to read a traceback (``KeyError: 'location'``) to learn what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

PREVIEW_CHARS = 300


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The first `limit` characters of `text` on one line, marked when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Exchange:
    """One call to the service as a person would describe it: what was sent and what came back."""

    sent: str
    got: str


class CheckFailed(AssertionError):
    """The service broke the requirement; `reason` says how, `exchange` shows the call that proves it."""

    def __init__(self, reason: str, exchange: Exchange | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exchange = exchange


def expect(condition: object, reason: str, exchange: Exchange | None = None) -> None:
    """Fail with `reason` (and the exchange that shows it) unless `condition` holds."""
    if not condition:
        raise CheckFailed(reason, exchange)
