"""The crawl's memory of itself: each run of a source is recorded in the crawler state database (last
run, last item, counts, errors), health events are opened or resolved, and a finished crawl's JOBDIR
is cleared (an interrupted one keeps it, so the next run resumes its queue)."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spiders import Spider

from crawler.config import job_dir
from crawler.pipelines import NEW
from crawler.spiders.base import ERRORS, FOUND
from crawler.state import RunResult
from yuqing.contract import Post

log = logging.getLogger(__name__)

LISTING_OK = "yuqing/listing_ok"


class SourceStateExtension:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.started_at: datetime | None = None
        self.newest: datetime | None = None
        self.finish_reason: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if not hasattr(spider, "crawl_state"):
            return
        self.started_at = spider.now()  # type: ignore[attr-defined]
        spider.crawl_state.start_run(spider.spec.name, self.started_at)  # type: ignore[attr-defined]

    def response_received(self, response: Response, request: Any, spider: Spider) -> None:
        if "yuqing_page" in request.meta and response.status < 400:
            self.crawler.stats.inc_value(LISTING_OK)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if isinstance(item, Post) and item.published_at is not None:
            if self.newest is None or item.published_at > self.newest:
                self.newest = item.published_at

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.finish_reason = reason
        if not hasattr(spider, "crawl_state") or self.started_at is None:
            return
        stats = self.crawler.stats
        errors = int(stats.get_value(ERRORS, 0)) + int(stats.get_value("spider_exceptions/count", 0))
        result = RunResult(
            started_at=self.started_at,
            finished_at=spider.now(),  # type: ignore[attr-defined]
            finish_reason=reason,
            parsed=int(stats.get_value(FOUND, 0)),
            new_items=int(stats.get_value(NEW, 0)),
            errors=errors,
            fetched_ok=int(stats.get_value(LISTING_OK, 0)),
            last_error=getattr(spider, "last_error", None),
            newest_item_at=self.newest,
        )
        spec = spider.spec  # type: ignore[attr-defined]
        events = spider.crawl_state.finish_run(spec.name, result, spec.interval_minutes)  # type: ignore[attr-defined]
        for event in events:
            log.warning("source health: %s is %s: %s", event.source, event.kind, event.detail)
        stats.set_value("yuqing/health_events", len(events))

    def engine_stopped(self) -> None:
        spider = self.crawler.spider
        jobdir = self.crawler.settings.get("JOBDIR")
        if not jobdir or spider is None or not hasattr(spider, "spec"):
            return
        if self.finish_reason == "finished" and Path(jobdir) == Path(job_dir(spider.spec.name)):
            shutil.rmtree(jobdir, ignore_errors=True)
        elif self.finish_reason and self.finish_reason != "finished":
            log.info(
                "crawl of %s ended (%s); its queue stays in %s and the next run resumes it",
                spider.spec.name,
                self.finish_reason,
                jobdir,
            )
