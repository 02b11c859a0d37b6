"""Downloader middlewares: retries that back off, redirect loops cut short, proxies for the sources that ask.

Each is a small class at a named Scrapy extension point (``DOWNLOADER_MIDDLEWARES`` in settings.py).
"""

from __future__ import annotations

import logging
import os
import random
from typing import Any, Self
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.spiders import Spider
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each one waiting longer: base·2^(n-1) seconds with jitter, capped, and at
    least what a 429/503 ``Retry-After`` asks. A struggling server is not hammered."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.base_s = settings.getfloat("YUQING_RETRY_BACKOFF_BASE_S", 1.0)
        self.max_s = settings.getfloat("YUQING_RETRY_BACKOFF_MAX_S", 60.0)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            wait = _retry_after(response)
            if wait is not None:
                result.meta["yuqing_backoff_s"] = max(
                    result.meta.get("yuqing_backoff_s", 0.0), min(wait, self.max_s)
                )
        return result

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = int(retry.meta.get("retry_times", 1))
            delay = min(self.base_s * 2 ** (attempt - 1), self.max_s)
            retry.meta["yuqing_backoff_s"] = delay * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not crypto
        return retry

    async def process_request(self, request: Request, spider: Any = None) -> None:
        delay = request.meta.pop("yuqing_backoff_s", None)
        if delay:
            from twisted.internet import reactor  # the one Scrapy installed, imported late on purpose

            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))  # type: ignore[arg-type]


def _retry_after(response: Response) -> float | None:
    if response.status not in (429, 503):
        return None
    value = response.headers.get("Retry-After")
    try:
        return float(value.decode()) if value else None
    except ValueError:
        return None


class RedirectLoopMiddleware:
    """Stop a redirect that leads back to a URL already visited on the way (a → b → a), at once,
    instead of after REDIRECT_MAX_TIMES round trips; the spider logs it as skipped."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        visited = [*request.meta.get("redirect_urls", []), request.url]
        if target in visited:
            raise IgnoreRequest(f"redirect loop: {' → '.join([*visited, target])}")
        return response


class SourceProxyMiddleware:
    """Send a source's requests through the proxy named in settings.yaml (``crawler.proxy_env``) when the
    source says ``proxy: true`` (the spider refuses to start if that variable is not set)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        spec = getattr(spider, "spec", None)
        if spec is None or not spec.proxy or "proxy" in request.meta:
            return
        env_name = spider.config.settings.crawler.proxy_env  # type: ignore[union-attr]
        proxy = os.environ.get(env_name) if env_name else None
        if proxy:
            request.meta["proxy"] = proxy


class SourceOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter, except that ``dont_filter`` does not switch it off.

    The spiders fetch list pages and feeds with ``dont_filter`` so that Scrapy's duplicate filter does not
    drop a page fetched again (incrementality is the crawl state's job). In Scrapy that flag also lets a
    request leave ``allowed_domains``: a redirect or a feed's link to another site was fetched and stored as
    the source's post. Here only the ``allow_offsite`` meta key lets a request leave the source's domains.
    """

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        assert self.crawler.spider
        if request.meta.get("allow_offsite") or self.should_follow(request, self.crawler.spider):
            return
        self.stats.inc_value("offsite/filtered")
        spider = self.crawler.spider
        source = getattr(getattr(spider, "spec", None), "name", spider.name)
        raise IgnoreRequest(f"Filtered offsite request to {urlparse_cached(request).hostname!r}: not among the "
                            f"allowed_domains of source {source!r}; add the host under allowed_domains in sources.yaml "
                            "if the source's pages live there")


# RFC 9309 §2.3.1.4: a robots.txt the server fails to give (5xx) means the whole site is disallowed until it
# answers; Scrapy read a 500 page as an empty robots.txt, which allows everything (a review, 2026-11-27). (A site
# that does not answer at all is left to fail on its pages, where the connection error is recorded and reported.)
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus what RFC 9309 and the convention ask and Scrapy does not do:

    * a robots.txt answered with a server error disallows the whole site;
    * ``Crawl-delay`` is kept: requests to that host wait at least that long between them (AutoThrottle may
      lengthen the wait, never shorten it below the site's own).
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        # Each download slot's Crawl-delay, kept as a floor after every response: AutoThrottle lowers a slot's delay
        # when responses come fast, and the next request of the queue went 0.9 s after the last under a 1 s delay.
        self._floors: dict[str, float] = {}
        crawler.signals.connect(self._keep_floor, signal=signals.response_downloaded)

    def _keep_floor(self, response: Response, request: Request, spider: Spider) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None or not self._floors:
            return
        key, slot = downloader._get_slot(request)
        if key in self._floors:
            slot.delay = max(slot.delay, self._floors[key])

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            logger.warning("robots.txt of %s answered HTTP %d: the site is treated as disallowed (RFC 9309) "
                           "until it answers; crawl it again later", netloc, response.status)
            self._stats.inc_value("yuqing/robots_unavailable")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)
        delay = _crawl_delay(rp, self._robotstxt_useragent or request.headers.get(b"User-Agent")
                             or self._default_useragent)
        if delay:
            downloader = self.crawler.engine.downloader if self.crawler.engine else None
            if downloader is not None:
                key, slot = downloader._get_slot(request)
                self._floors[key] = delay
                slot.delay = max(slot.delay, delay)
                _no_jitter(slot)  # (Scrapy's 0.5x-1.5x would go below the site's delay)


def _no_jitter(slot: Any) -> None:
    """Turn off the slot's random variation of its delay: ``jitter`` since Scrapy 2.19, ``randomize_delay`` before
    (2.19 still takes it, with a deprecation warning)."""
    if hasattr(slot, "jitter"):
        slot.jitter = 0.0
    else:
        slot.randomize_delay = False


def _crawl_delay(parser: RobotParser | None, useragent: Any) -> float | None:
    """The Crawl-delay robots.txt gives this user agent (Protego's parser reads it), or None."""
    protego = getattr(parser, "rp", None)
    reader = getattr(protego, "crawl_delay", None)
    if reader is None:
        return None
    agent = useragent.decode("latin-1") if isinstance(useragent, bytes) else str(useragent or "*")
    delay = reader(agent)
    return float(delay) if delay else None
