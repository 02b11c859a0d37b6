"""A Weibo card older than yesterday shows only its day ("11-25"): the post is timed from its detail page, and
kept as a date alone, never as that day's midnight, when the page does not say the time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from crawler.demo_web import DemoWeb
from crawler.demo_web.content import WEIBO
from crawler.demo_web.server import weibo_time
from tests.crawler.conftest import CrawlEnv, demo_sources
from tests.support.net import JsonHandler, LocalHttpServer
from yuqing.clock import ManualClock
from yuqing.timeparse import is_date_only

pytestmark = pytest.mark.es

SH = ZoneInfo("Asia/Shanghai")


def test_a_post_whose_card_shows_only_its_day_is_timed_from_its_detail_page(crawl_env: CrawlEnv) -> None:
    """The review's case: the wage-arrears post written 50 h before the crawl showed "11-25" and was indexed at
    11-25 00:00, 21 h before it was written."""
    clock = ManualClock(datetime.now(SH))  # the cards' forms (昨天 08:10 or 11-25) do not move during the test
    web = DemoWeb(port=0, clock=clock).start()
    try:
        crawl_env.set_sources([s for s in demo_sources(web.url) if s["name"] == "demo_weibo"])
        first = crawl_env.crawl("demo_weibo")
        again = crawl_env.crawl("demo_weibo")
    finally:
        web.stop()
    assert first.source("demo_weibo")["finish_reason"] == "finished", first.stderr[-3000:]
    in_window = [w for w in WEIBO if w.age_minutes < 30 * 24 * 60]
    # (a card in a card group carries the long created_at: the demo web prints weibo_time_long for those)
    day_only = {w.id for w in in_window
                if not w.grouped and is_date_only(weibo_time(web.site.weibo_published(w), clock.now()))}
    assert "4990000000000007" in day_only, "the card of a post 50 h old shows only its day"
    docs = {d["url"].rsplit("/", 1)[-1]: d for d in crawl_env.docs("demo_weibo")}
    for w in in_window:
        if w.id in day_only:
            assert datetime.fromisoformat(docs[w.id]["published_at"]) == web.site.weibo_published(w), w.id
            assert "published_precision" not in docs[w.id], "the detail page gave the minute"
    fetched = web.access_log.counts("/detail/")
    assert {urlsplit(path).path.rsplit("/", 1)[-1] for path in fetched} == day_only, "only where the card lacks it"
    assert set(fetched.values()) == {1}, "a post seen before is not looked up again"
    assert again.report["indexed"] == 0


def _card(post_id: str, created_at: str, long_text: bool = False) -> dict[str, object]:
    return {"card_type": 9, "mblog": {"id": post_id, "created_at": created_at, "isLongText": long_text,
                                      "user": {"screen_name": f"网友{post_id}"},
                                      "text": f"A市A2区工地拖欠工资{post_id}" + ("...全文" if long_text else "")}}


class _DatedWeibo(JsonHandler):
    """Three cards that show only a day. 6001's detail page is gone, 6002's carries no post data, 6003 is a long post
    whose detail page gives the time."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        day: str = self.owner.day.strftime("%m-%d")
        if parts.path == "/api/container/getIndex":
            cards = [_card("6001", day), _card("6002", day), _card("6003", day, long_text=True)]
            self.reply(200, {"ok": 1, "data": {"cards": cards, "cardlistInfo": {}}})
        elif parts.path == "/detail/6002":
            self.reply(200, b"<html><body><p>A2\xe5\x8c\xba</p></body></html>", content_type="text/html; charset=utf-8")
        elif parts.path == "/detail/6003":
            created = self.owner.written.strftime("%a %b %d %H:%M:%S %z %Y")
            script = f'var $render_data = [{{"status": {{"id": "6003", "created_at": "{created}"}}, "call": 1}}][0] || {{}};'
            self.reply(200, f"<html><body><script>{script}</script></body></html>".encode(),
                       content_type="text/html; charset=utf-8")
        elif parts.path == "/statuses/extend":
            self.reply(200, {"ok": 1, "data": {"longTextContent": "A市A2区工地拖欠工资6003，几十个工人讨薪无门。"}})
        else:
            self.reply(404, {"ok": 0})


def test_without_the_time_a_post_keeps_its_day_as_a_date_alone_never_its_midnight(crawl_env: CrawlEnv) -> None:
    server = LocalHttpServer(_DatedWeibo).start()
    server.day = (datetime.now(SH) - timedelta(days=3)).date()  # type: ignore[attr-defined]
    server.written = datetime.combine(server.day, time(21, 1), tzinfo=SH)  # type: ignore[attr-defined]
    try:
        crawl_env.set_sources([{"name": "dated_weibo", "type": "weibo", "region": {"province": "湖南省", "city": "A市"},
                                "start_urls": [f"{server.base_url}/api/container/getIndex?containerid=100103type%3D1"]}])
        result = crawl_env.crawl("dated_weibo")
    finally:
        server.stop()
    assert result.source("dated_weibo")["finish_reason"] == "finished", result.stderr[-3000:]
    docs = {d["url"].rsplit("/", 1)[-1]: d for d in crawl_env.docs("dated_weibo")}
    assert set(docs) == {"6001", "6002", "6003"}
    end_of_day = datetime.combine(server.day, time(23, 59, 59), tzinfo=SH)  # type: ignore[attr-defined]
    for post_id in ("6001", "6002"):
        assert docs[post_id]["published_precision"] == "day"
        assert datetime.fromisoformat(docs[post_id]["published_at"]) == end_of_day, "the latest it can have been"
    assert result.stats("dated_weibo")["yuqing/partial/time_of_day"] == 2
    assert datetime.fromisoformat(docs["6003"]["published_at"]) == server.written  # type: ignore[attr-defined]
    assert "published_precision" not in docs["6003"]
    assert docs["6003"]["text"] == "A市A2区工地拖欠工资6003，几十个工人讨薪无门。", "and the full text after it"


class _PagedWeibo(JsonHandler):
    """Two searches of two pages each, newest first. ``old``'s first page holds only posts older than the window (one
    shown by its day alone); ``mixed``'s first page has one post inside it. Every request is counted."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        if parts.path != "/api/container/getIndex":
            self.reply(404, {"ok": 0})
            return
        self.owner.requests.append((query["containerid"], query.get("page", "1")))
        now = datetime.now(SH)
        old = [(now - timedelta(days=days)).strftime("%a %b %d %H:%M:%S %z %Y") for days in (10, 11)]
        old.append((now - timedelta(days=12)).strftime("%Y-%m-%d"))
        if query["containerid"] == "mixed":
            old[0] = "3小时前"
        page = int(query.get("page", "1"))
        cards = [_card(f"{query['containerid']}{page}{n}", created) for n, created in enumerate(old)]
        self.reply(200, {"ok": 1, "data": {"cards": cards, "cardlistInfo": {"page": page + 1} if page < 2 else {}}})


def test_paging_stops_at_a_page_whose_posts_are_all_older_than_the_window(crawl_env: CrawlEnv) -> None:
    """The posts too old were left out before their times were looked at, so a search was paged to its end."""
    server = LocalHttpServer(_PagedWeibo).start()
    server.requests = []  # type: ignore[attr-defined]
    try:
        crawl_env.set_sources([
            {"name": f"{which}_weibo", "type": "weibo", "since": "7d", "region": {"province": "湖南省", "city": "A市"},
             "start_urls": [f"{server.base_url}/api/container/getIndex?containerid={which}"]}
            for which in ("old", "mixed")])
        result = crawl_env.crawl("old_weibo", "mixed_weibo")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    requests: list[tuple[str, str]] = server.requests  # type: ignore[attr-defined]
    assert sorted(requests) == [("mixed", "1"), ("mixed", "2"), ("old", "1")]
    assert sorted(d["url"].rsplit("/", 1)[-1] for d in crawl_env.docs()) == ["mixed10", "mixed20"]
    assert result.stats("old_weibo")["yuqing/filtered/too_old"] == 3
