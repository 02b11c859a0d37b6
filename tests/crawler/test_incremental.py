"""Incremental and resumable: an interrupted crawl resumes its queue; new posts are picked up as they appear."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from crawler.demo_web import DemoWeb, start_demo_web
from crawler.demo_web.content import NEWS
from crawler.state import CrawlState
from tests.crawler.conftest import CrawlEnv, demo_sources
from tests.support.net import JsonHandler, LocalHttpServer
from yuqing.clock import ManualClock

pytestmark = pytest.mark.es


def test_an_interrupted_crawl_resumes_where_it_stopped(crawl_env: CrawlEnv) -> None:
    web = start_demo_web(port=0, pages=20)
    try:
        crawl_env.set_sources([s for s in demo_sources(web.url) if s["name"] == "demo_news"])
        first = crawl_env.crawl(
            # a page every 0.2 s: on a busy machine the pages came faster than the batches that count items, and
            # the crawl had every page by the time the third item stopped it
            "demo_news", settings={"CLOSESPIDER_ITEMCOUNT": 3, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                                   "DOWNLOAD_DELAY": 0.2}
        )
        jobdir = crawl_env.home / "crawler" / "jobs" / "demo_news"
        assert first.source("demo_news")["finish_reason"] == "closespider_itemcount"
        assert jobdir.is_dir(), "an interrupted crawl keeps its queue"
        interrupted_at = len(crawl_env.docs())
        assert 3 <= interrupted_at < len(NEWS) + 20

        second = crawl_env.crawl("demo_news")
    finally:
        web.stop()
    assert "Resuming crawl" in second.stderr
    assert second.source("demo_news")["finish_reason"] == "finished"
    assert not jobdir.exists(), "a finished crawl clears its queue"
    docs = crawl_env.docs()
    assert len(docs) == len({d["_id"] for d in docs}) == len(NEWS) + 20
    assert second.report["indexed"] == len(NEWS) + 20 - interrupted_at

    state = CrawlState(crawl_env.home / "crawler" / "state.db").source_state("demo_news")
    assert state is not None and state.runs == 2
    assert state.items_total == len(NEWS) + 20 and state.last_finish_reason == "finished"
    assert state.last_item_at is not None


def test_posts_released_later_are_collected_by_the_next_crawl_only(
    crawl_env: CrawlEnv, tmp_path: Path
) -> None:
    scenario = tmp_path / "later.yaml"
    scenario.write_text("name: later\nreleases:\n  n1002: 60\n  '4990000000000006': 60\n", encoding="utf-8")
    clock = ManualClock(datetime.now(ZoneInfo("Asia/Shanghai")))
    web = DemoWeb(port=0, scenario=str(scenario), clock=clock).start()
    try:
        crawl_env.set_sources([s for s in demo_sources(web.url) if s["name"] in ("demo_news", "demo_weibo")])
        crawl_env.crawl("demo_news", "demo_weibo")
        titles = {d.get("title") for d in crawl_env.docs("demo_news")}
        assert "A3区通报第二实验小学学生身体不适情况：留样送检 食堂停业整顿" not in titles
        clock.advance(timedelta(seconds=61))
        later = crawl_env.crawl("demo_news", "demo_weibo")
    finally:
        web.stop()
    assert later.stats("demo_news")["yuqing/posts_indexed"] == 1
    assert later.stats("demo_weibo")["yuqing/posts_indexed"] == 1
    released = next(d for d in crawl_env.docs("demo_news") if d["title"].startswith("A3区通报"))
    assert released["published_at"][:16] == web.site.news_published(NEWS[1]).isoformat()[:16]


def test_a_message_without_a_reply_is_fetched_again_until_its_reply_appears(
    crawl_env: CrawlEnv, tmp_path: Path
) -> None:
    """The reply's time is what timeliness is judged on: a message first seen unanswered is looked at again."""
    scenario = tmp_path / "reply.yaml"
    scenario.write_text("name: reply\nreleases:\n  b2002: 60\n", encoding="utf-8")
    clock = ManualClock(datetime.now(ZoneInfo("Asia/Shanghai")))
    web = DemoWeb(port=0, scenario=str(scenario), clock=clock).start()
    try:
        crawl_env.set_sources([s for s in demo_sources(web.url) if s["name"] == "demo_board"])
        clock.advance(timedelta(seconds=61))
        crawl_env.crawl("demo_board")
        first = crawl_env.docs("demo_board")
        [waiting] = [d for d in first if d["title"].startswith("A4区丽景苑")]
        assert "reply" not in waiting
        unanswered = len([d for d in first if "reply" not in d])
        again = crawl_env.crawl("demo_board")  # nothing answered yet: looked at again, and not counted as new
        assert again.stats("demo_board").get("yuqing/posts_new", 0) == 0
        assert again.stats("demo_board")["yuqing/awaiting_reply_revisited"] == unanswered
        assert again.report["indexed"] == 0
        clock.advance(timedelta(hours=53))  # the unit answers 52 hours after the message
        crawl_env.crawl("demo_board")
    finally:
        web.stop()
    [answered] = [d for d in crawl_env.docs("demo_board") if d["title"].startswith("A4区丽景苑")]
    assert answered["reply"]["replier"] == "A4区生态环境局" and answered["reply"]["replied_at"]
    assert answered["_id"] == waiting["_id"]  # the same post, updated, not a second one
    fetched = web.access_log.counts("/board/msg/")
    assert fetched["/board/msg/b2002.html"] == 3  # looked at again while unanswered
    answered_before = [urlsplit(d["url"]).path for d in first if "reply" in d]
    assert answered_before and all(fetched[p] == 1 for p in answered_before)  # answered ones: once


PHONE = "13812345678"
LONG_POSTS = ("5001", "5002", "5003")


class _LongWeibo(JsonHandler):
    """A Weibo search of long posts only. Each request for a full text first copies every file of the crawl's
    queue on disk (JOBDIR), as it stands while the other full-text requests wait in it."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        if parts.path == "/api/container/getIndex":
            cards = [{"card_type": 9, "mblog": {
                "id": pid, "created_at": "刚刚", "isLongText": True, "user": {"screen_name": f"居民{pid}"},
                "text": f"小区{pid}停水三天没人管，物业联系电话{PHONE}一直打不通...全文"}} for pid in LONG_POSTS]
            self.reply(200, {"ok": 1, "data": {"cards": cards, "cardlistInfo": {}}})
        elif parts.path == "/statuses/extend":
            self.owner.snapshots.append(b"".join(
                path.read_bytes() for path in sorted(self.owner.jobdir.rglob("*")) if path.is_file()))
            pid = parse_qs(parts.query)["id"][0]
            self.reply(200, {"ok": 1, "data": {"longTextContent": f"小区{pid}停水三天没人管，物业联系电话{PHONE}"
                                                                     "一直打不通，老人孩子只能下楼提水，希望有关部门尽快处理。"}})
        else:
            self.reply(404, {"ok": 0})


def test_a_resumable_crawls_queue_on_disk_holds_no_raw_personal_data(crawl_env: CrawlEnv) -> None:
    """A long Weibo post waits in the queue for its full text; a resumable crawl keeps that queue on disk, so the
    post it carries is de-identified, and the post indexed is the full text, masked, as before."""
    server = LocalHttpServer(_LongWeibo).start()
    server.jobdir = crawl_env.home / "crawler" / "jobs" / "long_weibo"  # type: ignore[attr-defined]
    server.snapshots = []  # type: ignore[attr-defined]
    try:
        crawl_env.set_sources([{
            "name": "long_weibo", "type": "weibo", "region": {"province": "湖南省", "city": "A市"},
            "start_urls": [f"{server.base_url}/api/container/getIndex?containerid=100103type%3D1%26q%3D停水"]}])
        result = crawl_env.crawl("long_weibo", settings={"CONCURRENT_REQUESTS": 1,
                                                         "CONCURRENT_REQUESTS_PER_DOMAIN": 1})
    finally:
        server.stop()
    assert result.source("long_weibo")["finish_reason"] == "finished", result.stderr[-3000:]
    snapshots: list[bytes] = server.snapshots  # type: ignore[attr-defined]
    assert len(snapshots) == len(LONG_POSTS)
    assert any(b"/statuses/extend" in s for s in snapshots), "the queue on disk held a waiting full-text request"
    assert not [s for s in snapshots if PHONE.encode() in s]
    assert any(b"138****5678" in s for s in snapshots), "... and its post, masked"
    texts = sorted(d["text"] for d in crawl_env.docs("long_weibo"))
    assert texts == [f"小区{pid}停水三天没人管，物业联系电话138****5678一直打不通，老人孩子只能下楼提水，希望有关部门尽快处理。"
                     for pid in LONG_POSTS]


ESTATES = ("丽景苑", "翠湖园", "金桂苑")


class _TeaserFeed(JsonHandler):
    """A feed whose entries are teasers with a phone number; each article page first copies the crawl's queue on
    disk (JOBDIR), as it stands while the other articles wait in it."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = urlsplit(self.path).path
        if path == "/feed.xml":
            items = "".join(f"<item><title>A3区{e}停水三天</title><link>{self.owner.base_url}/a/{n}.html</link>"
                            f"<description>业主王建国{PHONE}反映停水</description></item>" for n, e in enumerate(ESTATES))
            self.reply(200, f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
                            f"{items}</channel></rss>".encode(), [("Content-Type", "application/rss+xml")])
        elif path.startswith("/a/"):
            self.owner.snapshots.append(b"".join(
                p.read_bytes() for p in sorted(self.owner.jobdir.rglob("*")) if p.is_file()))
            estate = ESTATES[int(path.removeprefix("/a/").removesuffix(".html"))]
            body = (f"<html><head><title>停水</title></head><body><article><p>{estate}小区停水三天没人管，业主王建国联系电话"
                    f"{PHONE}，{estate}的老人孩子只能下楼提水，希望有关部门尽快处理。</p></article></body></html>")
            self.reply(200, body.encode(), [("Content-Type", "text/html; charset=utf-8")])
        elif path == "/robots.txt":
            self.reply(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        else:
            self.reply(404, {"ok": 0})


def test_a_feeds_teasers_wait_in_the_queue_on_disk_de_identified(crawl_env: CrawlEnv) -> None:
    """A feed's teaser travels with the request for its article (the title wins over the page's); a resumable crawl
    pickled it to disk raw, a name and phone number included."""
    server = LocalHttpServer(_TeaserFeed).start()
    server.jobdir = crawl_env.home / "crawler" / "jobs" / "teasers"  # type: ignore[attr-defined]
    server.snapshots = []  # type: ignore[attr-defined]
    try:
        crawl_env.set_sources([{"name": "teasers", "type": "rss", "start_urls": [f"{server.base_url}/feed.xml"],
                                "region": {"province": "湖南省", "city": "A市"}}])
        result = crawl_env.crawl("teasers", settings={"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                                                      "DOWNLOAD_DELAY": 0})
    finally:
        server.stop()
    assert result.source("teasers")["finish_reason"] == "finished", result.stderr[-3000:]
    snapshots: list[bytes] = server.snapshots  # type: ignore[attr-defined]
    assert len(snapshots) == len(ESTATES) and any(b"/a/" in s for s in snapshots), "articles waited in the queue"
    assert not [s for s in snapshots if PHONE.encode() in s or "王建国".encode() in s]
    assert any(b"138****5678" in s for s in snapshots), "... with their teasers, masked"
    docs = crawl_env.docs("teasers")
    assert sorted(d["title"] for d in docs) == sorted(f"A3区{e}停水三天" for e in ESTATES)
    assert all("138****5678" in d["text"] and "王建国" not in d["text"] for d in docs)
