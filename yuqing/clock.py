"""The clock is injected everywhere, so hours of deadlines can be replayed in seconds.

Every time is timezone-aware. ``SystemClock`` is real time; ``ManualClock`` moves only when told to (replay, which
steps it from post to post, and tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


def ensure_aware(value: datetime, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """Naive datetimes from sources are local time of the configured zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


class SystemClock:
    def __init__(self, tz: ZoneInfo = DEFAULT_TZ):
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ManualClock:
    """A clock that only moves when ``advance`` or ``set`` is called."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware datetime")
        self._now = value
