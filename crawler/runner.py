"""Run crawls in-process (what ``yuqing crawl`` does): each source with the spider of its type, one
after the other, and a summary of what each indexed."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor
from twisted.internet import defer
from twisted.internet.error import ReactorNotRunning

from crawler.pipelines import (
    INDEXED,
    NEW,
    NOT_STORED,
    NOT_STORED_WHY,
    OTHER_SOURCE,
    REPLAYED,
    REVISITED,
    SPOOLED,
)
from crawler.spiders.base import DUPLICATES, ERRORS, FILTERED, FOUND, SEEN_BEFORE, SKIPPED
from yuqing.logs import log_in_zone
from yuqing.paths import config_file
from yuqing.settings import Config


@dataclass
class SourceRun:
    """What one crawl of one source did."""

    source: str
    type: str
    finish_reason: str | None = None
    failure: str | None = None
    stats: dict[str, Any] | None = None

    def count(self, key: str) -> int:
        return int((self.stats or {}).get(key, 0))

    def filtered(self) -> int:
        return sum(int(v) for k, v in (self.stats or {}).items() if k.startswith(FILTERED + "/"))

    @property
    def new(self) -> int:
        return self.count(NEW)

    @property
    def not_stored(self) -> int:
        """Posts neither indexed nor spooled (the spool's disk full): the crawl failed them."""
        return self.count(NOT_STORED)

    @property
    def interrupted(self) -> bool:
        """Stopped by Ctrl-C (SIGINT) or SIGTERM: Scrapy closes the spider with the reason "shutdown"."""
        return self.finish_reason == "shutdown"

    @property
    def unreachable(self) -> bool:
        """Every request failed before any response came back (site down, wrong host or port, no network)."""
        failed = [k for k in (self.stats or {}) if k.startswith("downloader/exception_type_count/")
                  and not k.endswith(".IgnoreRequest")]  # a request we dropped ourselves (robots.txt) is no failure
        return not self.failure and self.count("downloader/response_count") == 0 and bool(failed)

    @property
    def collected_nothing(self) -> str | None:
        """Why a crawl that ended without failing collected nothing at all: its start pages were refused
        (robots.txt, allowed_domains), cut short (a redirect loop, a page too large, not a page) or answered
        with an error. None when it found items, or when its site answered with an empty list (a quiet source)."""
        if self.failure or self.unreachable or self.count(FOUND) or self.count(NEW):
            return None
        stats = self.stats or {}
        reasons = []
        if self.count("robotstxt/forbidden"):
            reasons.append("robots.txt forbids its start URL(s) (crawl it only with the site's permission: "
                           "obey_robots: false)")
        if self.count("yuqing/robots_unavailable"):
            reasons.append("the site did not give its robots.txt, which closes it to crawlers until it does")
        if self.count("offsite/filtered"):
            reasons.append("its start URL(s) lead outside allowed_domains")
        reasons += [f"{k.rsplit('/', 1)[-1].replace('_', ' ')} ({v}x)" for k, v in sorted(stats.items())
                    if k.startswith(SKIPPED + "/") or k.startswith(ERRORS + "/")]
        reasons += [f"{k.rsplit('.', 1)[-1]} ({v}x)" for k, v in sorted(stats.items())
                    if k.startswith("downloader/exception_type_count/") and not k.endswith(".IgnoreRequest")]
        return "; ".join(reasons) or None

    def summary(self) -> str:
        if self.failure:
            return f"{self.source} ({self.type}): not crawled: {self.failure}"
        if self.collected_nothing:
            return (f"{self.source} ({self.type}): collected nothing: {self.collected_nothing}; check the source in "
                    f"{config_file('sources.yaml')} and the site [" + str(self.finish_reason) + "]")
        if self.unreachable:
            errors = sorted(k.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for k in (self.stats or {})
                            if k.startswith("downloader/exception_type_count/") and not k.endswith(".IgnoreRequest"))
            return (f"{self.source} ({self.type}): not reached: {self.count('downloader/exception_count')} "
                    f"request(s) failed ({', '.join(errors)}); check the source's URL in {config_file('sources.yaml')} and "
                    "that the site is up")
        parts = [f"{self.count(INDEXED)} new posts indexed"]
        if self.not_stored:
            parts.append(f"{self.not_stored} NOT STORED ({(self.stats or {}).get(NOT_STORED_WHY)}; fetched again by "
                         "the next crawl)")
        if self.count(SPOOLED):
            parts.append(f"{self.count(SPOOLED)} spooled (Elasticsearch unreachable; replayed later)")
        if self.count(REPLAYED):
            parts.append(f"{self.count(REPLAYED)} replayed from the spool")
        if self.count(REVISITED):
            parts.append(f"{self.count(REVISITED)} unanswered message(s) looked at again for their reply")
        # "2 seen before" on a fresh state counted the items met twice within the run too, read as "the demo ran
        # before" (a review, 2026-11-28): the two are counted apart, and what was skipped says why.
        skipped = sorted((k.removeprefix(SKIPPED + "/"), int(v)) for k, v in (self.stats or {}).items()
                         if k.startswith(SKIPPED + "/"))
        why = f" ({', '.join(f'{reason} {n}' for reason, n in skipped)})" if skipped else ""
        parts += [
            f"{self.count(FOUND)} found",
            f"{self.count(DUPLICATES)} repeated within this run",
            f"{self.count(SEEN_BEFORE)} collected in an earlier run",
            *([f"{self.count(OTHER_SOURCE)} collected by another source"] if self.count(OTHER_SOURCE) else []),
            f"{self.filtered()} outside window/keywords",
            f"{self.count(SKIPPED)} skipped{why}",
            f"{self.count(ERRORS)} errors",
        ]
        return f"{self.source} ({self.type}): " + ", ".join(parts) + f" [{self.finish_reason}]"


# A failed connection is an expected event of crawling: its one-line message says what happened, and the chained
# tracebacks of Twisted, Scrapy and urllib3 under it say nothing more (--log-level DEBUG keeps them).
_NETWORK_LOGGERS = ("scrapy.core.scraper", "scrapy.core.engine", "scrapy.downloadermiddlewares.robotstxt",
                    "scrapy.downloadermiddlewares.retry", "elastic_transport.transport")
_NETWORK_MODULES = ("twisted.internet.error", "scrapy.exceptions", "urllib3.exceptions", "elastic_transport")


def _network_tracebacks(record: logging.LogRecord) -> bool:
    if record.exc_info and record.exc_info[1] is not None:
        if type(record.exc_info[1]).__module__.startswith(_NETWORK_MODULES):
            record.exc_info, record.exc_text = None, None
    return True


def quiet_network_tracebacks() -> None:
    """Log failed connections as their one-line message (on the loggers: Scrapy replaces the root handler for
    every crawler)."""
    for name in _NETWORK_LOGGERS:
        logging.getLogger(name).addFilter(_network_tracebacks)


def project_settings(overrides: dict[str, Any] | None = None) -> Any:
    """The Scrapy project's settings (crawler/settings.py) with command-line overrides on top."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawls(
    config: Config, sources: list[str], overrides: dict[str, Any] | None = None
) -> list[SourceRun]:
    """Crawl the named sources in this process, one after another; return a run record per source.

    The Twisted reactor cannot be restarted: call this once per process.
    """
    settings = project_settings(overrides)
    # The log of `yuqing run`, not Scrapy's handler (the machine's time without a zone, in another layout); Scrapy's
    # LOG_LEVEL and LOG_FILE still apply.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    log_in_zone(config.settings.tz(), settings.get("LOG_LEVEL"), settings.get("LOG_FILE"))
    # The reactor Scrapy asks for must be installed before anything imports twisted.internet.reactor.
    install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    process = CrawlerProcess(settings)
    if settings.get("LOG_LEVEL") != "DEBUG":
        quiet_network_tracebacks()
    runs = [SourceRun(name, config.sources.get(name).type) for name in sources]
    completed = []

    @defer.inlineCallbacks
    def crawl_all() -> Generator[Any, Any, None]:
        for run in runs:
            if any(r.interrupted for r in runs):  # Ctrl-C: the sources after the one it stopped are not crawled
                run.failure = "the crawl was interrupted (Ctrl-C) before this source"
                continue
            try:
                crawler = process.create_crawler(process.spider_loader.load(run.type))
            except KeyError as exc:
                run.failure = f"no spider for type {run.type!r} ({exc})"
                continue
            _capture(crawler, run)
            try:
                yield process.crawl(crawler, source=run.source)
            except Exception as exc:  # one source's failure must not stop the others; it is reported
                run.failure = str(exc)
            if run.stats is not None:
                run.stats = dict(crawler.stats.get_stats())  # now with Scrapy's closing figures
        completed.append(True)

    from twisted.internet import reactor

    def stop(result: Any) -> Any:
        # After Ctrl-C Scrapy is stopping the reactor already; a second stop would only raise ReactorNotRunning.
        with contextlib.suppress(ReactorNotRunning):
            reactor.stop()  # type: ignore[attr-defined,misc]
        return result

    reactor.callWhenRunning(lambda: crawl_all().addBoth(stop))  # type: ignore[attr-defined]
    process.start(stop_after_crawl=False)
    if not completed:
        # The reactor stopped before every source was crawled: a Ctrl-C between two sources (no spider running to
        # close with "shutdown") stops it all the same, and the demo went on as if the crawl had finished.
        for run in runs:
            if run.finish_reason is None and run.failure is None:
                run.finish_reason = "shutdown"
                run.failure = "the crawl was interrupted (Ctrl-C) before this source was crawled"
    return runs


def _capture(crawler: Crawler, run: SourceRun) -> None:
    def closed(spider: Any, reason: str) -> None:
        run.finish_reason = reason
        run.stats = dict(crawler.stats.get_stats())

    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
