"""The log of `yuqing crawl` reads as the service's does: one format, times in the configured zone."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crawler.demo_web import DemoWeb
from tests.crawler.conftest import REPO, CrawlEnv, demo_sources

pytestmark = pytest.mark.es

ZONE = ZoneInfo("Asia/Shanghai")  # config/settings.yaml's timezone


@pytest.mark.parametrize("log_file", [False, True], ids=["stderr", "LOG_FILE"])
def test_the_crawl_logs_in_the_services_format_with_times_in_the_configured_zone(
        demo_web: DemoWeb, crawl_env: CrawlEnv, log_file: bool) -> None:
    """Scrapy's own handler wrote the machine's time without a zone in another layout ("2026-11-27 15:07:57
    [scrapy.core.engine] INFO: Spider opened") beside `yuqing run`'s "2026-11-27T23:07:57+08:00 INFO …"."""
    crawl_env.set_sources([s for s in demo_sources(demo_web.url) if s["name"] == "demo_news"])
    path = crawl_env.config_dir.parent / "crawl.log"
    before = datetime.now(ZONE).replace(microsecond=0)
    result = crawl_env.crawl("demo_news", settings={"LOG_FILE": path} if log_file else None)
    after = datetime.now(ZONE)
    assert result.returncode == 0, result.stderr[-2000:]
    log = path.read_text(encoding="utf-8") if log_file else result.stderr
    lines = {}
    for said in ("INFO scrapy.utils.log: Scrapy", "INFO scrapy.core.engine: Spider opened",
                 "INFO news: skipped "):  # Scrapy's first line, its spider's, and the project's spider's
        found = re.search(rf"^(\S+) {re.escape(said)}", log, re.MULTILINE)
        assert found, f"no line '<time> {said}…' in:\n{log[-3000:]}"
        lines[said] = datetime.fromisoformat(found.group(1))
    for at in lines.values():
        assert at.utcoffset() == timedelta(hours=8) and before <= at <= after, lines
    # nor a line for every Elasticsearch request, nor Scrapy's dumps of its stats, settings and middlewares: dozens of
    # lines without a time every crawl, every minute under `yuqing run`
    assert " INFO elastic_transport.transport: " not in log
    for dump in ("Dumping Scrapy stats", "Overridden settings", "Enabled downloader middlewares", "Enabled extensions"):
        assert dump not in log


def test_a_log_file_in_a_missing_directory_is_refused_before_the_crawl(crawl_env: CrawlEnv) -> None:
    """Scrapy's handler failed with a traceback once the crawl had begun."""
    missing = crawl_env.config_dir.parent / "no-such-dir" / "crawl.log"
    done = subprocess.run(crawl_env.command("demo_news", settings={"LOG_FILE": missing}), cwd=REPO,
                          env=crawl_env.env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"LOG_FILE={missing}: the directory {missing.parent} does not exist; create it first" in done.stderr
    assert not missing.parent.exists()
