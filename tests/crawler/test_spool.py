"""Elasticsearch stopped in the middle of a crawl: every item ends up indexed, exactly once.

The test runs its own Elasticsearch node (the shared one must stay up for the other tests), stops it
while a slow crawl is running, starts it again, and counts.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from crawler.demo_web import start_demo_web
from crawler.demo_web.content import NEWS
from tests.crawler.conftest import REPO, CrawlEnv, demo_sources
from yuqing.es.indices import IndexLayout
from yuqing.es.node import LocalNode
from yuqing.settings import ElasticsearchSettings

pytestmark = pytest.mark.es

GENERATED = 80


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_node() -> Iterator[LocalNode]:
    # Not under pytest's tmp folder: as root the node runs as its own user, who must be able to enter it.
    home = Path(tempfile.mkdtemp(prefix="yuqing-spool-es-"))
    os.chmod(home, 0o755)
    port = _free_port()
    node = LocalNode(ElasticsearchSettings(http_port=port, heap="256m"), home=home, port=port)
    node.start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _count(es: Elasticsearch, layout: IndexLayout) -> int:
    try:
        es.indices.refresh(index=layout.posts.alias)
        return int(es.count(index=layout.posts.alias)["count"])
    except Exception:  # the node is down or starting: no count yet
        return -1


def test_node_stopped_mid_crawl_then_restarted_every_item_indexed_once(
    own_node: LocalNode, tmp_path: Path
) -> None:
    es = Elasticsearch(own_node.url, request_timeout=10)
    layout = IndexLayout("spooltest")
    layout.ensure(es)
    web = start_demo_web(port=0, pages=GENERATED, delay_s=0.4)
    try:
        env = CrawlEnv(tmp_path, own_node.url, layout, es)
        sources = [s for s in demo_sources(web.url) if s["name"] == "demo_news"]
        sources[0]["max_pages"] = 10
        env.set_sources(sources)
        command = env.command(
            "demo_news", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "YUQING_SPOOL_DRAIN_WAIT_S": 150}
        )
        crawl = subprocess.Popen(
            command, cwd=REPO, env=env.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait(lambda: _count(es, layout) >= 5, 90, "the first posts to be indexed")
            own_node.stop()
            spool = env.home / "spool" / layout.prefix / "posts"
            _wait(lambda: any(spool.glob("*.jsonl")), 60, "posts to go to the spool while the node is down")
            assert crawl.poll() is None, "the crawl must still be running when the node comes back"
            own_node.start()
            stdout, stderr = crawl.communicate(timeout=240)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.communicate()
    finally:
        web.stop()
    assert crawl.returncode == 0, stderr[-3000:]
    expected = len(NEWS) + GENERATED
    es.indices.refresh(index=layout.posts.alias)
    ids = [h["_id"] for h in es.search(index=layout.posts.alias, size=1000, source=False)["hits"]["hits"]]
    assert len(ids) == len(set(ids)) == expected, "every article indexed, none twice"
    assert not list(spool.glob("*.jsonl")), "the spool is empty again"
    report = stdout.strip().splitlines()[-1]
    assert '"yuqing/posts_spooled"' in report and '"yuqing/spool_replayed"' in report
    fetched = web.access_log.counts("/news/content/")
    assert len(fetched) == expected and set(fetched.values()) == {1}, "and each page was fetched once"


def test_a_post_that_could_not_be_deidentified_is_remembered_without_its_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It is fetched again next crawl; the record of the failure names it but holds nothing raw."""
    import json
    from datetime import UTC, datetime

    from crawler.pipelines import PostPipeline
    from yuqing.contract import Post

    monkeypatch.setenv("YUQING_HOME", str(tmp_path))
    post = Post(id="p1", source="demo_board", url="http://127.0.0.1:8700/board/msg/b1.html", author="王建国",
                fetched_at=datetime(2026, 4, 8, tzinfo=UTC), text="我叫王建国，电话13812345678")
    PostPipeline._keep_aside(None, post, RuntimeError("de-identification failed"))  # type: ignore[arg-type]
    [line] = (tmp_path / "crawler" / "enrich-failed.jsonl").read_text(encoding="utf-8").splitlines()
    assert "13812345678" not in line and "王建国" not in line
    assert json.loads(line)["post"] == {"id": "p1", "source": "demo_board", "source_type": "news",
                                        "url": "http://127.0.0.1:8700/board/msg/b1.html",
                                        "fetched_at": "2026-04-08T00:00:00Z", "published_at": None}


def test_a_copy_at_another_url_is_dropped_once_and_its_url_remembered(tmp_path: Path) -> None:
    """/news/1.html?utm=x or a copied page: dropped by its content, and not fetched again on every later crawl."""
    import asyncio
    from datetime import UTC, datetime

    from scrapy.exceptions import DropItem
    from scrapy.spiders import Spider
    from scrapy.utils.test import get_crawler

    from crawler.pipelines import PostPipeline
    from crawler.state import CrawlState, SeenEntry, content_hash
    from yuqing.contract import Post

    state = CrawlState(tmp_path / "state.db")
    digest = content_hash("停水通知", "明日停水")
    state.mark_seen("demo_news", [SeenEntry("original", digest, "original")])
    pipeline = PostPipeline(get_crawler(Spider))
    pipeline.state, pipeline.source = state, "demo_news"
    copy = Post(id="copy", source="demo_news", fetched_at=datetime(2026, 4, 8, tzinfo=UTC), title="停水通知",
                text="明日停水", content_hash=digest)
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(copy))
    assert state.is_seen("demo_news", "copy")  # the spider's item_request now skips that URL


def test_a_batch_neither_indexed_nor_spooled_fails_the_crawl_and_is_fetched_again(tmp_path: Path) -> None:
    """A review filled the spool's disk with Elasticsearch down: the crawl said "0 new posts indexed … 0 errors",
    exit 0. The posts must stay unseen (the next crawl fetches them) and the crawl must say it failed them."""
    import errno
    from datetime import UTC, datetime

    from scrapy.spiders import Spider
    from scrapy.utils.test import get_crawler

    from crawler.pipelines import NOT_STORED, PostPipeline
    from crawler.runner import SourceRun
    from crawler.state import CrawlState
    from yuqing.contract import Post

    state = CrawlState(tmp_path / "state.db")
    crawler = get_crawler(Spider)
    pipeline = PostPipeline(crawler)
    pipeline.state, pipeline.source, pipeline.stats = state, "demo_rss", crawler.stats
    posts = [Post(id=f"p{i}", source="demo_rss", fetched_at=datetime(2026, 4, 8, tzinfo=UTC), text=f"停水通知{i}")
             for i in range(3)]

    def disk_full(batch: list[Post]) -> None:
        raise OSError(errno.ENOSPC, "cannot write 3 documents to the spool var/spool/posts (No space left on device)")

    pipeline._store = disk_full  # type: ignore[method-assign]
    pipeline._write(posts)
    assert not any(state.is_seen("demo_rss", p.id) for p in posts)
    run = SourceRun("demo_rss", "rss", finish_reason="finished", stats=dict(crawler.stats.get_stats()))
    assert run.not_stored == 3 and crawler.stats.get_value(NOT_STORED) == 3
    assert "3 NOT STORED (" in run.summary() and "No space left on device" in run.summary()
