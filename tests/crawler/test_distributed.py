"""Two crawler processes share one crawl through Redis (scrapy-redis): every page is fetched exactly once."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.demo_web import start_demo_web
from crawler.demo_web.content import NEWS
from tests.crawler.conftest import REPO, CrawlEnv, demo_sources

pytestmark = [pytest.mark.es, pytest.mark.redis]

GENERATED = 40


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip(
            "redis-server is not on PATH (apt-get install redis-server); distributed crawling needs it"
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_processes_share_the_queue_and_fetch_each_page_once(redis_url: str, crawl_env: CrawlEnv,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    web = start_demo_web(port=0, pages=GENERATED, delay_s=0.3)
    try:
        sources = [s for s in demo_sources(web.url) if s["name"] == "demo_news"]
        crawl_env.set_sources(sources)
        command = crawl_env.command(
            "demo_news",
            "--distributed",
            "--redis-url",
            redis_url,
            "--crawl-id",
            "t1",
            settings={"YUQING_DISTRIBUTED_IDLE_S": 8},
        )
        processes = [
            subprocess.Popen(
                command,
                cwd=REPO,
                env=crawl_env.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=180) for p in processes]
    finally:
        web.stop()
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        # The JSON report on stdout names a run's failure; stderr carries the log leading up to it.
        assert process.returncode == 0, f"report: {stdout[-2000:]}\nlog: {stderr[-3000:]}"
    fetched = web.access_log.counts()
    pages = {path: n for path, n in fetched.items() if path != "/robots.txt"}
    expected_articles = len(NEWS) + GENERATED
    articles = [p for p in pages if p.startswith("/news/content/")]
    assert len(articles) == expected_articles
    assert set(pages.values()) == {1}, {p: n for p, n in pages.items() if n != 1}
    assert {"/news/", "/news/index_2.html", "/news/index_3.html"} <= set(pages)
    per_process = [int(json_stats(out).get("downloader/response_count", 0)) for out, _ in outputs]
    assert all(n > 1 for n in per_process), f"both processes did part of the crawl: {per_process}"
    assert len(crawl_env.docs("demo_news")) == expected_articles
    # The shared duplicate filter stays in Redis: its fingerprints are keyed, so a URL with a phone number in it could
    # not be found by hashing the candidates (the crawls ran with the development key: no YUQING_PSEUDONYM_KEY).
    import redis
    from scrapy import Request
    from scrapy_redis.dupefilter import RFPDupeFilter

    from crawler.dupefilter import KeyedDupeFilter

    monkeypatch.delenv("YUQING_PSEUDONYM_KEY", raising=False)
    requests = [Request(web.url + path) for path in pages]
    stored = {m.decode() for m in redis.Redis.from_url(redis_url).smembers("yuqing:demo_news:t1:dupefilter")}
    assert {KeyedDupeFilter(None, "k").request_fingerprint(r) for r in requests} <= stored
    assert not {RFPDupeFilter(None, "plain").request_fingerprint(r) for r in requests} & stored


def json_stats(stdout: str) -> dict:
    import json

    return json.loads(stdout.strip().splitlines()[-1])["sources"][0]["stats"]
