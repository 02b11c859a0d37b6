"""Parse the publish times that Chinese sites and social APIs print, into timezone-aware datetimes.

Common shapes ("2019年05月12日 16:25", "2019-05-12 16:25:01", "3小时前", "昨天 08:10", Unix
timestamps, Weibo's ``created_at``, RFC 2822, ISO 8601) go through compiled regular expressions and
the standard library, because a crawler parses one per item; anything else falls through to
dateparser, which is slower but knows many more forms. Times without an offset are read in ``tz``
(China has one zone); relative ones ("3小时前") count back from the injected ``now``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Shanghai"
# Longer strings are searched for a date, but only their head: a time is never kilobytes away.
_MAX_INPUT = 256
_MAX_DATEPARSER_INPUT = 64
_MIN_YEAR, _MAX_YEAR = 1970, 2100
PLAUSIBLE_YEARS = (_MIN_YEAR, _MAX_YEAR)  # a publish time outside these is a typo or a placeholder

_TIME = (
    r"(?:\s*(?:T|-|_|\s)\s*|\s*)"
    r"(?:(?P<ampm>上午|下午|晚上|凌晨|中午|早上|早晨|傍晚)\s*)?"
    r"(?P<H>\d{1,2})\s*(?:(?::|：|时|点)\s*(?P<M>\d{1,2})|(?:时|点)(?!\s*\d))"  # 9:30, 9点30, 上午9点
    r"(?:\s*(?::|：|分)\s*(?P<S>\d{1,2})(?:[.,](?P<frac>\d{1,9}))?)?\s*(?:分|秒)?"
    r"(?:\s*(?P<tz>Z|z|UTC|GMT|[+-]\d{2}:?\d{2}(?!\d)))?"
)
# 2019-05-12, 2019/5/12, 2019.05.12, 2019年5月12日, 19-05-12, with an optional time and offset.
_FULL_DATE = re.compile(
    r"(?<!\d)(?P<y>\d{4}|\d{2})\s*"
    r"(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)|年\s*(?P<cn_m>\d{1,2})\s*月)\s*(?P<d>\d{1,2})(?!\d+(?![\d:：时点]))"  # not 08/04/20|26
    r"\s*日?(?:" + _TIME + r")?"
)
# 20190512 or 20190512162501 on its own.
_COMPACT_DATE = re.compile(
    r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?:(?P<H>[0-2]\d)(?P<M>[0-5]\d)(?P<S>[0-5]\d)?)?$"
)
# 5月12日 [16:25] and 05-12 16:25 (the dashed form only with a time, else it is any number pair).
_MONTH_DAY_CN = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日(?:" + _TIME + r")?")
_MONTH_DAY_DASH = re.compile(r"(?<![\d/.-])(?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?![\d/.-])" + _TIME)
# A whole field that is only "05-12" (Weibo's created_at for this year) is a month and a day.
_BARE_MONTH_DAY = re.compile(r"^(?P<m>\d{1,2})[-/](?P<d>\d{1,2})$")
_CN_NUMBERS = {
    "半": 0.5,
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "几": 3,
}
_AGO = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|[半一两二三四五六七八九十几])\s*(?:个)?\s*(?:多)?\s*"
    r"(?P<unit>秒钟?|分钟|分|小时|钟头|天|日|周|星期|礼拜|月|年)\s*(?:多)?\s*(?:以)?前"
)
_UNIT_SECONDS = {
    "秒": 1, "秒钟": 1, "分": 60, "分钟": 60, "小时": 3600, "钟头": 3600, "天": 86400, "日": 86400,
    "周": 7 * 86400, "星期": 7 * 86400, "礼拜": 7 * 86400, "月": 30 * 86400, "年": 365 * 86400,
}  # fmt: skip
_DAY_WORD = re.compile(
    r"(?P<word>今天|今日|昨天|昨日|前天|大前天)"
    r"(?:\s*(?:(?P<ampm>上午|下午|晚上|凌晨|中午|早上|早晨|傍晚)\s*)?(?P<H>\d{1,2})\s*(?::|：|时|点)\s*(?P<M>\d{1,2})?)?"
)
_DAY_OFFSET = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}
_JUST_NOW = re.compile(r"刚刚|刚才|just now", re.IGNORECASE)
_TIMESTAMP = re.compile(r"^\s*(?P<n>\d{9,10}|\d{12,13})(?:\.\d+)?\s*$")
# Weibo and Twitter: "Sun May 12 16:25:00 +0800 2019".
_WEIBO = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$")
# RFC 2822: "Sat, 12 May 2019 08:25:00 +0800" (weekday optional).
_RFC2822 = re.compile(r"^(?:[A-Z][a-z]{2},\s*)?\d{1,2} [A-Z][a-z]{2} \d{4} \d{1,2}:\d{2}")
_HAS_DIGIT_OR_WORD = re.compile(r"\d|ago|yesterday|today|now|前|昨|今|刚", re.IGNORECASE)


@lru_cache(maxsize=16)
def real_date(year: int, month: int, day: int) -> bool:
    """Whether a calendar has this day (2019-02-30 and 2019-13-01 are none)."""
    try:
        datetime(year, month, day)
    except ValueError:
        return False
    return True


# Year, month and day as people write them: 2019-05-01, 2019/05/01, 2019.5.1, 2019年5月1日.
_WRITTEN_DATE = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")


def impossible_written_date(text: str) -> bool:
    """Whether ``text`` starts with a year-month-day no calendar has (2019-13-01, 2019/02/30): lenient parsing
    would read it some other way (2019-13-01 as 13 January), so callers refuse it instead."""
    written = _WRITTEN_DATE.match(text)
    return written is not None and not real_date(*map(int, written.groups()))


def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def _hour(hour: int, ampm: str | None) -> int:
    """Apply 上午/下午 to a 12-hour clock reading."""
    if ampm in ("下午", "晚上", "傍晚") and hour < 12:
        return hour + 12
    if ampm == "中午" and hour < 11:
        return hour + 12
    if ampm == "凌晨" and hour == 12:
        return 0
    return hour


def _offset(text: str | None, zone: tzinfo) -> tzinfo:
    """The tzinfo for an explicit offset ("+08:00", "Z"), or the default zone when there is none."""
    if not text:
        return zone
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _build(
    year: int, month: int, day: int, match: re.Match[str], zone: tzinfo, has_time: bool = True
) -> datetime | None:
    """A datetime from regex groups, or None when the numbers are not a real date."""
    groups = match.groupdict()
    hour = minute = second = micro = 0
    if has_time and groups.get("H") is not None:
        hour = _hour(int(groups["H"]), groups.get("ampm"))
        minute = int(groups["M"] or 0)
        second = int(groups.get("S") or 0)
        frac = groups.get("frac")
        if frac:
            micro = int(frac[:6].ljust(6, "0"))
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=_offset(groups.get("tz"), zone))
    except ValueError:
        return None


def _matches(pattern: re.Pattern[str], text: str, at_start: bool) -> Iterator[re.Match[str]]:
    if at_start:
        match = pattern.match(text)
        if match:
            yield match
    else:
        yield from pattern.finditer(text)


def _full_date(text: str, zone: tzinfo, at_start: bool = False) -> datetime | None:
    for match in _matches(_FULL_DATE, text, at_start):
        year_text = match["y"]
        if len(year_text) == 2:
            if match["sep"] == ".":  # "3.5.12" is a version number, not a date
                continue
            year = 2000 + int(year_text)
        else:
            year = int(year_text)
        result = _build(year, int(match["m"] or match["cn_m"]), int(match["d"]), match, zone)
        if result is not None:
            return result
    return None


def _compact(text: str, zone: tzinfo) -> datetime | None:
    match = _COMPACT_DATE.match(text)
    if match is None:
        return None
    return _build(int(match["y"]), int(match["m"]), int(match["d"]), match, zone)


def _month_day(text: str, current: datetime, at_start: bool = False) -> datetime | None:
    """A date without a year: this year, or last year if that would be in the future."""
    for pattern in (_MONTH_DAY_CN, _MONTH_DAY_DASH):
        for match in _matches(pattern, text, at_start):
            month, day = int(match["m"]), int(match["d"])
            result = _build(current.year, month, day, match, current.tzinfo or UTC)
            if result is None and (month, day) == (2, 29):
                result = _build(current.year - 1, month, day, match, current.tzinfo or UTC)
            if result is None:
                continue
            if result > current:
                try:
                    result = result.replace(year=result.year - 1)
                except ValueError:  # 29 February of a leap year, seen from the next year
                    continue
            return result
    return None


def _bare_month_day(text: str, current: datetime) -> datetime | None:
    """"05-12" alone: this year's 12 May at midnight, or last year's if that is still ahead (or this year has no
    such day: "02-29" read in 2025 is 2024's)."""
    match = _BARE_MONTH_DAY.match(text)
    if match is None:
        return None
    month, day = int(match["m"]), int(match["d"])
    for year in (current.year, current.year - 1):
        try:
            result = datetime(year, month, day, tzinfo=current.tzinfo or UTC)
        except ValueError:
            continue
        if result <= current:
            return result
    return None


def _month_day_shaped(text: str) -> bool:
    """Whether the whole of ``text`` is a month and a day without a year ("02-29", "13-01 10:00", "2月30日"). One the
    two years a year-less date may mean (this one, the last) do not have is no date: dateparser would read "02-29" as
    2002-11-29 and "13-01" as 2013-01 of today's day."""
    return any(p.fullmatch(text) for p in (_BARE_MONTH_DAY, _MONTH_DAY_DASH, _MONTH_DAY_CN))


def is_date_only(text: object) -> bool:
    """Whether ``text`` is a date alone, with no time of day ("05-12", "2019-05-12", "2019年5月12日", "20190512").
    It reads as that day's midnight, which is no publish time: callers keep the day and say the clock is unknown."""
    if not isinstance(text, str):
        return False
    text = _arabic_dates(text.strip()[:_MAX_INPUT])
    match = _BARE_MONTH_DAY.fullmatch(text) or _MONTH_DAY_CN.fullmatch(text)
    if match is not None:
        return match.groupdict().get("H") is None and real_date(2000, int(match["m"]), int(match["d"]))  # (a leap year)
    match = _COMPACT_DATE.fullmatch(text) or _FULL_DATE.fullmatch(text)
    if match is None or match["H"] is not None:
        return False
    groups = match.groupdict()
    if len(match["y"]) == 2 and groups.get("sep") == ".":  # "3.5.12" is a version number (as _full_date reads it)
        return False
    year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
    month = int(groups.get("m") or groups.get("cn_m") or 0)
    return _MIN_YEAR <= year <= _MAX_YEAR and real_date(year, month, int(match["d"]))


def latest_time_on(day: date, now: datetime) -> datetime:
    """The latest a post known only by its ``day`` can have been published: the end of that day in ``now``'s zone, or
    ``now`` when that is earlier (today's date). Never earlier than the truth, so an event it joins is not
    dated before anyone could have seen it, as midnight dated it."""
    end = datetime.combine(day, time(23, 59, 59), tzinfo=now.tzinfo)
    return min(end, now)


def _relative(text: str, current: datetime, at_start: bool = False) -> datetime | None:
    if next(_matches(_JUST_NOW, text, at_start), None):
        return current
    match = next(_matches(_AGO, text, at_start), None)
    if match:
        raw = match["n"]
        amount = _CN_NUMBERS[raw] if raw in _CN_NUMBERS else float(raw)
        unit = match["unit"]
        return current - timedelta(seconds=amount * _UNIT_SECONDS[unit])
    match = next(_matches(_DAY_WORD, text, at_start), None)
    if match:
        day = (current - timedelta(days=_DAY_OFFSET[match["word"]])).date()
        hour = minute = 0
        if match["H"] is not None:
            hour, minute = _hour(int(match["H"]), match["ampm"]), int(match["M"] or 0)
        try:
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=current.tzinfo)
        except ValueError:
            return None
    return None


def _timestamp(text: str, zone: tzinfo) -> datetime | None:
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    number = int(match["n"])
    seconds = number / 1000 if len(match["n"]) > 10 else number
    try:
        result = datetime.fromtimestamp(seconds, tz=zone)
    except (OverflowError, OSError, ValueError):
        return None
    return result if _MIN_YEAR <= result.year <= _MAX_YEAR else None


def _email_style(text: str) -> datetime | None:
    try:
        if _WEIBO.match(text):
            return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        if _RFC2822.match(text):
            result = parsedate_to_datetime(text)
            return result if result.tzinfo is not None else None
    except (TypeError, ValueError, IndexError):
        return None
    return None


def _with_dateparser(text: str, current: datetime, tz: str) -> datetime | None:
    """The slow path, for forms the regexes do not know ("May 12, 2019", "3 hours ago")."""
    if len(text) > _MAX_DATEPARSER_INPUT or not _HAS_DIGIT_OR_WORD.search(text):
        return None
    import dateparser  # imported on first use: it takes a second to load its language data

    settings = {
        "RELATIVE_BASE": current.replace(tzinfo=None),
        "TIMEZONE": tz,
        "TO_TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "YMD",
    }
    try:
        result = dateparser.parse(text, languages=["zh", "en"], settings=settings)
    except Exception as error:  # dateparser raises assorted errors on odd input; a miss is not fatal
        log.debug("dateparser could not read %r: %s", text, error)
        return None
    if result is None or result.tzinfo is None or not _MIN_YEAR <= result.year <= _MAX_YEAR:
        return None
    return result.astimezone(current.tzinfo)  # a zoneinfo zone, not dateparser's pytz one


def local_now(now: datetime | None = None, tz: str = DEFAULT_TZ) -> datetime:
    """``now`` in ``tz`` (a naive ``now`` is read as ``tz``); the current time when None."""
    try:
        zone = _zone(tz)
    except (KeyError, ValueError) as error:
        log.warning("unknown time zone %r (%s); using %s", tz, error, DEFAULT_TZ)
        zone = _zone(DEFAULT_TZ)
    if now is None:
        return datetime.now(zone)
    if now.tzinfo is None:
        return now.replace(tzinfo=zone)
    return now.astimezone(zone)


# Official documents date themselves in Chinese numerals: 二〇二四年五月二十日.
_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DATE = re.compile(r"(?P<y>[〇零○一二三四五六七八九]{4})\s*年\s*(?P<m>十[一二]?|[一二三四五六七八九])\s*月"
                      r"\s*(?P<d>[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*日")


def _small_number(text: str) -> int:
    """一…九, 十, 十一…十九, 二十…三十一."""
    if "十" not in text:
        return _CN_DIGIT[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _arabic_dates(text: str) -> str:
    """二〇二四年五月二十日 → 2024年5月20日, so the ordinary date patterns read it."""
    if "年" not in text or "月" not in text:
        return text
    return _CN_DATE.sub(lambda m: f"{''.join(str(_CN_DIGIT[c]) for c in m['y'])}年{_small_number(m['m'])}月"
                                  f"{_small_number(m['d'])}日", text)


def find_datetime(
    text: str,
    now: datetime | None = None,
    tz: str = DEFAULT_TZ,
    *,
    at_start: bool = False,
    relative: bool = False,
) -> datetime | None:
    """The first date in running text ("来源：新华社 2019-05-12 16:25"), else None.

    Relative words are ignored unless ``relative`` is set: in prose "三天前" is not a timestamp,
    in a byline it is. ``at_start`` accepts only a date that opens the text (the one after a label).
    """
    if not isinstance(text, str) or not text.strip():
        return None
    current = local_now(now, tz)
    text = _arabic_dates(text.lstrip()[:_MAX_INPUT] if at_start else text)
    found = _full_date(text, current.tzinfo or UTC, at_start) or _month_day(text, current, at_start)
    if found is None and relative:
        found = _relative(text, current, at_start)
    return found


def parse_time(text: str, now: datetime | None = None, tz: str = DEFAULT_TZ) -> datetime | None:
    """Read a publish time; None when ``text`` holds none. Never raises.

    ``now`` anchors relative forms and year-less dates (default: the current time); a naive
    ``now`` is taken to be in ``tz``.
    """
    if not isinstance(text, str):
        return None
    text = _arabic_dates(text.strip()[:_MAX_INPUT])
    if not text:
        return None
    current = local_now(now, tz)
    zone = current.tzinfo or UTC
    tz_name = str(zone)
    return (
        _timestamp(text, zone)
        or _email_style(text)
        or _compact(text, zone)
        or _full_date(text, zone)
        or _relative(text, current)
        or _month_day(text, current)
        or _bare_month_day(text, current)
        or (None if _month_day_shaped(text) else _with_dateparser(text, current, tz_name))
    )
