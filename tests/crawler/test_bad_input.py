"""Hostile input through the spiders: malformed HTML, XML, JSON and feeds, wrong charsets, truncated and
oversized bodies, redirect loops, missing fields. Each bad item is skipped or kept partly with a
logged reason; the good items around it are still indexed; the crawl finishes normally."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.demo_web import DemoWeb
from crawler.pipelines import OTHER_SOURCE
from crawler.runner import SourceRun
from tests.crawler.conftest import CrawlEnv

pytestmark = pytest.mark.es


def fault_sources(base: str) -> list[dict[str, Any]]:
    common = {"region": {"province": "湖南省", "city": "A市"}, "interval_minutes": 5}
    return [
        {
            "name": "faults_news",
            "type": "news",
            "start_urls": [f"{base}/faults/news/"],
            "link_selector": "a.article-link::attr(href)",
            **common,
        },
        {"name": "faults_rss", "type": "rss", "start_urls": [f"{base}/faults/rss.xml"], **common},
        {"name": "faults_weibo", "type": "weibo", "start_urls": [f"{base}/faults/weibo.json"], **common},
        {
            "name": "faults_forum",
            "type": "social_json",
            "start_urls": [f"{base}/faults/forum.json"],
            "items_path": "data.items",
            "next_page_selector": "data.next",
            "field_paths": {
                "id": "tid",
                "title": "subject",
                "text": "message",
                "author": "author.name",
                "published_at": "dateline",
                "comments": "replies",
            },
            **common,
        },
        {"name": "faults_sitemap", "type": "sitemap", "start_urls": [f"{base}/faults/sitemap.xml"], **common},
    ]


def test_bad_input_is_skipped_or_partial_with_a_reason_and_the_crawl_goes_on(
    demo_web: DemoWeb, crawl_env: CrawlEnv
) -> None:
    crawl_env.set_sources(fault_sources(demo_web.url))
    result = crawl_env.crawl(
        "faults_news", "faults_rss", "faults_weibo", "faults_forum", "faults_sitemap", timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for source in result.report["sources"]:
        assert source["finish_reason"] == "finished", source

    news = result.stats("faults_news")
    titles = {d["title"] for d in crawl_env.docs("faults_news")}
    assert {"城管集中整治占道经营", "字符集声明错误的页面", "较大页面", "被截断的页面"} <= titles
    assert news["yuqing/skipped/too_large"] == 1, "an 11 MB page is refused at max_page_bytes"
    assert news["yuqing/skipped/redirect_loop"] == 1
    # An image is not an article: under a .png URL, under a .html one, and when the server calls it HTML.
    assert news["yuqing/skipped/not_text"] == 3
    assert news["yuqing/skipped/empty"] >= 2, "an empty body and a page without text"
    assert news["yuqing/partial/complete_body"] == 1, "a truncated body is kept and flagged"
    assert news["yuqing/errors/HTTP 404"] == 1
    assert news["yuqing/errors/HTTP 500"] == 1
    assert news["yuqing/duplicates"] == 1, "a redirect to a page already collected is the same item"
    # the summary tells a repeat within this run from an item of an earlier run ("1 seen before" on a fresh state
    # read as "it ran before"), and says why items were skipped
    ran = result.source("faults_news")
    summary = SourceRun("faults_news", ran["type"], ran["finish_reason"], ran["failure"], ran["stats"]).summary()
    assert "1 repeated within this run, 0 collected in an earlier run" in summary, summary
    assert "seen before" not in summary
    skipped = sum(v for k, v in news.items() if k.startswith("yuqing/skipped/"))
    assert f"{skipped} skipped (" in summary and "not_text 3" in summary and "redirect_loop 1" in summary, summary
    fetched = demo_web.access_log.counts("/faults/news/")
    assert fetched["/faults/news/error.html"] == 4, "retried retry_times (3) times, then given up"
    assert fetched["/faults/news/loop-a.html"] == 1 and fetched["/faults/news/loop-b.html"] == 1
    charset_doc = next(d for d in crawl_env.docs("faults_news") if d["title"] == "字符集声明错误的页面")
    assert "菜市场改造完成" in charset_doc["text"], "GBK bytes declared as UTF-8 are read as GBK"
    malformed = [d for d in crawl_env.docs("faults_news") if "路灯损坏" in d.get("text", "")]
    assert malformed, "broken markup still yields its text"

    rss = result.stats("faults_rss")
    assert rss["yuqing/malformed_feeds"] == 1
    assert rss["yuqing/skipped/no_link"] == 3, "entries without link or id, and the cut-off last one"
    rss_titles = {d.get("title") for d in crawl_env.docs("faults_rss")}
    assert {"正常条目：A市开展夜市消防检查", "正常条目：A5区开展燃气安全宣传"} <= rss_titles

    weibo = result.stats("faults_weibo")
    assert weibo["yuqing/skipped/no_mblog"] == 2 and weibo["yuqing/skipped/no_id"] == 1
    assert weibo["yuqing/skipped/no_text"] == 1 and weibo["yuqing/skipped/bad_json"] == 1
    assert weibo["yuqing/partial/author"] == 1
    posts = {d["url"].rsplit("/", 1)[-1]: d for d in crawl_env.docs("faults_weibo")}
    assert set(posts) == {"4990000000099001", "4990000000099007"}
    assert posts["4990000000099001"]["engagement"]["reposts"] == 1_000_000
    assert posts["4990000000099007"]["published_at"].startswith("2019-05-12T16:25")
    assert "<b>" not in posts["4990000000099007"]["text"]

    forum = result.stats("faults_forum")
    assert forum["yuqing/skipped/no_id"] == 1 and forum["yuqing/skipped/not_an_object"] == 1
    assert forum["yuqing/skipped/empty"] == 1 and forum["yuqing/partial/text"] == 1
    assert forum["yuqing/skipped/bad_json"] == 1, "the second page is HTML, not JSON"
    assert len(crawl_env.docs("faults_forum")) == 2

    sitemap = result.stats("faults_sitemap")
    assert sitemap["yuqing/skipped/bad_url"] == 2 and sitemap["yuqing/malformed_sitemaps"] == 1
    # its readable pages (good.html, no-fields.html) are faults_news's articles, the same documents: collected there,
    # not indexed again
    assert sitemap[OTHER_SOURCE] == 2 and crawl_env.docs("faults_sitemap") == []
    assert "城管集中整治占道经营" in {d.get("title") for d in crawl_env.docs("faults_news")}

    assert "Traceback" not in result.stderr, "no error escaped as an exception"


def test_a_logged_reason_shows_how_a_value_is_written_not_what_it_says(crawl_env: CrawlEnv) -> None:
    """A field read from the wrong place (a forum's dateline path pointing at a contact line) and a feed entry without
    a link were logged with their raw value: a phone number and a name in the crawl's log."""
    from tests.support.net import JsonHandler, LocalHttpServer

    phone = "13812345678"

    class Forum(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path.startswith("/forum.json"):
                self.reply(200, {"data": {"items": [{"tid": 7, "subject": "A3区小区停水", "message": "停水三天了",
                                                     "dateline": f"联系人王建国{phone}"}]}})
            elif self.path.startswith("/rss.xml"):
                self.reply(200, ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
                                 f"<item><title>业主王建国{phone}反映停水</title></item></channel></rss>").encode(),
                           [("Content-Type", "application/rss+xml")])
            else:
                self.reply(404, {"ok": 0})

    server = LocalHttpServer(Forum).start()
    try:
        common = {"region": {"province": "湖南省", "city": "A市"}, "interval_minutes": 5, "obey_robots": False}
        crawl_env.set_sources([
            {"name": "forum", "type": "social_json", "start_urls": [f"{server.base_url}/forum.json"],
             "items_path": "data.items", "field_paths": {"id": "tid", "title": "subject", "text": "message",
                                                          "published_at": "dateline"}, **common},
            {"name": "feed", "type": "rss", "start_urls": [f"{server.base_url}/rss.xml"], **common}])
        result = crawl_env.crawl("forum", "feed")
    finally:
        server.stop()
    assert result.stats("forum")["yuqing/partial/published_at"] == 1
    assert result.stats("feed")["yuqing/skipped/no_link"] == 1
    assert "unreadable, written as 'xxxxxx99999999999'" in result.stderr
    assert "an entry (title of 20 characters) has neither link nor id" in result.stderr
    assert phone not in result.stderr and "王建国" not in result.stderr
