"""The one log format of the commands that log as they work (`yuqing run`, `yuqing crawl`, the demo's crawl): each
line's time in settings.yaml's zone with its offset, then level, logger and message. Scrapy's own handler wrote the
machine's time without a zone in another layout ("2026-11-27 15:07:57 [scrapy.core.engine] INFO: …") beside the
service's "2026-11-27T23:07:57+08:00 INFO scrapy.core.engine: …"."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ZoneFormatter(logging.Formatter):
    """Log times in the configured zone with its offset, as the scheduler's own "next run at … CST" is."""

    def __init__(self, tz: tzinfo):
        super().__init__(FORMAT)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, self.tz).isoformat(timespec="seconds")


def log_in_zone(tz: tzinfo, level: int | str | None = None, filename: str | Path | None = None) -> None:
    """Log through the root logger to stderr (or append to ``filename``) in FORMAT, times in ``tz``. ``level``, when
    given, is the lowest level written; it is set on the handlers too, as Scrapy sets its own loggers to DEBUG."""
    logging.basicConfig(filename=filename)  # (nothing when the root logger has its handlers already)
    root = logging.getLogger()
    if level is not None:
        root.setLevel(level)
    for handler in root.handlers:
        handler.setFormatter(ZoneFormatter(tz))
        if level is not None:
            handler.setLevel(level)
        if level not in ("DEBUG", logging.DEBUG):
            handler.addFilter(_without_chatter)  # (a filter, not the loggers' levels: Scrapy resets those to NOTSET)


# Loggers whose lines bury the service's own below DEBUG (a review counted 7,670 lines in 32 minutes of `yuqing run`,
# 4,283 of them Scrapy's dumps without a time): what each says at the level left out, and the level kept.
CHATTER = {
    "elastic_transport.transport": logging.WARNING,  # a line per Elasticsearch request
    # a line per node and failed attempt during an outage, beside the workflow's one "rules wait" line a pass
    "elastic_transport.node_pool": logging.ERROR,
    "scrapy.statscollectors": logging.WARNING,  # every crawl's stats dumped, ~60 lines (the crawl's summary says it)
    "scrapy.middleware": logging.WARNING,  # the enabled extensions and middlewares listed, every crawl
    "scrapy.crawler": logging.WARNING,  # the overridden settings, every crawl
    "scrapy.addons": logging.WARNING,  # the enabled add-ons, every crawl
}


def _without_chatter(record: logging.LogRecord) -> bool:
    return record.levelno >= CHATTER.get(record.name, logging.NOTSET)
