"""Article pages, however they were found (a list page, a feed entry, a sitemap): one parser for all.

Generic extraction (``crawler.extraction``) reads title, author, time and body; the source's
``selectors`` (title, author, published_at, content, noise) override it per site. What the listing
already said (a feed's title and date) fills what the page itself lacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawler.extraction import extract_article
from crawler.spiders.base import SourceSpider, select
from yuqing.contract import Post

ARTICLE_FIELDS: tuple[str, ...] = ("title", "author", "published_at", "content", "noise")
_NEXT_TEXTS = ("下一页", "下页", "后一页", "next", "Next", "›", ">", "»")


class ArticleSpider(SourceSpider):
    """A spider whose items are article pages."""

    selector_keys = ARTICLE_FIELDS

    def overrides(self) -> dict[str, str]:
        return {k: v for k, v in self.spec.selectors.items() if k in ARTICLE_FIELDS}

    def follow_list_page(self, response: Response, what: str,
                         request_for: Callable[[str], Any]) -> Iterator[Any]:
        """A list page: request each item not seen before, then the next page while anything was new."""
        if not self.is_text(response):
            return
        links = self.links(response, self.spec.link_selector)
        if not links:
            self.logger.warning("no %s links on %s (link_selector: %s)", what, response.url,
                                self.spec.link_selector or "generic")
        self.found(len(links))
        new = 0
        for url in links:
            request = request_for(url)
            if request is not None:
                new += 1
                yield request
        if links and not new:
            # Lists run newest first: a page of items all seen before means the rest was seen too.
            self.logger.info("every %s on %s was seen before; not paging further", what, response.url)
            return
        next_request = self.next_page(self.next_page_url(response), response, self.parse)
        if next_request is not None:
            yield next_request

    def article_request(self, url: str, **hints: Any) -> Any:
        """``hints``: title, published_at (ISO), published_precision ("day" when the listing gives the day alone, as
        its midnight), author, text the listing gave (title and time win over the page's).
        They wait in the request queue de-identified: a resumable crawl (JOBDIR) pickles it to disk and a distributed
        one keeps it in Redis, where a feed's teaser with a phone number must not land. Masking is idempotent, so
        enrichment masks the post built from them as it would the raw hints."""
        return self.item_request(url, self.parse_article, yuqing_hints=self._deidentified(hints))

    def _deidentified(self, hints: dict[str, Any]) -> dict[str, Any]:
        if not any(hints.get(k) for k in ("title", "text", "author")):
            return hints
        from analysis.entry import deidentify_only  # (imported on first use: it loads the analysis stage)

        listed = Post(id="listing", source=self.spec.name, fetched_at=self.now(), title=hints.get("title"),
                      text=hints.get("text") or "", author=hints.get("author"))
        masked = deidentify_only(listed)
        return {**hints, "title": masked.title, "text": masked.text, "author": masked.author}

    async def parse_article(self, response: Response) -> AsyncIterator[Post]:
        key = response.meta.get("yuqing_key") or response.url
        hints: dict[str, Any] = response.meta.get("yuqing_hints") or {}
        if not self.is_text(response):
            return
        self.note_truncated(response)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        # In a worker thread: parsing releases the interpreter lock, and the reactor keeps downloading.
        article = await maybe_deferred_to_future(
            threads.deferToThread(
                extract_article,
                response.body,
                url=response.url,
                declared_encoding=content_type,
                overrides=self.overrides() or None,
                now=self.now(),
                tz=self.tz,
            )
        )
        # What a feed or news sitemap declares is the publisher's own word; the page supplies the rest.
        title = hints.get("title") or article.title
        text = article.content or hints.get("text") or ""
        published, date_only = article.published_at, article.date_only
        listed = _from_iso(hints.get("published_at"))
        if listed is not None:
            # The listing's day alone yields to the page's minute on that day (a sitemap's 2026-11-25, a byline's
            # 2026-11-25 09:30); otherwise the listing's time wins, a day alone staying one.
            listed_day_only = hints.get("published_precision") == "day"
            if not (listed_day_only and published is not None and not date_only
                    and published.astimezone(listed.tzinfo).date() == listed.date()):
                published, date_only = listed, listed_day_only
        author = article.author or hints.get("author")
        for field, value in (("title", title), ("content", text), ("published_at", published)):
            if not value:
                self.partial(field, response.url, "not found on the page")
        published, precision = self.publish_time(published, date_only)
        if precision == "day":
            self.partial("time_of_day", response.url, "the page gives its day alone")
        post = self.make_post(key, url=response.url, title=title, text=text, author=author, published_at=published,
                              published_precision=precision)
        for accepted in self.emit([post]):
            yield accepted

    # ------------------------------------------------------------------ list pages

    def links(self, response: Response, selector: str | None) -> list[str]:
        """Item links on a list page: by the source's selector, else links whose text reads like a headline."""
        if selector:
            found = []
            for item in select(response, selector):
                root = item.root
                value = root if isinstance(root, str) else root.get("href") if hasattr(root, "get") else None
                if value and value.strip():
                    found.append(response.urljoin(value.strip()))
            return list(dict.fromkeys(found))
        allowed = tuple(self.allowed_domains)
        if not isinstance(response, TextResponse):
            return []
        links = LinkExtractor(deny_extensions=None).extract_links(response)
        return list(
            dict.fromkeys(
                link.url
                for link in links
                if len(link.text.strip()) >= 8 and not link.nofollow and _on_domains(link.url, allowed)
            )
        )

    def next_page_url(self, response: Response) -> str | None:
        if self.spec.next_page_selector:
            values = self.links(response, self.spec.next_page_selector)
            return values[0] if values else None
        for href in response.css("a[rel=next]::attr(href), link[rel=next]::attr(href)").getall():
            return response.urljoin(href)
        for anchor in response.css("a"):
            if " ".join(anchor.css("::text").getall()).strip() in _NEXT_TEXTS and anchor.attrib.get("href"):
                return response.urljoin(anchor.attrib["href"])
        return None


def _on_domains(url: str, domains: tuple[str, ...]) -> bool:
    """Whether the URL's host is one of the domains or below one (ports do not matter)."""
    host = (urlsplit(url).hostname or "").lower()
    return not domains or any(host == d or host.endswith("." + d) for d in domains)


def _from_iso(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
