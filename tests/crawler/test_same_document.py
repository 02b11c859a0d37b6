"""The same article collected through two sources of one site (its list pages, its feed, its sitemap) is one post;
the same story at another address (another outlet's copy) stays a post of its own, linked as a near-duplicate."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.demo_web import DemoWeb
from crawler.demo_web.content import NEWS
from crawler.runner import SourceRun
from crawler.state import CrawlState, document_url, url_fingerprint
from tests.crawler.conftest import CrawlEnv, demo_sources

pytestmark = pytest.mark.es

OTHER_SOURCE = "yuqing/collected_by_other_source"


def _sources(web: DemoWeb, *names: str) -> dict[str, dict[str, Any]]:
    by_name = {s["name"]: s for s in demo_sources(web.url)}
    return {name: {**by_name[name], "enabled": True} for name in names}


def _summary(result: Any, name: str) -> str:
    ran = result.source(name)
    return SourceRun(name, ran["type"], ran["finish_reason"], ran["failure"], ran["stats"]).summary()


def test_an_article_the_sites_list_and_its_feed_both_link_to_is_one_post(
    demo_web: DemoWeb, crawl_env: CrawlEnv
) -> None:
    sources = _sources(demo_web, "demo_news", "demo_rss")
    # Another outlet carrying the same stories: the same feed read at another host, so each entry links elsewhere.
    copy = {**sources["demo_rss"], "name": "copy_rss",
            "start_urls": [demo_web.url.replace("127.0.0.1", "localhost") + "/rss.xml"]}
    crawl_env.set_sources([sources["demo_news"], sources["demo_rss"], copy])

    first = crawl_env.crawl("demo_news", "demo_rss", "copy_rss")
    assert first.returncode == 0, first.stderr[-3000:]

    news = {d["url"]: d for d in crawl_env.docs("demo_news")}
    assert {d["title"] for d in news.values()} == {a.title for a in NEWS}
    assert crawl_env.docs("demo_rss") == [], "the feed's entries are the list's articles: not indexed twice"
    assert first.stats("demo_rss")[OTHER_SOURCE] == len(NEWS)
    assert first.stats("demo_rss")["yuqing/items_found"] == len(NEWS)
    assert "0 new posts indexed" in _summary(first, "demo_rss")
    assert f"{len(NEWS)} collected by another source" in _summary(first, "demo_rss")
    assert "collected by another source" not in _summary(first, "demo_news")
    assert first.report["indexed"] == len(crawl_env.docs()) == 2 * len(NEWS)

    # another address is another document: the copies are posts of their own, each linked to the story it repeats
    copies = crawl_env.docs("copy_rss")
    assert len(copies) == len(NEWS) and all(d["url"].startswith("http://localhost:") for d in copies)
    originals = {d["_id"] for d in news.values()}
    assert all(d.get("dup_of") in originals for d in copies), "each copy is a near-duplicate of an article"

    again = crawl_env.crawl("demo_rss")
    assert again.report["indexed"] == 0 and crawl_env.docs("demo_rss") == []
    assert OTHER_SOURCE not in again.stats("demo_rss"), "the feed remembers what it dropped: seen before now"
    assert again.stats("demo_rss")["yuqing/seen_before"] == len(NEWS), "collected in the earlier run"
    assert "yuqing/duplicates" not in again.stats("demo_rss"), "no item repeated within the run"
    assert f"0 repeated within this run, {len(NEWS)} collected in an earlier run" in _summary(again, "demo_rss")


def test_an_article_another_source_collected_is_not_fetched_again(demo_web: DemoWeb, crawl_env: CrawlEnv) -> None:
    sources = _sources(demo_web, "demo_news", "demo_sitemap")
    crawl_env.set_sources(list(sources.values()))

    first = crawl_env.crawl("demo_news", "demo_sitemap", log_level="DEBUG")
    assert first.returncode == 0, first.stderr[-3000:]
    # (the sitemap lists the board's messages too: no other source collected those)
    assert not [d for d in crawl_env.docs("demo_sitemap") if "/news/content/" in d["url"]]
    assert first.stats("demo_sitemap")[OTHER_SOURCE] == len(NEWS)
    dropped = [line for line in first.stderr.splitlines() if "collected by the source demo_news already" in line]
    assert len(dropped) == len(NEWS), "each drop is logged (DEBUG) with the source that has the article"

    fetched = demo_web.access_log.counts("/news/content/")
    second = crawl_env.crawl("demo_sitemap")
    assert second.report["indexed"] == 0
    assert demo_web.access_log.counts("/news/content/") == fetched, "the sitemap's second crawl fetches no article"
    assert second.stats("demo_sitemap")["yuqing/seen_before"] == len(NEWS) + len(crawl_env.docs("demo_sitemap"))


def test_an_article_spooled_while_elasticsearch_was_down_is_known_to_the_other_sources(
    demo_web: DemoWeb, crawl_env: CrawlEnv
) -> None:
    crawl_env.set_sources(list(_sources(demo_web, "demo_news", "demo_rss").values()))
    with socket.socket() as sock:  # a port nothing answers on
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    spooled = crawl_env.crawl("demo_news", env=crawl_env.env(YUQING_ES_URL=down))
    assert spooled.report["spooled"] == len(NEWS)

    result = crawl_env.crawl("demo_rss")  # Elasticsearch answers again: the feed's crawl replays the spool first
    assert result.stats("demo_rss")["yuqing/spool_replayed"] == len(NEWS)
    assert result.stats("demo_rss")[OTHER_SOURCE] == len(NEWS)
    assert len(crawl_env.docs("demo_news")) == len(NEWS) and crawl_env.docs("demo_rss") == []


def test_a_state_file_of_the_earlier_schema_learns_document_urls(demo_web: DemoWeb, crawl_env: CrawlEnv) -> None:
    path = crawl_env.home / "crawler" / "state.db"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as old:  # the seen table as crawls before url_fp wrote it
        old.executescript(
            """CREATE TABLE seen (source TEXT NOT NULL, key_fp TEXT NOT NULL, content_hash TEXT, post_id TEXT,
                                  first_seen TEXT NOT NULL, published_at TEXT, PRIMARY KEY (source, key_fp));
               CREATE INDEX seen_by_hash ON seen (source, content_hash);
               INSERT INTO seen VALUES ('demo_board', 'b-old', 'h-old', 'b-old', '2026-11-01T00:00:00+00:00', NULL);"""
        )
    old.close()
    crawl_env.set_sources(list(_sources(demo_web, "demo_news", "demo_rss").values()))

    result = crawl_env.crawl("demo_news", "demo_rss")
    assert result.returncode == 0, result.stderr[-3000:]
    assert crawl_env.docs("demo_rss") == [] and len(crawl_env.docs("demo_news")) == len(NEWS)

    state = CrawlState(path)
    assert state.is_seen("demo_board", "b-old"), "what the old file remembered is kept"
    with sqlite3.connect(path) as db:
        assert "seen_by_url" in {row[1] for row in db.execute("PRAGMA index_list(seen)")}
        stored = {row[0] for row in db.execute("SELECT url_fp FROM seen WHERE source='demo_news'")}
    db.close()
    assert stored == {url_fingerprint(f"{demo_web.url}/news/content/{a.id}.html") for a in NEWS}
    assert state.collected_by(url_fingerprint(f"{demo_web.url}/news/content/{NEWS[0].id}.html"),
                              other_than="demo_rss") == "demo_news"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://Example.GOV.cn:80/News/A.html#top", "http://example.gov.cn/News/A.html"),
        ("https://example.gov.cn:443/a?b=2&a=1", "https://example.gov.cn/a?b=2&a=1"),
        ("https://example.gov.cn:8443/a", "https://example.gov.cn:8443/a"),
        ("http://example.gov.cn:443/a", "http://example.gov.cn:443/a"),
        ("http://www.example.gov.cn/a/", "http://www.example.gov.cn/a/"),
    ],
)
def test_a_document_url_drops_only_what_never_names_another_page(url: str, canonical: str) -> None:
    assert document_url(url) == canonical


def test_a_url_fingerprint_does_not_give_the_url_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    url = "http://bbs.example.cn/detail?tel=13912345678"
    monkeypatch.setenv("YUQING_PSEUDONYM_KEY", "one secret")
    keyed = url_fingerprint(url)
    assert keyed not in {hashlib.sha1(url.encode()).hexdigest(), hashlib.sha256(url.encode()).hexdigest()}
    monkeypatch.setenv("YUQING_PSEUDONYM_KEY", "another secret")
    assert url_fingerprint(url) != keyed


def test_two_crawls_running_side_by_side_collect_an_article_once(tmp_path: Path) -> None:
    """`yuqing run` crawls a site's list and its feed in one process at once: the article one holds in a batch, not yet
    marked seen, is the other's duplicate all the same (at its address written another way)."""
    from scrapy.exceptions import DropItem
    from scrapy.spiders import Spider
    from scrapy.utils.test import get_crawler

    from crawler.pipelines import PostPipeline
    from yuqing.contract import Post

    state = CrawlState(tmp_path / "state.db")
    pipelines = {}
    for source in ("site_news", "site_rss"):
        pipeline = PostPipeline(get_crawler(Spider))
        pipeline.state, pipeline.source, pipeline.chunk_size = state, source, 500
        pipelines[source] = pipeline

    def article(source: str, kind: str, url: str) -> Post:
        return Post(id=Post.make_id(source, url), source=source, source_type=kind, url=url,
                    fetched_at=datetime(2026, 4, 8, tzinfo=UTC), title="A市明日停水", text="A1区明日停水八小时")

    listed = article("site_news", "news", "http://www.a.gov.cn/news/1.html")
    assert asyncio.run(pipelines["site_news"].process_item(listed)) is listed  # in site_news's batch, unseen yet
    fed = article("site_rss", "rss", "HTTP://WWW.A.gov.cn:80/news/1.html#comments")
    with pytest.raises(DropItem, match="collected by the source site_news already"):
        asyncio.run(pipelines["site_rss"].process_item(fed))
    assert pipelines["site_rss"].stats.get_value(OTHER_SOURCE) == 1
    assert state.is_seen("site_rss", fed.id), "the feed does not fetch it again"
