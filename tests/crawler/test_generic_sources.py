"""A new site is configuration: without selectors, generic extraction and printed labels do the work;
sitemaps (news sitemaps) and Atom feeds need only their URL."""

from __future__ import annotations

import pytest

from crawler.demo_web import DemoWeb
from crawler.demo_web.content import BOARD, NEWS
from tests.crawler.conftest import CrawlEnv, demo_sources

pytestmark = pytest.mark.es


def test_sources_without_selectors_sitemaps_and_atom(demo_web: DemoWeb, crawl_env: CrawlEnv) -> None:
    base = demo_web.url
    configured = {s["name"]: s for s in demo_sources(base)}
    common = {"region": {"province": "湖南省", "city": "A市"}, "interval_minutes": 5}
    crawl_env.set_sources(
        [
            {"name": "plain_news", "type": "news", "start_urls": [f"{base}/news/"], **common},
            {
                "name": "plain_board",
                "type": "message_board",
                "start_urls": [f"{base}/board/"],
                "link_selector": "a.msg-link::attr(href)",
                **common,
            },
            {**configured["demo_sitemap"], "enabled": True},
            {"name": "board_atom", "type": "rss", "start_urls": [f"{base}/atom.xml"], **common},
        ]
    )
    result = crawl_env.crawl("plain_news", "plain_board")
    assert result.returncode == 0, result.stderr[-3000:]
    # The sitemap and the feed lead to the same pages as the list pages: each type is tried with a crawl state of
    # its own, or it would find every document collected by another source already (tests/crawler/test_same_document)
    for alone in ("demo_sitemap", "board_atom"):
        own = crawl_env.crawl(alone, env=crawl_env.env(YUQING_HOME=str(crawl_env.home.parent / alone)))
        assert own.returncode == 0, own.stderr[-3000:]

    news = {d["title"]: d for d in crawl_env.docs("plain_news")}
    assert set(news) == {a.title for a in NEWS}, (
        "headline-like links and generic extraction find every article"
    )
    collapse = news["A5区一在建工地脚手架坍塌 造成2死3伤"]
    assert "2人经抢救无效死亡" in collapse["text"] and collapse["published_at"]
    assert "分享到" not in collapse["text"], "page furniture is not article text"

    board = {d["title"]: d for d in crawl_env.docs("plain_board")}
    assert set(board) == {m.subject for m in BOARD}
    noise = board["A4区丽景苑旁搅拌站夜间施工噪音扰民"]
    assert noise["status"] == "已回复" and noise["published_at"]
    assert noise["reply"]["replier"] == "A4区生态环境局" and noise["reply"]["replied_at"]
    assert "责令其立即整改" in noise["reply"]["text"]
    assert "混凝土搅拌站" in noise["text"]

    sitemap = crawl_env.docs("demo_sitemap")
    assert {d["title"] for d in sitemap} >= {a.title for a in NEWS}
    assert len(sitemap) == len(NEWS) + len(BOARD), "news sitemap and board sitemap, through the sitemap index"

    atom = {d["title"] for d in crawl_env.docs("board_atom")}
    assert atom == {m.subject for m in BOARD}
