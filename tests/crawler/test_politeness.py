"""robots.txt as RFC 9309 and the convention ask: a robots.txt the server fails to give disallows the site, and a
Crawl-delay spaces the requests. Served by a small local site whose access log the tests read."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.crawler.conftest import CrawlEnv

pytestmark = pytest.mark.es

ARTICLE = ("<html><head><title>{t}</title></head><body><h1>{t}</h1><div class='content'><p>"
           + "A市A3区某小区居民反映路灯损坏多日，夜间出行不便，希望有关部门尽快维修。" * 4 + "</p></div></body></html>")


class Site:
    """robots.txt as given; a feed of five articles; every request's path and the time its connection was accepted
    (taken in the serving thread before a handler thread starts, so a slow thread start does not move it; the
    handler answers HTTP/1.0, so each request comes on a connection of its own)."""

    def __init__(self, robots_status: int, robots_text: str) -> None:
        self.log: list[tuple[str, float]] = []
        accepted: dict[int, float] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                site.log.append((self.path, accepted.pop(id(self.request), time.monotonic())))
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == "/robots.txt":
                    status, kind, body = robots_status, "text/plain", robots_text
                elif self.path == "/feed.xml":
                    items = "".join(f"<item><title>路灯损坏{i}</title><link>{base}/a{i}.html</link>"
                                    f"<guid>{base}/a{i}.html</guid><pubDate>Mon, 02 Mar 2026 09:0{i}:00 +0800</pubDate>"
                                    "</item>" for i in range(5))
                    status, kind, body = 200, "application/rss+xml", (
                        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
                        f"<link>{base}/</link>{items}</channel></rss>")
                else:
                    status, kind, body = 200, "text/html; charset=utf-8", ARTICLE.format(t=f"路灯损坏 {self.path}")
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        class Server(ThreadingHTTPServer):
            def verify_request(self, request, client_address) -> bool:  # type: ignore[no-untyped-def]
                accepted[id(request)] = time.monotonic()
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _ in self.log]


@pytest.fixture
def site_factory() -> Iterator[type[Site]]:
    started: list[Site] = []

    class Started(Site):
        def __init__(self, robots_status: int, robots_text: str) -> None:
            super().__init__(robots_status, robots_text)
            started.append(self)

    yield Started
    for site in started:
        site.server.shutdown()
        site.server.server_close()


def feed_source(url: str) -> dict[str, object]:
    return {"name": "lamps", "type": "rss", "start_urls": [f"{url}/feed.xml"], "interval_minutes": 5,
            "region": {"province": "湖南省", "city": "A市"}}


def test_a_robots_txt_the_server_fails_to_give_closes_the_site(site_factory, crawl_env: CrawlEnv) -> None:  # type: ignore[no-untyped-def]
    site = site_factory(500, "Internal Server Error")
    crawl_env.set_sources([feed_source(site.url)])
    result = crawl_env.crawl("lamps")
    assert set(site.paths()) == {"/robots.txt"}, site.paths()  # neither the feed nor an article was fetched
    assert result.stats("lamps")["yuqing/robots_unavailable"] == 1
    assert "robots.txt of 127.0.0.1" in result.stderr and "treated as disallowed (RFC 9309)" in result.stderr


def test_a_crawl_delay_spaces_the_requests_to_the_site(site_factory, crawl_env: CrawlEnv) -> None:  # type: ignore[no-untyped-def]
    """Without the floor the articles came within a tenth of a second. With Scrapy's 0.5x-1.5x randomisation left
    on, a 2 s Crawl-delay gives gaps from 1 s to 3 s, and a gap below 1.6 s fails the test in some runs, not all
    (1 of 3 with the randomisation left on). The 0.4 s allowed below 2 s is for a busy machine: on one, a request
    went out 0.25 s late and the next on time (gaps 1.25 s and 0.76 s under a 1 s delay, CI 2026-11-28)."""
    site = site_factory(200, "User-agent: *\nCrawl-delay: 2\n")
    crawl_env.set_sources([feed_source(site.url)])
    crawl_env.crawl("lamps")
    pages = [(path, at) for path, at in site.log if path != "/robots.txt"]
    assert [path for path, _ in pages][:1] == ["/feed.xml"] and len(pages) == 6, site.paths()
    gaps = [later - earlier for (_, earlier), (_, later) in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= 1.6, gaps


def test_a_source_its_robots_txt_closes_fails_the_crawl_and_says_why(site_factory, crawl_env: CrawlEnv) -> None:  # type: ignore[no-untyped-def]
    """It reported '0 found … 0 errors' and exit 0: a source that collects nothing looked like a quiet one."""
    site = site_factory(200, "User-agent: *\nDisallow: /\n")
    crawl_env.set_sources([feed_source(site.url)])
    result = crawl_env.crawl("lamps")
    assert result.returncode == 1
    assert "robots.txt forbids its start URL(s)" in result.source("lamps")["collected_nothing"]
    assert set(site.paths()) == {"/robots.txt"}


def test_ctrl_c_stops_the_crawl_quietly_says_so_and_crawls_no_further_source(site_factory, crawl_env: CrawlEnv) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C printed 'ReactorNotRunning' tracebacks, exited 0 and reported the next source as crawled."""
    import json
    import signal
    import subprocess

    from tests.crawler.conftest import REPO

    site = site_factory(200, "User-agent: *\nCrawl-delay: 3\n")
    crawl_env.set_sources([feed_source(site.url), {**feed_source(site.url), "name": "lamps_again"}])
    process = subprocess.Popen(crawl_env.command("lamps", "lamps_again"), cwd=REPO, env=crawl_env.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while "/feed.xml" not in site.paths() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "/feed.xml" in site.paths()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "ReactorNotRunning" not in err
    assert "crawl interrupted; run the same command again to go on" in err
    report = {s["source"]: s for s in json.loads(out)["sources"]}
    assert report["lamps"]["finish_reason"] == "shutdown"
    assert "interrupted (Ctrl-C) before this source" in report["lamps_again"]["failure"]


def test_ctrl_c_while_a_spider_is_opening_stops_the_crawl_too(site_factory, crawl_env: CrawlEnv) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C before the first spider's engine ran closed no spider with "shutdown": the reactor stopped, the crawl
    reported nothing interrupted and exited 0, and the demo went on to open cases from a crawl that never was
    (its Ctrl-C test failed so on a busy machine)."""
    import json

    site = site_factory(200, "User-agent: *\nAllow: /\n")
    crawl_env.set_sources([feed_source(site.url), {**feed_source(site.url), "name": "lamps_again"}])
    extension = {"tests.crawler.interrupting.InterruptWhileOpening": 100}
    result = crawl_env.crawl("lamps", "lamps_again", settings={"EXTENSIONS": json.dumps(extension)})
    assert result.returncode == 130, result.stderr[-2000:]
    assert "crawl interrupted; run the same command again to go on" in result.stderr
    assert "interrupted (Ctrl-C) before this source" in result.source("lamps_again")["failure"]
