"""The clock is injected everywhere, so hours of deadlines can be replayed in seconds.

Every time is timezone-aware. ``SystemClock`` is real time; ``SimulatedClock`` runs from a chosen
start at N times real speed (replay); ``ManualClock`` moves only when told to (tests).
"""

from __future__ import annotations

import threading
import time
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


class SimulatedClock:
    """Starts at ``start`` and runs ``speed`` times faster than real time."""

    def __init__(self, start: datetime, speed: float = 1.0):
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._start = start
        self._speed = speed
        self._t0 = time.monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._t0) * self._speed
            return self._start + timedelta(seconds=elapsed) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Jump ahead (replay skips quiet stretches)."""
        with self._lock:
            self._offset += delta

    @property
    def speed(self) -> float:
        return self._speed


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
