"""``social_json``: any JSON API that lists posts, mapped by configuration.

``items_path`` says where the list is ("data.items"); ``field_paths`` maps post fields to paths
inside one item: id, url, title, text, author, published_at, reposts, comments, likes, dislikes,
views, status. ``next_page_selector`` is the path of the next page's URL (or page number) in the
response. Items with missing or mistyped fields are skipped or kept partly, with the reason logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from crawler.encoding import decoded_text
from crawler.spiders.base import SourceSpider
from crawler.text import as_text, html_to_text, json_path, parse_count, value_shape
from yuqing.contract import Engagement, Post
from yuqing.settings import SourceSpec
from yuqing.timeparse import is_date_only, parse_time

FIELDS = (
    "id",
    "url",
    "title",
    "text",
    "author",
    "published_at",
    "reposts",
    "comments",
    "likes",
    "dislikes",
    "views",
    "status",
)
_COUNTS = ("reposts", "comments", "likes", "dislikes", "views")


def load_json(spider: SourceSpider, response: Response) -> Any:
    """The parsed body, or None (logged and counted) when it is not JSON."""
    spider.note_truncated(response)
    try:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        return json.loads(decoded_text(response.body, content_type))  # (GBK labelled utf-8 is read as GBK)
    except ValueError as exc:
        spider.skip("bad_json", response.url, str(exc)[:200])
        return None


def with_page(url: str, number: int) -> str:
    """``url`` with its ``page`` query parameter set to ``number``."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(number)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def read_time(value: Any, spider: SourceSpider) -> datetime | None:
    """Unix seconds or milliseconds, or any time text ``parse_time`` reads."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC).astimezone(spider.zone)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        return parse_time(value, now=spider.now(), tz=spider.tz)
    return None


class SocialJsonSpider(SourceSpider):
    name = "social_json"
    private_authors = True

    @classmethod
    def spec_problems(cls, spec: SourceSpec) -> list[str]:
        problems = []
        unknown = set(spec.field_paths) - set(FIELDS)
        if unknown:
            problems.append(f"source {spec.name!r}: field_paths {', '.join(sorted(unknown))} unknown; "
                            f"use: {', '.join(FIELDS)}")
        if not spec.field_paths.get("text") and not spec.field_paths.get("title"):
            problems.append(f"source {spec.name!r}: field_paths needs text or title (e.g. text: content)")
        return problems

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        data = load_json(self, response)
        if data is None:
            return
        items = json_path(data, self.spec.items_path)
        if not isinstance(items, list):
            self.skip(
                "no_items", response.url, f"items_path {self.spec.items_path!r} is not a list in the response"
            )
            return
        self.found(len(items))
        posts = [self.item(item, index, response) for index, item in enumerate(items)]
        yield from self.emit(posts)
        dated = [p.published_at for p in posts if p is not None and p.published_at is not None]
        if dated and self.since and all(d < self.since for d in dated):
            return
        next_value = json_path(data, self.spec.next_page_selector) if self.spec.next_page_selector else None
        if isinstance(next_value, int) and not isinstance(next_value, bool):
            next_url: str | None = with_page(response.url, next_value)
        else:
            next_url = next_value if isinstance(next_value, str) and next_value.strip() else None
        if items:
            request = self.next_page(next_url, response, self.parse)
            if request is not None:
                yield request

    def field(self, item: dict[str, Any], name: str) -> Any:
        return json_path(item, self.spec.field_paths.get(name))

    def item(self, item: Any, index: int, response: Response) -> Post | None:
        where = f"{response.url} item {index}"
        if not isinstance(item, dict):
            self.skip("not_an_object", where, type(item).__name__)
            return None
        native_id = as_text(self.field(item, "id"))
        link = as_text(self.field(item, "url"))
        url = response.urljoin(link) if link else None
        key = native_id or url
        if not key:
            self.skip("no_id", where, "neither id nor url")
            return None
        texts = {}
        for name in ("title", "text", "author", "status"):
            value = self.field(item, name)
            if value is not None and not isinstance(value, str):
                self.partial(name, where, f"expected text, got {type(value).__name__}")
                value = None
            texts[name] = value
        written = self.field(item, "published_at")
        published, precision = self.publish_time(read_time(written, self), is_date_only(written))
        if published is None:
            self.partial("published_at", where, f"unreadable, written as {value_shape(self.field(item, 'published_at'))}")
        engagement = Engagement(**{name: parse_count(self.field(item, name)) for name in _COUNTS})
        return self.make_post(
            key,
            url=url,
            title=html_to_text(texts["title"]) or None,
            text=html_to_text(texts["text"]),
            author=texts["author"],
            published_at=published,
            published_precision=precision,
            engagement=engagement,
            status=texts["status"],
        )
