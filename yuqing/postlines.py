"""Posts from JSON lines, leniently: what ``yuqing analyze`` and ``yuqing replay`` read.

A line needs an ``id`` and ``text``; ``published_at``/``fetched_at`` may be ISO 8601 (naive means the
configured zone), a Unix timestamp or a date a person would write; ``published_precision: "day"`` says the publish
time is known only by its day (as a crawled post exported from the index says), and a ``published_at`` that is a
date alone ("2026-11-20") is read as the crawler reads one (``crawler.spiders.base`` ``publish_time``): at the end
of that day (or ``now`` when earlier), marked ``day``, never at its midnight; ``region`` may be an object or a
place name (resolved by the injected gazetteer); ``source_type`` is one of sources.yaml's types. Unknown fields
are dropped: they could carry personal data that de-identification never sees. Every bad line raises ``BadLine`` saying what to fix.

Messages name the field, the problem and the fix, never the value: a field filled from the wrong column may
hold a phone number, an ID number or a name, and a message goes to a terminal or a log unmasked (domain.md §6).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any, get_args

from pydantic import ValidationError

from yuqing import timeparse
from yuqing.clock import ensure_aware
from yuqing.contract import LONE_SURROGATE, MediaTier, Post, Region
from yuqing.settings import SourceType

POST_FIELDS = ("id", "text", "title", "published_at", "published_precision", "fetched_at", "source", "region",
               "source_type", "media_tier", "url", "author", "engagement", "reply", "status", "lang")

RegionResolver = Callable[[str], Region | None]
# The tier of a post that carries no media_tier, from its source and url (analysis.media_outlets).
TierResolver = Callable[[str, str | None, str | None], MediaTier]  # (source, url, source_type)


class BadLine(ValueError):
    """A line that cannot become a post; the message says why and how to fix it."""


def load_json_line(line: str) -> Any:
    """One line's JSON value; BadLine says why it cannot be read (never another exception)."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise BadLine("nested too deeply to read (arrays or objects inside each other thousands of times); write "
                      "one flat post object per line") from exc
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise BadLine(f"cannot be read: {exc}") from exc


def _repaired(value: Any, field: str, repaired: set[str]) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD; fields repaired are added."""
    if isinstance(value, str):
        if LONE_SURROGATE.search(value):
            repaired.add(field)
            return LONE_SURROGATE.sub("\ufffd", value)
        return value
    if isinstance(value, list):
        return [_repaired(v, field, repaired) for v in value]
    if isinstance(value, dict):
        return {_repaired(k, field, repaired): _repaired(v, field, repaired) for k, v in value.items()}
    return value


def parse_time(value: Any, tz: Any, field: str, now: datetime | None = None,
               absolute: bool = False) -> datetime | None:
    """A time from a number (Unix seconds or milliseconds) or a string as people and sites write it: ISO 8601,
    2026年4月8日 上午9点, 昨天 08:10, 3小时前 (``yuqing.timeparse``; relative ones count back from ``now``).
    With ``absolute``, a time that depends on ``now`` (3小时前, or a date without its year) is refused: a replay
    has no "now" but the one its posts make."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadLine(f"{field} must be a date-time string, got {type(value).__name__}")
    if isinstance(value, int | float):
        if not value > 0:  # 0 (and NaN) is what a missing time is written as, not 1 January 1970
            raise BadLine(f"{field} is a placeholder (zero, negative or NaN), not a time; leave the field out or "
                          "write it as 2026-04-08T09:30:00+08:00")
        try:  # milliseconds when it is too large for seconds (after the year 5138)
            parsed = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz)
        except (OverflowError, OSError, ValueError):  # NaN, or beyond the years a datetime can hold
            raise BadLine(f"{field} is a number too large for a Unix time in seconds or milliseconds; write it as "
                          "2026-04-08T09:30:00+08:00") from None
        return _plausible(parsed, field)
    digits = value.strip()
    if not digits.isascii():  # ² and ٣ are digits to isdigit(), not to a date
        digits = ""
    if digits.isdigit() and len(digits) in (10, 13):  # a Unix time in seconds or milliseconds, written as text
        return parse_time(int(digits), tz, field, now, absolute)
    if digits.isdigit() and len(digits) in (8, 14):  # 20190501, 20190501103000
        try:
            compact = datetime.strptime(digits, "%Y%m%d%H%M%S" if len(digits) == 14 else "%Y%m%d")
            return _plausible(compact.replace(tzinfo=tz), field)
        except ValueError:
            raise BadLine(f"{field} has no such date (its month or day is out of range); write it as "
                          "2026-04-08T09:30:00+08:00") from None
    try:
        parsed = ensure_aware(datetime.fromisoformat(value.strip()), tz)
    except ValueError:
        if timeparse.impossible_written_date(value):  # 2019-13-01 is no 13 January
            raise BadLine(f"{field} has no such date (its month or day is out of range); write it as "
                          "2026-04-08T09:30:00+08:00") from None
        found = timeparse.parse_time(value, now, str(tz))
        if found is None:
            raise BadLine(f"{field} is not a date-time; write it as 2026-04-08T09:30:00+08:00") from None
        if value.strip().lstrip("+-").isdigit():  # "-1", "20": a number, not a date a person writes
            raise BadLine(f"{field} is not a date-time but a number in a string; a Unix time is written as a JSON "
                          "number, a date as 2026-04-08T09:30:00+08:00") from None
        if absolute:
            anchor = now or datetime.now(UTC)
            if timeparse.parse_time(value, anchor - timedelta(days=400), str(tz)) != found:
                raise BadLine(f"{field} is relative to the day it was read; here it must be a full "
                              "date and time, e.g. 2026-04-08T09:30:00+08:00") from None
        return found
    return _plausible(parsed, field)


def _known_by_its_day(midnight: datetime, now: datetime) -> datetime:
    """A publish time given by its day alone, placed as the crawler places it: the latest it can have been, that
    day's end or ``now`` when earlier (``timeparse.latest_time_on``); a day after ``now`` (a replay of days to
    come), at its end."""
    if now < midnight:
        return datetime.combine(midnight.date(), time(23, 59, 59), tzinfo=midnight.tzinfo)
    return timeparse.latest_time_on(midnight.date(), now.astimezone(midnight.tzinfo))


def _plausible(parsed: datetime, field: str) -> datetime:
    if not timeparse.PLAUSIBLE_YEARS[0] <= parsed.year <= timeparse.PLAUSIBLE_YEARS[1]:
        raise BadLine(f"{field} falls in the year {parsed.year}, not a plausible publication time (years "
                      f"{timeparse.PLAUSIBLE_YEARS[0]}-{timeparse.PLAUSIBLE_YEARS[1]}); check the field")
    return parsed


def parse_region(value: Any, resolve_region: RegionResolver | None) -> Region | None:
    if value in (None, "", {}):
        return None
    if isinstance(value, str):
        if resolve_region is None:
            raise BadLine("region is a place name and no gazetteer was given; write it as "
                          "{\"province\": ..., \"city\": ..., \"district\": ...}")
        return resolve_region(value)
    if isinstance(value, dict):
        known = {k: v for k, v in value.items() if k in Region.model_fields and isinstance(v, str | None)}
        return Region.model_validate(known) if any(known.values()) else None
    raise BadLine(f"region must be a string such as '湖南省长沙市' or an object with province/city/district, "
                  f"got {type(value).__name__}")


SOURCE_TYPES: tuple[str, ...] = get_args(SourceType)


def parse_source_type(value: Any) -> str | None:
    """A source type sources.yaml knows: it sets the deadlines (a board message is owed a reply in working days, a
    news post an answer in 48 h), so "board" for message_board silently changed them."""
    if value in (None, ""):
        return None
    if value in SOURCE_TYPES:
        return str(value)
    near = difflib.get_close_matches(value, SOURCE_TYPES, n=1, cutoff=0.5) if isinstance(value, str) else []
    raise BadLine("source_type is no known source type" + (f" (did you mean {near[0]}?)" if near else "")
                  + f"; use one of {', '.join(SOURCE_TYPES)} (news when left out)")


def _as_text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadLine(f"'{field}' must be a string, got {type(value).__name__}")


def _optional(read: Callable[[], Any], field: str, warnings: list[str] | None, strict: bool) -> Any:
    try:
        return read()
    except BadLine as exc:
        if strict or warnings is None:
            raise
        warnings.append(f"left out {field} ({exc}); the post is kept")
        return None


# Fields a post can do without: a malformed one is dropped (and said so) rather than the whole post.
OPTIONAL_FIELDS = ("engagement", "url", "author", "reply", "lang", "source_type", "status", "published_precision")


def post_from_record(record: Any, tz: Any, now: datetime, resolve_region: RegionResolver | None = None,
                     warnings: list[str] | None = None, absolute_times: bool = False,
                     resolve_tier: TierResolver | None = None) -> Post:
    """A Post from one decoded JSON line; raises BadLine naming the problem. A malformed optional field
    (``OPTIONAL_FIELDS``) is left out instead, with a sentence appended to ``warnings``. ``absolute_times``:
    refuse times relative to ``now`` (see ``parse_time``). ``resolve_tier`` gives the tier of a post without a
    media_tier from its source and url (without it, the contract's default)."""
    if not isinstance(record, dict):
        raise BadLine(f"expected a JSON object, got {type(record).__name__}")
    repaired: set[str] = set()
    record = {key: _repaired(record[key], key, repaired) for key in POST_FIELDS if key in record}
    if repaired and warnings is not None:
        warnings.append(f"{', '.join(sorted(repaired))}: lone surrogates (such as a \\udcc3 escape: bytes that were "
                        "not valid text) replaced by U+FFFD")
    post_id = record.get("id")
    if post_id in (None, ""):
        raise BadLine("missing 'id' (each post needs its own id)")
    if isinstance(post_id, bool) or not isinstance(post_id, str | int | float):
        raise BadLine(f"'id' must be a string or a number, got {type(post_id).__name__}")
    if isinstance(post_id, float) and not math.isfinite(post_id):
        raise BadLine("'id' is NaN or infinite, not a number a post can be told by; give each post its own id")
    # A number where text belongs is still text (a post that is only "12345"); a list or object is not.
    text = _as_text(record.get("text"), "text") or ""
    if record.get("text") is None and warnings is not None:  # accepted in silence before (reviews, 2026-11-27)
        warnings.append(("'text' is null" if "text" in record else "no 'text' field") + ": " + ("the title alone is analysed" if record.get("title") else
                                               "analysed as an empty post") + " (each line needs id and text)")
    fields: dict[str, Any] = {k: record[k] for k in POST_FIELDS if k in record and record[k] is not None}
    fields["id"] = str(post_id)
    fields["text"] = text
    for name in ("title", "status"):
        if name in fields:
            fields[name] = _as_text(fields[name], name)
    fields["source"] = str(record.get("source") or "jsonl")
    # Times and region are optional: a malformed one is left out with a warning (a replay, which orders posts by
    # time, refuses the post instead).
    published = _optional(lambda: parse_time(record.get("published_at"), tz, "published_at", now, absolute_times),
                          "published_at", warnings, strict=absolute_times)
    fetched = _optional(lambda: parse_time(record.get("fetched_at"), tz, "fetched_at", now, absolute_times),
                        "fetched_at", warnings, strict=absolute_times)
    if (published is not None and record.get("published_precision") in (None, "day")
            and timeparse.is_date_only(record.get("published_at"))):
        published = _known_by_its_day(published, now)
        fields["published_precision"] = "day"
    fields["published_at"] = published
    fields["fetched_at"] = fetched or published or now
    fields["region"] = _optional(lambda: parse_region(record.get("region"), resolve_region), "region", warnings,
                                 strict=False)
    fields["source_type"] = _optional(lambda: parse_source_type(record.get("source_type")), "source_type", warnings,
                                      strict=False)
    if fields["source_type"] is None:  # (read as news, the default)
        del fields["source_type"]
    tier = record.get("media_tier")
    if tier is not None and tier not in MediaTier._value2member_map_:
        raise BadLine(f"media_tier is no known tier; use one of {', '.join(t.value for t in MediaTier)}")
    if tier is None and resolve_tier is not None:
        url = record.get("url")
        fields["media_tier"] = resolve_tier(fields["source"], url if isinstance(url, str) else None,
                                            fields.get("source_type"))
    try:
        return Post.model_validate(fields)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"])
        bad = {str(e["loc"][0]) for e in errors if e["loc"]}
        if not bad or not bad <= set(OPTIONAL_FIELDS):
            raise BadLine(f"field {where}: {first['msg']}") from None
    for name in bad:
        fields.pop(name, None)
    if warnings is not None:
        warnings.append(f"left out {', '.join(sorted(bad))} (field {where}: {first['msg']}); the post is kept")
    try:
        return Post.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadLine(f"field {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
