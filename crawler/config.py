"""From yuqing's configuration to one crawl: the source's spec, Scrapy settings, its query and time window.

Read in one place, when a spider starts, so `scrapy crawl` and `yuqing crawl` behave the same.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from scrapy.settings import BaseSettings

from yuqing import paths
from yuqing.settings import Config, SourceSpec, load_config
from yuqing.timeparse import impossible_written_date, parse_time


class SourceError(ValueError):
    """A source cannot be crawled as asked; the message says which and how to fix it."""


def load_crawler_config(settings: BaseSettings) -> Config:
    """The validated configuration (``YUQING_CONFIG_DIR`` setting or environment, else config/)."""
    directory = settings.get("YUQING_CONFIG_DIR") or os.environ.get("YUQING_CONFIG_DIR") or None
    return load_config(directory)


def resolve_source(config: Config, name: str | None, spider_type: str) -> SourceSpec:
    """The source a spider was started for, checked against the spider's type."""
    of_type = [s.name for s in config.sources.sources if s.type == spider_type]
    if not name:
        raise SourceError(
            f"say which source to crawl: scrapy crawl {spider_type} -a source=NAME "
            f"(sources of type {spider_type} in sources.yaml: {', '.join(of_type) or 'none'})"
        )
    try:
        spec = config.sources.get(name)
    except KeyError as exc:
        raise SourceError(str(exc.args[0])) from None
    if spec.type != spider_type:
        raise SourceError(
            f"source {name!r} is of type {spec.type!r}, not {spider_type!r}; run "
            f"`scrapy crawl {spec.type} -a source={name}` (or `yuqing crawl {name}`)"
        )
    return spec


def apply_source_settings(settings: BaseSettings, config: Config, spec: SourceSpec) -> None:
    """Politeness and limits from settings.yaml and the source, as Scrapy settings (``-s`` still wins)."""
    crawler_cfg = config.settings.crawler
    obey = spec.obey_robots if spec.obey_robots is not None else crawler_cfg.obey_robots
    values = {
        "USER_AGENT": crawler_cfg.user_agent,
        "ROBOTSTXT_OBEY": obey,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawler_cfg.concurrent_requests_per_domain,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawler_cfg.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": crawler_cfg.download_timeout_s,
        "DOWNLOAD_MAXSIZE": crawler_cfg.max_page_bytes,
        "DOWNLOAD_WARNSIZE": max(crawler_cfg.max_page_bytes // 2, 1024),
        "RETRY_TIMES": crawler_cfg.retry_times,
    }
    for key, value in values.items():
        settings.set(key, value, priority="project")
    if settings.getbool("YUQING_DISTRIBUTED"):
        _apply_distributed(settings, config, spec)
    elif settings.getbool("YUQING_RESUMABLE") and not settings.get("JOBDIR"):
        settings.set("JOBDIR", str(job_dir(spec.name)), priority="project")


def job_dir(source: str) -> os.PathLike[str]:
    """Where Scrapy keeps the request queue of a source between an interruption and the resume."""
    return paths.state_dir() / "crawler" / "jobs" / source


def redis_url(settings: BaseSettings, config: Config) -> str | None:
    env_name = config.settings.crawler.redis_url_env
    return settings.get("YUQING_REDIS_URL") or (os.environ.get(env_name) if env_name else None)


def _apply_distributed(settings: BaseSettings, config: Config, spec: SourceSpec) -> None:
    url = redis_url(settings, config)
    if not url:
        env_name = config.settings.crawler.redis_url_env or "YUQING_REDIS_URL"
        raise SourceError(
            f"distributed crawling of {spec.name!r} needs Redis: pass --redis-url redis://HOST:PORT/0 "
            f"(or -s YUQING_REDIS_URL=...), or set {env_name}"
        )
    crawl_id = settings.get("YUQING_CRAWL_ID") or str(int(time.time() // (spec.interval_minutes * 60)))
    prefix = f"yuqing:{spec.name}:{crawl_id}"
    for key, value in {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "crawler.dupefilter.KeyedDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "REDIS_URL": url,
        "JOBDIR": None,
        # Take from the shared queue no more than can be fetched now, so other processes get their share.
        "CONCURRENT_REQUESTS": config.settings.crawler.concurrent_requests_per_domain
        * max(1, len(spec.allowed_domains)),
    }.items():
        settings.set(key, value, priority="project")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str | None, now: datetime, tz: str = "Asia/Shanghai") -> datetime | None:
    """The start of a source's time window: a duration back from now ("48h", "7d", "30m", "2w") or a
    date/time ("2024-05-01"). Raises SourceError for anything else."""
    if not text:
        return None
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    if impossible_written_date(text):
        # A publish time on a page may be written day-first; the date in a config file is YYYY-MM-DD, and
        # 2026-13-01 read leniently became 13 January.
        raise SourceError(f"since: {text!r} is not a real date (year-month-day); write e.g. '2026-11-01' or '7d'")
    parsed = parse_time(text, now=now, tz=tz)
    if parsed is None:
        raise SourceError(
            f"since: {text!r} is neither a duration nor a date; write e.g. '48h', '7d' or '2024-05-01'"
        )
    return parsed


DEMO_WEB_PORT = 8700  # where the shipped sources.yaml points the demo_* sources


def demo_web_port(config: Config, names: list[str] | None = None) -> int:
    """The port the demo_* sources (the enabled ones, or ``names``) crawl: where `yuqing demo` and `yuqing demo-web`
    serve the demo web, so moving it is one edit of sources.yaml. 8700 when no demo source is configured."""
    if names is None:
        names = [s.name for s in config.sources.sources if s.enabled and s.name.startswith("demo_")]
    ports = {(parts := urlsplit(url)).port or (443 if parts.scheme == "https" else 80)
             for name in names for url in config.sources.get(name).start_urls}
    if len(ports) > 1:
        raise ValueError(f"the demo sources in sources.yaml point at several ports {sorted(ports)}; point every "
                         "demo_* source at the one demo web")
    return ports.pop() if ports else DEMO_WEB_PORT


def start_urls(spec: SourceSpec) -> list[str]:
    """The source's start URLs, one per keyword where a URL holds ``{keyword}`` (the keyword URL-quoted)."""
    urls = []
    for url in spec.start_urls:
        if "{keyword}" in url:
            if not spec.keywords:
                raise SourceError(
                    f"source {spec.name!r}: start URL {url} has a {{keyword}} placeholder but the "
                    "source has no keywords; add keywords: [...] or remove the placeholder"
                )
            urls += [url.replace("{keyword}", quote(k, safe="")) for k in spec.keywords]
        else:
            urls.append(url)
    return urls


def queries_in_urls(spec: SourceSpec) -> bool:
    """True when the keywords are sent to the site as queries (so the site, not we, filters)."""
    return any("{keyword}" in url for url in spec.start_urls)


def matches_keywords(keywords: list[str], text: str) -> bool:
    """Any keyword matches; a keyword with spaces needs all its words ("食堂 中毒")."""
    if not keywords:
        return True
    return any(all(term in text for term in keyword.split()) for keyword in keywords)
