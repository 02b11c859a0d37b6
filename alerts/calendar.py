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

    def coverage_warning(self, today: date, ahead_days: int = 60) -> str | None:
        """What to tell an administrator when working-day deadlines from ``today`` may reach a year the calendar
        does not list (message-board deadlines run up to 15 working days, about three weeks)."""
        missing = sorted({y for y in (today.year, (today + timedelta(days=ahead_days)).year) if not self.covers(y)})
        if not missing:
            return None
        return (f"policy.yaml calendar lists no holidays for {', '.join(map(str, missing))}: working-day deadlines "
                "there skip weekends only. Add the State Council's holiday schedule (published each November) "
                "under calendar.holidays and calendar.workdays")

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
