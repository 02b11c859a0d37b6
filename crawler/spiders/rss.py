"""``rss``: RSS 0.9x/1.0/2.0 and Atom feeds, read by feedparser (which survives most broken feeds).

An entry that carries its text becomes a post directly; one with only a title or a teaser is
followed to its page, and the page's article fills the post.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
from scrapy.http import Response

from crawler.encoding import as_utf8_xml
from crawler.spiders.articles import ArticleSpider
from crawler.text import html_to_text
from yuqing.timeparse import is_date_only, parse_time

# An entry with less text than this is a teaser: the page holds the article.
TEASER_CHARS = 60


class RssSpider(ArticleSpider):
    name = "rss"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.note_truncated(response)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        feed = feedparser.parse(  # (re-encoded: a GBK feed that declares utf-8 is read as GBK)
            as_utf8_xml(response.body, content_type or None),
            response_headers={"content-type": "application/xml; charset=utf-8"},
        )
        if feed.bozo:
            self.logger.info(
                "feed %s is malformed (%s); using the %d entries that could be read",
                response.url,
                feed.get("bozo_exception"),
                len(feed.entries),
            )
            self.crawler.stats.inc_value("yuqing/malformed_feeds")
        if not feed.entries:
            if feed.bozo:
                self.skip("unreadable_feed", response.url, str(feed.get("bozo_exception")))
            return
        self.found(len(feed.entries))
        for entry in feed.entries:
            yield from self.entry(entry, response)

    def entry(self, entry: Any, response: Response) -> Iterator[Any]:
        link = (entry.get("link") or "").strip()
        guid = (entry.get("id") or "").strip()
        url = response.urljoin(link) if link else (guid if guid.startswith(("http://", "https://")) else None)
        key = url or guid
        if not key:
            self.skip("no_link", response.url, f"an entry (title of {len(entry.get('title') or '')} characters) has neither "
                                                 "link nor id")
            return
        title = html_to_text(entry.get("title")) or None
        contents = entry.get("content") or []
        body = contents[0].get("value") if contents and isinstance(contents[0], dict) else None
        text = html_to_text(body or entry.get("summary") or "")
        published, date_only = self._published(entry)
        author = entry.get("author") or None
        placed, precision = self.publish_time(published, date_only)
        if self.too_old(placed):
            self.filtered("too_old")
            return
        if len(text) < TEASER_CHARS and url:
            request = self.article_request(
                url,
                title=title,
                text=text,
                author=author,
                published_at=published.isoformat() if published else None,
                published_precision=precision,
            )
            if request is not None:
                yield request
            return
        if published is None:
            self.partial("published_at", key, "the entry has no readable date")
        yield from self.emit([self.make_post(key, url=url, title=title, text=text, author=author, published_at=placed,
                                             published_precision=precision)])

    def _published(self, entry: Any) -> tuple[datetime | None, bool]:
        """The entry's time, and whether it gives the day alone ("2026-11-25")."""
        for raw_key in ("published", "updated", "created"):
            raw = entry.get(raw_key)
            if raw:
                parsed = parse_time(raw, now=self.now(), tz=self.tz)
                if parsed is not None:
                    return parsed, is_date_only(raw)
        for parsed_key in ("published_parsed", "updated_parsed"):
            struct = entry.get(parsed_key)
            if isinstance(struct, time.struct_time):
                return datetime(*struct[:6], tzinfo=UTC), False
        return None, False
