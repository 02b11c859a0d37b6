"""A page, a message, a reply or an API item that gives its day without the time ("2026-11-25", as government sites
print it) is no post of that day's midnight: a time of that day shown elsewhere on the page is taken, else the post
keeps its day (published_precision day) at the latest it can have been, as Weibo's cards do. A message board's reply
dated by its day alone is never counted before it could have been given, nor before its message."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.crawler.conftest import CrawlEnv
from tests.support.net import JsonHandler, LocalHttpServer

pytestmark = pytest.mark.es

SH = ZoneInfo("Asia/Shanghai")
BODY = "<p>A市A2区城管局今日通报，针对群众反映的占道经营问题，已组织专项整治，共清理流动摊点三十余处，并设置临时疏导点，方便居民购物。</p>" * 2


def _article(title: str, dates: str, head: str = "") -> bytes:
    return (f"<html><head><title>{title}_A市政府网</title>{head}</head><body><h1>{title}</h1>"
            f'<div class="info">{dates}</div><div class="content">{BODY}</div></body></html>').encode()


def _message(subject: str, asked: str, replied: str) -> bytes:
    return (f"<html><body><h1>{subject}</h1><table><tr><td>留言主题：</td><td>{subject}</td></tr>"
            f"<tr><td>留言人：</td><td>张先生</td></tr><tr><td>留言时间：</td><td>{asked}</td></tr>"
            "<tr><td>办理状态：已回复</td></tr></table><h2>留言内容</h2><p>小区门口路灯坏了一个月，晚上很黑。</p>"
            f"<h2>答复意见</h2><div>答复单位：A2区城管局</div><div>答复时间：{replied}</div>"
            "<div>经核查，路灯已修复。</div></body></html>").encode()


class _DatedSite(JsonHandler):
    """A news list, a news sitemap, an Atom feed, a message board and a JSON API whose dates are mostly days alone. ``day`` is
    three days back, ``eve`` the day before it."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = urlsplit(self.path).path
        day, eve = self.owner.day.isoformat(), self.owner.eve.isoformat()
        base = self.owner.base_url
        pages = {
            "/news/": "".join(f'<a class="article-link" href="/news/{n}.html">A2区整治占道经营第{n}篇通报</a>'
                              for n in ("a1", "a2")).encode(),
            "/news/a1.html": _article("A2区整治占道经营第a1篇通报", f"发布日期：{day}"),
            "/news/a2.html": _article("A2区整治占道经营第a2篇通报", f"{day} 09:30 来源：A2区城管局",
                                      head=f'<meta name="pubdate" content="{day}">'),
            "/news/s1.html": _article("A2区整治占道经营第s1篇通报", f"发布时间：{day} 14:05"),
            "/news/s2.html": _article("A2区整治占道经营第s2篇通报", f"发布时间：{day}"),
            "/board/": "".join(f'<a class="msg-link" href="/board/{n}.html">留言{n}</a>'
                               for n in ("m1", "m2", "m3")).encode(),
            # a day alone with a reply of that day's 10:00; a timed message with a reply dated by its day; both days
            "/board/m1.html": _message("A2区路灯不亮m1", day, f"{day} 10:00"),
            "/board/m2.html": _message("A2区路灯不亮m2", f"{eve} 09:00", day),
            "/board/m3.html": _message("A2区路灯不亮m3", day, day),
        }
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base}/news/{n}.html</loc><news:news><news:publication_date>{day}"
                           "</news:publication_date></news:news></url>" for n in ("s1", "s2"))
            self.reply(200, ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                             'sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                             f"{urls}</urlset>").encode(), content_type="application/xml")
        elif path == "/atom.xml":  # an entry with its whole text, dated by its day
            self.reply(200, ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                             f'<title>A市</title><entry><title>A2区整治占道经营第f1篇通报</title><id>{base}/news/f1.html</id>'
                             f'<link href="{base}/news/f1.html"/><published>{day}</published>'
                             f"<content>{BODY[3:-4]}</content></entry></feed>").encode(),
                       content_type="application/atom+xml")
        elif path == "/api/threads.json":
            items = [{"tid": "t1", "subject": "A2区占道经营", "message": "路边摊堵路", "dateline": day},
                     {"tid": "t2", "subject": "A2区占道经营", "message": "路边摊又来了", "dateline": f"{day} 08:15"}]
            self.reply(200, {"data": {"items": items}})
        elif path in pages:
            self.reply(200, pages[path], content_type="text/html; charset=utf-8")
        else:
            self.reply(404, b"", content_type="text/html")


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SH)


def test_a_date_without_its_time_is_kept_as_a_day_not_its_midnight(crawl_env: CrawlEnv) -> None:
    server = LocalHttpServer(_DatedSite).start()
    day = (datetime.now(SH) - timedelta(days=3)).date()
    server.day, server.eve = day, day - timedelta(days=1)  # type: ignore[attr-defined]
    base = server.base_url
    common = {"region": {"province": "湖南省", "city": "A市"}}
    try:
        crawl_env.set_sources([
            {"name": "dated_news", "type": "news", "start_urls": [f"{base}/news/"],
             "link_selector": "a.article-link::attr(href)", **common},
            {"name": "dated_sitemap", "type": "sitemap", "start_urls": [f"{base}/sitemap.xml"], **common},
            {"name": "dated_feed", "type": "rss", "start_urls": [f"{base}/atom.xml"], **common},
            {"name": "dated_board", "type": "message_board", "start_urls": [f"{base}/board/"],
             "link_selector": "a.msg-link::attr(href)", **common},
            {"name": "dated_forum", "type": "social_json", "start_urls": [f"{base}/api/threads.json"],
             "items_path": "data.items", "field_paths": {"id": "tid", "title": "subject", "text": "message",
                                                         "published_at": "dateline"}, **common},
        ])
        result = crawl_env.crawl("dated_news", "dated_sitemap", "dated_feed", "dated_board", "dated_forum")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    docs = {(d.get("url") or d["id"]).rsplit("/", 1)[-1]: d for d in crawl_env.docs()}
    end_of_day = _at(day, 23, 59, 59)

    def published(name: str) -> tuple[datetime, str | None]:
        return datetime.fromisoformat(docs[name]["published_at"]), docs[name].get("published_precision")

    # news: a page with the day alone; a page whose metadata gives the day and its byline that day's minute
    assert published("a1.html") == (end_of_day, "day")
    assert published("a2.html") == (_at(day, 9, 30), None)
    # a news sitemap's day alone yields to the page's minute on that day, else stays a day
    assert published("s1.html") == (_at(day, 14, 5), None)
    assert published("s2.html") == (end_of_day, "day")
    assert published("f1.html") == (end_of_day, "day"), "a feed entry with its text and its day alone"
    # social_json
    forum = {d["title"] + d["text"]: d for d in crawl_env.docs("dated_forum")}
    assert datetime.fromisoformat(forum["A2区占道经营路边摊堵路"]["published_at"]) == end_of_day
    assert forum["A2区占道经营路边摊堵路"]["published_precision"] == "day"
    assert datetime.fromisoformat(forum["A2区占道经营路边摊又来了"]["published_at"]) == _at(day, 8, 15)
    assert "published_precision" not in forum["A2区占道经营路边摊又来了"]
    # message board: a message comes before its answer; a reply dated by its day counts at that day's end
    assert published("m1.html") == (_at(day, 10), "day"), "no later than its reply of 10:00 that day"
    assert datetime.fromisoformat(docs["m1.html"]["reply"]["replied_at"]) == _at(day, 10)
    assert published("m2.html") == (_at(day - timedelta(days=1), 9), None)
    assert datetime.fromisoformat(docs["m2.html"]["reply"]["replied_at"]) == end_of_day, "not its midnight"
    assert published("m3.html") == (end_of_day, "day")
    assert datetime.fromisoformat(docs["m3.html"]["reply"]["replied_at"]) == end_of_day
    # and says so, for the pages to show the day rather than 23:59
    assert [docs[m]["reply"].get("replied_precision") for m in ("m1.html", "m2.html", "m3.html")] == [None, "day", "day"]
    assert result.stats("dated_news")["yuqing/partial/time_of_day"] == 1
