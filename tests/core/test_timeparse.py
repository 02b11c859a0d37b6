"""Publish times as Chinese sites and social APIs print them become aware datetimes."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from yuqing.timeparse import find_datetime, is_date_only, latest_time_on, parse_time

SH = timezone(timedelta(hours=8))
# A fixed "now" (fetch time) in Shanghai: Friday 1 March 2024, 12:00.
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=SH)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年05月12日 16:25", at(2019, 5, 12, 16, 25)),
        ("2019年5月12日16时25分", at(2019, 5, 12, 16, 25)),
        ("2019-05-12 16:25:01", at(2019, 5, 12, 16, 25, 1)),
        ("2019/5/12", at(2019, 5, 12)),
        ("2019.08.20", at(2019, 8, 20)),
        ("20190512", at(2019, 5, 12)),
        ("发布时间：2019-05-18 来源：中国地理学会", at(2019, 5, 18)),
        ("发布时间：18-03-0823:16", at(2018, 3, 8, 23, 16)),  # baijiahao prints the year in two digits
        ("2007-08-20-23:59:59", at(2007, 8, 20, 23, 59, 59)),  # gov.cn's firstpublishedtime
        ("12月28日 下午3:05", at(2023, 12, 28, 15, 5)),
        ("昨天下午3点", at(2024, 2, 29, 15, 0)),
        ("2026年4月8日 上午9点", at(2026, 4, 8, 9, 0)),  # an hour without minutes
        ("2026年4月8日下午3点20分", at(2026, 4, 8, 15, 20)),
        ("二〇二四年五月二十日", at(2024, 5, 20)),  # official documents date themselves in Chinese numerals
        ("二〇二三年十二月三十一日 09:30", at(2023, 12, 31, 9, 30)),
    ],
)
def test_absolute_chinese_and_numeric_forms(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3小时前", NOW - timedelta(hours=3)),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("2天前", NOW - timedelta(days=2)),
        ("半小时前", NOW - timedelta(minutes=30)),
        ("刚刚", NOW),
        ("昨天 08:10", at(2024, 2, 29, 8, 10)),  # 2024 is a leap year
        ("前天 10:00", at(2024, 2, 28, 10, 0)),
        ("今天 09:00", at(2024, 3, 1, 9, 0)),
        ("3 hours ago", NOW - timedelta(hours=3)),
    ],
)
def test_relative_forms_count_back_from_the_injected_now(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


def test_relative_forms_use_the_zone_not_the_zone_of_now() -> None:
    """At 20:00 UTC it is already the next day in Shanghai: "今天" is that day."""
    now_utc = datetime(2024, 2, 29, 20, 0, tzinfo=UTC)
    assert parse_time("今天 09:00", now=now_utc) == at(2024, 3, 1, 9, 0)


def test_year_less_dates_take_this_year_or_last() -> None:
    assert parse_time("02-28 16:25", now=NOW) == at(2024, 2, 28, 16, 25)
    assert parse_time("05-12 16:25", now=NOW) == at(2023, 5, 12, 16, 25)  # May 2024 is in the future
    assert parse_time("12-31 23:00", now=at(2024, 1, 1, 0, 30)) == at(2023, 12, 31, 23, 0)
    assert parse_time("5月12日", now=NOW) == at(2023, 5, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-09-07T13:43:45+08:00", at(2019, 9, 7, 13, 43, 45)),
        ("2019-05-12T08:25:00Z", datetime(2019, 5, 12, 8, 25, tzinfo=UTC)),
        ("2019-05-12T08:25:00.123-05:00", datetime(2019, 5, 12, 13, 25, 0, 123000, tzinfo=UTC)),
        ("Sat, 12 May 2019 08:25:00 +0800", at(2019, 5, 12, 8, 25)),
        ("Sun May 12 16:25:00 +0800 2019", at(2019, 5, 12, 16, 25)),  # Weibo created_at
        ("1557649500", at(2019, 5, 12, 16, 25)),
        ("1557649500123", at(2019, 5, 12, 16, 25, 0) + timedelta(milliseconds=123)),
        ("May 12, 2019", at(2019, 5, 12)),
    ],
)
def test_machine_formats_keep_their_instant(text: str, expected: datetime) -> None:
    result = parse_time(text, now=NOW)
    assert result == expected
    assert result is not None and result.utcoffset() is not None


def test_every_result_is_timezone_aware_and_naive_times_are_read_in_tz() -> None:
    result = parse_time("2019-05-12 16:25", now=NOW, tz="UTC")
    assert result == datetime(2019, 5, 12, 16, 25, tzinfo=UTC)
    result = parse_time("2019-05-12 16:25")
    assert result is not None and result.utcoffset() == timedelta(hours=8)


def test_a_naive_now_is_read_in_tz() -> None:
    assert parse_time("1小时前", now=datetime(2024, 3, 1, 12, 0)) == at(2024, 3, 1, 11, 0)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "无", "2019-13-45", "2019-02-30 10:00", "99999999999999999999", None, 12345, "{}"],
)
def test_unparseable_input_gives_none(text: object) -> None:
    assert parse_time(text, now=NOW) is None  # type: ignore[arg-type]


def test_unknown_zone_falls_back_to_shanghai() -> None:
    assert parse_time("2019-05-12 16:25", now=NOW, tz="Mars/Olympus") == at(2019, 5, 12, 16, 25)


def test_find_datetime_ignores_relative_words_in_prose() -> None:
    assert find_datetime("三天前他说，2019年5月12日他在北京", now=NOW) == at(2019, 5, 12)
    assert find_datetime("三天前他说", now=NOW) is None
    assert find_datetime("：2019-09-23 14:34:05 所属分类", now=NOW, at_start=True) is None
    assert find_datetime(" 2019-09-23 14:34:05 所属分类", now=NOW, at_start=True) == at(
        2019, 9, 23, 14, 34, 5
    )


def test_common_formats_take_the_fast_path() -> None:
    """Regular expressions, not dateparser: a crawler parses one time per item."""
    sys.modules.pop("dateparser", None)
    for text in ("2019年05月12日 16:25", "2019-05-12 16:25:01", "3小时前", "昨天 08:10", "1557649500"):
        assert parse_time(text, now=NOW) is not None
    assert "dateparser" not in sys.modules


def test_a_bare_month_day_field_is_this_year_not_a_two_digit_year() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_time("05-12", now=now) == datetime(2026, 5, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_time("11-24", now=now) == datetime(2026, 11, 24, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_time("12-30", now=now) == datetime(2025, 12, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_four_digit_year_after_day_and_month_is_not_read_as_a_two_digit_year() -> None:
    """08/04/2026 is not 2008-04-20 (the 20 of 2026 taken for the day)."""
    parsed = parse_time("08/04/2026", now=NOW)
    assert parsed is not None and parsed.year == 2026


def test_a_chinese_numeral_date_is_found_in_running_text() -> None:
    assert find_datetime("发布日期：二〇二四年五月二十日 来源：市政府办公厅", now=NOW) == at(2024, 5, 20)


@pytest.mark.parametrize(
    ("text", "alone"),
    [("05-12", True), ("2019-05-12", True), ("2019年5月12日", True), ("二〇二四年五月二十日", True), ("20190512", True),
     (" 11-25 ", True), ("05-12 16:25", False), ("2019-05-12 16:25", False), ("20190512162501", False),
     ("昨天 08:10", False), ("3小时前", False), ("Sun May 12 16:25:00 +0800 2019", False), ("", False), (None, False),
     ("2019/57/12", False), ("2019-02-30", False), ("13-45", False)],
)
def test_a_date_without_its_time_of_day_is_told_apart(text: object, alone: bool) -> None:
    assert is_date_only(text) is alone


def test_a_date_alone_is_placed_at_the_latest_it_can_have_been() -> None:
    assert latest_time_on(at(2024, 2, 27).date(), NOW) == at(2024, 2, 27, 23, 59, 59), "the end of that day"
    assert latest_time_on(NOW.date(), NOW) == NOW, "today's date: no later than the fetch"


@pytest.mark.parametrize("text", ["02-29", "02-29 10:00", "2月29日", "02-30", "13-01", "13/01", "00-12", "11-31",
                                  "11-31 10:00", "2月30日"])
def test_a_month_day_no_calendar_has_in_the_window_is_no_date(text: str) -> None:
    """A year-less date is this year's or last year's; 02-29 in 2026 (neither has one) was read by dateparser as
    2002-11-29, 13-01 as 2013-01 of today's day."""
    now = datetime(2026, 11, 27, 12, 0, tzinfo=SH)
    assert parse_time(text, now=now) is None


def test_the_29th_of_february_is_last_years_when_this_year_has_none() -> None:
    a_year_after_a_leap_year = datetime(2025, 3, 1, 12, 0, tzinfo=SH)
    assert parse_time("02-29", now=a_year_after_a_leap_year) == at(2024, 2, 29)
    assert parse_time("02-29 10:00", now=a_year_after_a_leap_year) == at(2024, 2, 29, 10)
    assert parse_time("2月29日", now=a_year_after_a_leap_year) == at(2024, 2, 29)
    before_it_in_a_leap_year = datetime(2024, 1, 10, 12, 0, tzinfo=SH)
    assert parse_time("02-29", now=before_it_in_a_leap_year) is None, "2024's is ahead, 2023 has none"
