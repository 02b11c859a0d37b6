"""What every source type shares: its spec from sources.yaml, Posts built the same way, the rules of a
crawl (time window, keywords, never twice), and bad input logged and counted instead of raised.

A spider per *type*, never per site: ``scrapy crawl news -a source=demo_news`` reads the source
``demo_news`` and crawls it with the ``news`` spider.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from parsel import Selector, SelectorList
from pydantic import ValidationError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError  # noqa: A004
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from crawler.config import (
    SourceError,
    apply_source_settings,
    load_crawler_config,
    matches_keywords,
    parse_since,
    queries_in_urls,
    resolve_source,
    start_urls,
)
from crawler.encoding import binary_kind
from crawler.state import CrawlState, content_hash
from yuqing.contract import Engagement, Post, Region, Reply
from yuqing.settings import Config, SourceSpec
from yuqing.timeparse import latest_time_on

# Stats keys (also read by the state extension and `yuqing crawl`).
FOUND = "yuqing/items_found"
SKIPPED = "yuqing/skipped"
FILTERED = "yuqing/filtered"
ERRORS = "yuqing/errors"
PARTIAL = "yuqing/partial"
# An item collected in an earlier run; one met twice within this run (a redirect to a page already collected, a
# repost of a post of the same search).
SEEN_BEFORE = "yuqing/seen_before"
DUPLICATES = "yuqing/duplicates"


def item_key(url_or_id: str) -> str:
    """The stable key of an item: its canonical URL (query order, fragment) or its native id."""
    if url_or_id.lower().startswith(("http://", "https://")):
        return canonicalize_url(url_or_id)
    return url_or_id


def select(target: Response | Selector, selector: str) -> SelectorList[Selector]:
    """CSS (``a.link::attr(href)``) or XPath (starting with ``/``, ``(`` or ``./``)."""
    if selector.startswith(("/", "(", "./")):
        return target.xpath(selector)
    return target.css(selector)


def selected_text(target: Response | Selector, selector: str | None, separator: str = " ") -> str | None:
    """The text a selector finds (element text or selected strings), whitespace-tidied; None when nothing."""
    if not selector:
        return None
    parts = []
    for item in select(target, selector):
        root = item.root
        if isinstance(root, str):
            parts.append(root)
        else:
            parts.append(" ".join(t for t in item.xpath(".//text()[not(ancestor::script)]").getall()))
    text = separator.join(" ".join(p.split()) for p in parts if p and p.strip())
    return text or None


def _selector_problem(source: str, key: str, selector: str) -> str | None:
    try:
        select(Selector(text="<html></html>"), selector)
    except Exception as exc:  # cssselect and lxml raise several unrelated error types
        return f"source {source!r}: selector {key}: {selector!r} is not valid CSS or XPath ({exc}); fix it in sources.yaml"
    return None


def selector_problems(spec: SourceSpec, selector_keys: Sequence[str]) -> list[str]:
    """What is wrong with a source's selectors: keys its type does not read, and selectors that do not parse.
    Checked when a spider starts and by `yuqing config check`."""
    problems = []
    for key, selector in spec.selectors.items():
        if key not in selector_keys:
            problems.append(f"source {spec.name!r}: selectors.{key} is not used by {spec.type} sources; "
                            f"use one of: {', '.join(selector_keys) or 'none'}")
        elif problem := _selector_problem(spec.name, key, selector):
            problems.append(problem)
    for key in ("link_selector", "next_page_selector"):
        value = getattr(spec, key)
        if value and spec.type not in ("social_json",) and (problem := _selector_problem(spec.name, key, value)):
            problems.append(problem)
    return problems


class SourceSpider(scrapy.Spider):
    """Base of the six source types; a subclass parses one shape of page or API."""

    #: The fields this type reads from ``selectors`` in sources.yaml.
    selector_keys: ClassVar[tuple[str, ...]] = ()
    #: Whether authors of this type are private persons (then they get a keyed pseudonym here).
    private_authors: ClassVar[bool] = False

    spec: SourceSpec
    config: Config
    crawl_state: CrawlState

    def __init__(self, source: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source_name = source

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        config = load_crawler_config(crawler.settings)
        spec = resolve_source(config, kwargs.get("source"), cls.name)
        apply_source_settings(crawler.settings, config, spec)
        spider: SourceSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(config, spec)
        return spider

    @classmethod
    def spec_problems(cls, spec: SourceSpec) -> list[str]:
        """What this type of spider cannot work with in a source's settings (besides selectors), with the fix."""
        return []

    def setup(self, config: Config, spec: SourceSpec) -> None:
        """Bind the spider to its source; fail early, with the fix, on a bad configuration."""
        self.config = config
        self.spec = spec
        self.tz = config.settings.timezone
        self.zone = ZoneInfo(self.tz)
        self.since = parse_since(spec.since, self.now(), self.tz)
        self.start_urls = start_urls(spec)
        # Without allowed_domains in sources.yaml: the start URLs' hosts (and hosts under them), nothing more.
        # (Their parent domains were allowed once — www.gov.cn let the crawl follow links to every *.gov.cn site —
        # a review, 2026-11-27; a feed whose articles live on a sibling host names that host in allowed_domains.)
        self.allowed_domains = spec.allowed_domains or sorted(
            {host for u in self.start_urls if (host := urlsplit(u).hostname)}
        )
        self.filter_keywords = bool(spec.keywords) and not queries_in_urls(spec)
        self.distributed = self.settings.getbool("YUQING_DISTRIBUTED")
        problems = selector_problems(spec, self.selector_keys) + self.spec_problems(spec)
        if problems:
            raise SourceError(problems[0])
        proxy_env = config.settings.crawler.proxy_env
        if spec.proxy and not (proxy_env and os.environ.get(proxy_env)):
            raise SourceError(
                f"source {spec.name!r} asks for a proxy (proxy: true) but {proxy_env or 'crawler.proxy_env'} "
                "is not set; set it to http://HOST:PORT, or set proxy: false in sources.yaml"
            )
        from crawler.logs import mask_urls_in_logs  # (imported here: it loads the analysis stage)

        # Once the spider opens: Scrapy replaces the root log handler after the spider is made.
        self.crawler.signals.connect(mask_urls_in_logs, signal=signals.spider_opened)
        self.crawl_state = CrawlState()
        self.last_error: str | None = None
        self._requested: set[str] = set()
        self._idle_since: float | None = None
        if self.distributed:
            self.crawler.signals.connect(self._keep_alive_while_shared, signal=signals.spider_idle)
            self.crawler.signals.connect(self._busy, signal=signals.response_received)

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def too_old(self, published: datetime | None) -> bool:
        return bool(published and self.since and published < self.since)

    def publish_time(self, published: datetime | None, date_only: bool,
                     before: datetime | None = None) -> tuple[datetime | None, Literal["day"] | None]:
        """A publish time as the post keeps it, and its precision. One the source gives by its day alone is placed at
        the latest it can have been (``latest_time_on``: that day's end, no later than the fetch) and marked
        ``day``, never at its midnight, which predates it by up to 24 h; ``before``, a time on that day known to
        follow it (a message's reply), bounds it too."""
        if published is None or not date_only:
            return published, None
        day, limit = published.date(), self.now()
        if before is not None and before.astimezone(self.zone).date() == day:
            limit = min(limit, before.astimezone(self.zone))
        return latest_time_on(day, limit), "day"

    # ------------------------------------------------------------------ requests

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield self.listing_request(url, self.parse, page=1)

    def listing_request(self, url: str, callback: Any, page: int, **meta: Any) -> scrapy.Request:
        """A list page, feed or API page: fetched every run (alone), once per crawl (distributed)."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            dont_filter=not self.distributed,
            meta={"yuqing_page": page, **meta},
        )

    def post_id(self, key: str) -> str:
        """The id of the item with this key (URL or native id): keyed when the key holds personal data, so the id
        does not give the key back (``Post.make_id``); every other id is what it always was."""
        from analysis.entry import key_holds_personal_data  # (on first use: it loads the analysis stage)

        key = item_key(key)
        return Post.make_id(self.spec.name, key, personal=key_holds_personal_data(key))

    def item_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request | None:
        """A request for one item's page, unless the item was seen in an earlier run or this one."""
        key = item_key(url)
        post_id = self.post_id(key)
        if post_id in self._requested:
            return None
        self._requested.add(post_id)
        if self.crawl_state.is_seen(self.spec.name, post_id):
            self.crawler.stats.inc_value(SEEN_BEFORE)
            return None
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            dont_filter=not self.distributed,
            meta={"yuqing_key": key, **meta},
        )

    def next_page(
        self, url: str | None, response: Response, callback: Any, **meta: Any
    ) -> scrapy.Request | None:
        page = int(response.meta.get("yuqing_page", 1)) + 1
        if not url:
            return None
        if page > self.spec.max_pages:
            self.logger.debug(
                "not following page %d of %s: max_pages is %d", page, self.spec.name, self.spec.max_pages
            )
            return None
        return self.listing_request(response.urljoin(url), callback, page=page, **meta)

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good: count it and say why; the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        stats = self.crawler.stats
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            reason = str(failure.value) or "ignored"
            kind = (
                "robots"
                if "robots" in reason.lower()
                else "redirect_loop"
                if "redirect loop" in reason
                else "ignored"
            )
            self.skip(kind, request.url, reason)
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            message = f"HTTP {status}"
        elif failure.check(DNSLookupError):
            message = "DNS lookup failed"
        elif failure.check(TimeoutError, TCPTimedOutError):
            message = "timed out"
        else:
            message = f"{failure.type.__name__}: {failure.value}"
        if "max size" in message.lower() or "maxsize" in message.lower():
            self.skip("too_large", request.url, message)
            return
        stats.inc_value(ERRORS)
        stats.inc_value(f"{ERRORS}/{message.split(':')[0]}")
        from crawler.logs import shown

        self.last_error = shown(f"{message} ({request.url})")  # kept in the crawl state and shown as its health
        self.logger.warning("could not fetch %s: %s", request.url, message)

    # ------------------------------------------------------------------ bad input, counted

    def found(self, count: int = 1) -> None:
        self.crawler.stats.inc_value(FOUND, count)

    def skip(self, reason: str, url: str | None, detail: str = "") -> None:
        """An item (or page) we cannot use: log why and count it; never raise."""
        self.crawler.stats.inc_value(SKIPPED)
        self.crawler.stats.inc_value(f"{SKIPPED}/{reason}")
        self.logger.info("skipped %s: %s%s", url or "an item", reason, f" ({detail})" if detail else "")

    def partial(self, field: str, url: str | None, detail: str = "") -> None:
        """An item kept without one of its parts."""
        self.crawler.stats.inc_value(f"{PARTIAL}/{field}")
        self.logger.info("item %s has no %s%s", url or "", field, f" ({detail})" if detail else "")

    def filtered(self, reason: str) -> None:
        self.crawler.stats.inc_value(f"{FILTERED}/{reason}")

    # ------------------------------------------------------------------ posts

    def author_name(self, name: str | None) -> str | None:
        """Authors of private posts get a keyed pseudonym here; analysis de-identifies the rest."""
        name = (name or "").strip() or None
        if name is None or not self.private_authors:
            return name
        from analysis.deidentify import deidentify_author

        return deidentify_author(name)

    def make_post(
        self,
        key: str,
        *,
        url: str | None = None,
        title: str | None = None,
        text: str | None = None,
        author: str | None = None,
        published_at: datetime | None = None,
        published_precision: Literal["day"] | None = None,
        engagement: Engagement | None = None,
        reply: Reply | None = None,
        status: str | None = None,
        region: Region | None = None,
    ) -> Post | None:
        """A Post of this source, or None (logged) when it holds nothing or does not validate."""
        title = " ".join((title or "").split()) or None
        text = (text or "").strip()
        if not title and not text:
            self.skip("empty", url or key, "no title and no text")
            return None
        if published_at is not None:
            if published_at.tzinfo is None:
                published_at = published_at.replace(tzinfo=self.zone)
            if published_at > self.now() + timedelta(days=1):
                self.partial("published_at", url or key, f"{published_at.isoformat()} is in the future")
                published_at = None
        if published_at is None:
            published_precision = None
        spec_region = self.spec.region
        if region is None and spec_region is not None:
            region = Region(
                province=spec_region.province, city=spec_region.city, district=spec_region.district
            )
        try:
            return Post(
                id=self.post_id(key),
                source=self.spec.name,
                source_type=self.spec.type,
                url=url,
                author=self.author_name(author),
                published_at=published_at,
                published_precision=published_precision,
                fetched_at=self.now(),
                title=title,
                text=text,
                region=region,
                media_tier=self.spec.media_tier,
                engagement=engagement or Engagement(),
                reply=reply,
                status=status,
                content_hash=content_hash(title, text),
            )
        except ValidationError as exc:
            # the problems, not the values (pydantic's message quotes each input, personal data and all)
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
            self.skip("invalid", url or key, problems[:300])
            return None

    def accept(self, post: Post | None) -> bool:
        """Whether a post belongs in this crawl: inside the time window and matching the keywords."""
        if post is None:
            return False
        if self.too_old(post.published_at):
            self.filtered("too_old")
            return False
        if self.filter_keywords and not matches_keywords(self.spec.keywords, post.full_text()):
            self.filtered("keywords")
            return False
        return True

    def emit(self, posts: Iterable[Post | None]) -> Iterable[Post]:
        for post in posts:
            if self.accept(post):
                assert post is not None
                yield post

    # ------------------------------------------------------------------ helpers for subclasses

    def is_text(self, response: Response) -> bool:
        """Whether the response is a page to read. Scrapy builds an HtmlResponse from a URL ending in .html
        whatever the server says it sent, so an image was read as an article: the Content-Type and the first
        bytes are asked too."""
        kind = (response.headers.get("Content-Type") or b"").decode("latin-1")
        media = kind.split(";", 1)[0].strip().lower()
        textual = media.startswith("text/") or media.endswith(("/xml", "+xml", "/json", "+json"))
        if media and not textual or not media and not isinstance(response, TextResponse):
            self.skip("not_text", response.url, f"Content-Type {kind or 'missing'}")
            return False
        binary = binary_kind(response.body)
        if binary:
            self.skip("not_text", response.url, f"{binary}, though labelled {kind or 'nothing'}")
            return False
        return True

    def note_truncated(self, response: Response) -> None:
        if "dataloss" in response.flags:
            self.partial("complete_body", response.url, "the server sent less than it announced")

    # ------------------------------------------------------------------ distributed

    def _busy(self, *args: Any, **kwargs: Any) -> None:
        self._idle_since = None

    def _keep_alive_while_shared(self) -> None:
        """Other processes may still add requests to the shared queue: stop only after a quiet spell."""
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.settings.getfloat("YUQING_DISTRIBUTED_IDLE_S"):
            raise DontCloseSpider
