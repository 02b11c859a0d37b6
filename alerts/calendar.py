"""Working days: weekends and statutory holidays off, adjusted weekends (调休) on.

Message-board deadlines run in working days (皖政办〔2015〕12号), so they need the holiday calendar of
``policy.yaml``. Counting starts the day after receipt and a deadline ends at midnight closing its last
working day, the usual reading of "N 个工作日内".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from yuqing.settings import Calendar


class WorkCalendar:
    """Which days are working days, from the configured holidays and adjusted workdays."""

    def __init__(self, calendar: Calendar):
        self.holidays = frozenset(calendar.holidays)
        self.workdays = frozenset(calendar.workdays)
        self.years = frozenset(d.year for d in self.holidays | self.workdays)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """Whether the calendar lists holidays for ``year`` (otherwise only weekends are known)."""
        return year in self.years

    def add_working_days(self, start: datetime, days: int, tz: tzinfo) -> datetime:
        """The end (next midnight, local time) of the ``days``-th working day after ``start``'s day."""
        if days < 1:
            raise ValueError(f"working days must be at least 1, got {days}")
        day = start.astimezone(tz).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)

    def skipped(self, start: datetime, end: datetime, tz: tzinfo) -> list[date]:
        """Holidays on weekdays between two instants: what made a working-day deadline longer."""
        first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
        out = []
        day = first + timedelta(days=1)
        while day < last:
            if day in self.holidays and day.weekday() < 5:
                out.append(day)
            day += timedelta(days=1)
        return out
