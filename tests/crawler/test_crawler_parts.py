"""The crawler's small parts, each doing what a user of a source would notice."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from alerts.deadlines import deadline_class
from crawler.config import SourceError, matches_keywords, parse_since, start_urls
from crawler.demo_web.content import default_catalogue
from crawler.demo_web.server import DemoSite, load_scenario, weibo_time
from crawler.middlewares import BackoffRetryMiddleware, RedirectLoopMiddleware, SourceOffsiteMiddleware
from crawler.spiders.message_board import MessageBoardSpider, labelled_fields
from crawler.spiders.weibo import mblogs, province_of
from crawler.spiders.weibo import weibo_time as read_weibo_time
from crawler.text import html_to_text, json_path, parse_count
from yuqing.clock import ManualClock
from yuqing.contract import BOARD_SOURCE_TYPE
from yuqing.settings import SourceSpec, SourceType, load_config

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 12, 16, 25, tzinfo=TZ)


def test_weibo_created_at_in_every_form_round_trips() -> None:
    for age in (
        timedelta(seconds=20),
        timedelta(minutes=5),
        timedelta(hours=3),
        timedelta(days=1, hours=8),
        timedelta(days=30),
        timedelta(days=400),
    ):
        published = NOW - age
        shown = weibo_time(published, NOW)
        read = read_weibo_time(shown, NOW, "Asia/Shanghai")
        assert read is not None, shown
        precision = {"刚刚": timedelta(minutes=1)}.get(
            shown, timedelta(days=1) if "-" in shown else timedelta(hours=1)
        )
        assert abs(read - published) <= precision, (shown, read, published)
    assert read_weibo_time("Sun May 12 16:25:00 +0800 2019", NOW, "Asia/Shanghai") == datetime(
        2019, 5, 12, 16, 25, tzinfo=TZ
    )
    assert read_weibo_time("12-31", NOW, "Asia/Shanghai") == datetime(2025, 12, 31, tzinfo=TZ), (
        "not in the future"
    )


def test_weibo_cards_nested_in_groups_and_provinces() -> None:
    cards = [
        {"card_type": 4},
        {"card_type": 9, "mblog": {"id": "1"}},
        {"card_type": 11, "card_group": [{"card_type": 9, "mblog": {"id": "2"}}, "junk"]},
    ]
    assert [m["id"] for m in mblogs(cards)] == ["1", "2"]
    assert province_of("发布于 湖南") == "湖南省" and province_of("发布于 上海") == "上海市"
    assert (
        province_of("发布于 广西") == "广西"
        and province_of(42) is None
        and province_of("发布于 美国") is None
    )


def test_text_helpers_read_what_sites_send() -> None:
    assert (
        html_to_text(
            '今天<br/>真冷<span class="url-icon"><img alt="[哈哈]" src="x"></span><a href="/n">@某人</a>'
        )
        == "今天\n真冷[哈哈]@某人"
    )
    assert html_to_text("<script>x()</script><p>一</p><p>二</p>") == "一\n二"
    assert [parse_count(v) for v in (12, "12", "1.2万", "100万+", "3k", None, "很多", True, -5)] == [
        12,
        12,
        12000,
        1000000,
        3000,
        0,
        0,
        0,
        0,
    ]
    data = {"data": {"items": [{"user": {"name": "甲"}}]}}
    assert json_path(data, "data.items[0].user.name") == "甲"
    assert json_path(data, "data.items[3].user") is None and json_path(data, "data.nope.x") is None


def test_time_window_keywords_and_keyword_urls() -> None:
    assert parse_since("48h", NOW) == NOW - timedelta(hours=48)
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("2024-05-01", NOW) == datetime(2024, 5, 1, tzinfo=TZ)
    with pytest.raises(SourceError, match="neither a duration nor a date"):
        parse_since("last tuesday-ish", NOW)
    spec = SourceSpec(
        name="w",
        type="weibo",
        keywords=["A市", "食堂 中毒"],
        start_urls=["http://h/api?containerid=100103type%3D1%26q%3D{keyword}"],
    )
    assert start_urls(spec) == [
        "http://h/api?containerid=100103type%3D1%26q%3DA%E5%B8%82",
        "http://h/api?containerid=100103type%3D1%26q%3D%E9%A3%9F%E5%A0%82%20%E4%B8%AD%E6%AF%92",
    ]
    assert matches_keywords(["食堂 中毒"], "学校食堂发生疑似中毒") and not matches_keywords(
        ["食堂 中毒"], "食堂开业"
    )
    with pytest.raises(SourceError, match="placeholder"):
        start_urls(SourceSpec(name="x", type="weibo", start_urls=["http://h/?q={keyword}"]))


def test_a_message_board_is_one_source_type_for_sources_spider_and_deadlines() -> None:
    """sources.yaml's type, the spider that crawls it and the working-day deadlines of policy.yaml name message
    boards by one constant (yuqing.contract.BOARD_SOURCE_TYPE); alerts and the crawler each spelt it out before."""
    assert BOARD_SOURCE_TYPE in get_args(SourceType)  # (a Literal must spell it: the one copy, checked here)
    assert MessageBoardSpider.name == BOARD_SOURCE_TYPE  # `scrapy crawl message_board`
    config = load_config(Path(__file__).resolve().parents[2] / "config")
    assert BOARD_SOURCE_TYPE in {s.type for s in config.sources.sources}
    which = deadline_class(None, BOARD_SOURCE_TYPE)
    assert getattr(config.policy.deadlines, which) == config.policy.deadlines.message_board != []


def test_message_board_fields_read_from_printed_labels() -> None:
    body = """<html><body><nav>首页 状态栏</nav><h1>标题</h1><table>
      <tr><th>留言主题：</th><td>路灯不亮</td></tr><tr><th>留言人：</th><td>张先生</td></tr>
      <tr><th>留言时间：</th><td>2024-05-12 09:30</td></tr><tr><td>办理状态：已办结</td></tr></table>
      <h2>留言内容</h2><p>小区门口路灯坏了一个月。</p><p>晚上很黑。</p>
      <h2>答复意见</h2><div>答复单位：A1区城管局</div><div>答复时间：2024-05-14 10:00</div>
      <div>经核查，已于5月13日修复。</div></body></html>"""
    fields = labelled_fields(HtmlResponse("http://x/", body=body.encode(), encoding="utf-8"))
    assert fields == {
        "title": "路灯不亮",
        "author": "张先生",
        "published_at": "2024-05-12 09:30",
        "status": "已办结",
        "content": "小区门口路灯坏了一个月。\n晚上很黑。",
        "replier": "A1区城管局",
        "reply_time": "2024-05-14 10:00",
        "reply": "经核查，已于5月13日修复。",
    }


def test_a_redirect_back_to_a_visited_url_is_cut_short() -> None:
    middleware = RedirectLoopMiddleware()
    request = Request("http://h/b", meta={"redirect_urls": ["http://h/a"]})
    with pytest.raises(IgnoreRequest, match="redirect loop: http://h/a → http://h/b → http://h/a"):
        middleware.process_response(request, Response("http://h/b", status=302, headers={"Location": "/a"}))
    onward = Response("http://h/b", status=302, headers={"Location": "/c"})
    assert middleware.process_response(request, onward) is onward


def test_a_request_never_leaves_the_sources_domains_even_when_fetched_again_on_purpose() -> None:
    """List pages and feeds are requested with dont_filter; that must not let a redirect or a feed's link to
    another site through (Scrapy's own offsite filter lets such requests pass)."""
    from crawler.settings import DOWNLOADER_MIDDLEWARES

    assert DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("s", allowed_domains=["127.0.0.1"])
    middleware = SourceOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    middleware.process_request(Request("http://127.0.0.1:8700/news/1.html", dont_filter=True))  # on site: passes
    with pytest.raises(IgnoreRequest, match="offsite request to 'localhost'"):
        middleware.process_request(Request("http://localhost:18702/landing.html", dont_filter=True))
    middleware.process_request(Request("http://localhost:18702/x", meta={"allow_offsite": True}))


def test_a_second_reply_is_kept_after_the_first() -> None:
    """城管局 answers on the 10th, 环卫处 on the 12th: the first answer's time counts, the second is not dropped."""
    body = """<html><body><h1>垃圾清运</h1><div>留言内容：小区垃圾堆积一周无人清运。</div>
      <h2>答复意见</h2><div>答复单位：城管局</div><div>答复时间：2024-01-10 09:00</div><div>已安排清运。</div>
      <h2>答复意见</h2><div>答复单位：环卫处</div><div>答复时间：2024-01-12 16:00</div>
      <div>经复查已全部清运完毕，并建立每日巡查。</div></body></html>"""
    fields = labelled_fields(HtmlResponse("http://x/", body=body.encode(), encoding="utf-8"))
    assert (fields["replier"], fields["reply_time"]) == ("城管局", "2024-01-10 09:00")
    assert fields["reply"] == "已安排清运。\n\n环卫处 2024-01-12 16:00：\n经复查已全部清运完毕，并建立每日巡查。"


def test_retries_wait_longer_each_time_and_honour_retry_after() -> None:
    crawler = get_crawler(
        Spider,
        {
            "RETRY_TIMES": 5,
            "RETRY_HTTP_CODES": [503],
            "YUQING_RETRY_BACKOFF_BASE_S": 1.0,
            "YUQING_RETRY_BACKOFF_MAX_S": 60.0,
        },
    )
    crawler.spider = crawler._create_spider("s")
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("http://h/")
    delays = []
    for _ in range(4):
        request = middleware.process_response(request, Response("http://h/", status=503))
        assert isinstance(request, Request)
        delays.append(request.meta["yuqing_backoff_s"])
    assert delays[0] < delays[1] < delays[2] < delays[3] and 0.75 <= delays[0] <= 1.25
    told = middleware.process_response(
        Request("http://h/"), Response("http://h/", status=503, headers={"Retry-After": "30"})
    )
    assert isinstance(told, Request) and told.meta["yuqing_backoff_s"] == 30


def test_demo_scenario_releases_items_on_the_clock(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    site = DemoSite(default_catalogue(), load_scenario("live"), clock)
    visible = {a.id for a in site.news()}
    assert "n1001" in visible and "n1002" not in visible
    clock.advance(timedelta(seconds=101))
    assert "n1002" in {a.id for a in site.news()}
    assert site.news_published(site.article("n1002")) == NOW + timedelta(seconds=100)  # type: ignore[arg-type]
    bad = tmp_path / "bad.yaml"
    bad.write_text("releases: {nope: 5}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="releases unknown items: nope"):
        DemoSite(default_catalogue(), load_scenario(str(bad)), clock)
    with pytest.raises(ValueError, match="bundled scenarios"):
        load_scenario("no-such-scenario")


def test_a_gzipped_sitemap_is_inflated_only_up_to_the_cap() -> None:
    """A 200 MB sitemap packed into 200 kB is cut at the cap, not expanded whole first."""
    import gzip

    from crawler.spiders.sitemap import _gunzip

    bomb = gzip.compress(b"0" * 200_000_000)
    assert len(bomb) < 1_000_000 and len(_gunzip(bomb, 1_000_000)) == 1_000_000
    assert _gunzip(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"


def test_demo_web_serves_where_the_demo_sources_crawl_and_says_how_to_move_it(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`yuqing demo-web` without --port takes the demo_* sources' port from sources.yaml (it always took 8700, so
    moving the sources left `yuqing crawl` refused); a taken port is said once, with both ways out."""
    import shutil
    import socket
    from pathlib import Path

    from click.testing import CliRunner

    from crawler.config import demo_web_port
    from yuqing.cli import main
    from yuqing.settings import load_config

    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", config)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sources = (config / "sources.yaml").read_text(encoding="utf-8")
        (config / "sources.yaml").write_text(sources.replace("127.0.0.1:8700", f"127.0.0.1:{port}"), encoding="utf-8")
        assert demo_web_port(load_config(config)) == port
        monkeypatch.setenv("YUQING_CONFIG_DIR", str(config))
        result = CliRunner().invoke(main, ["demo-web"])
    assert result.exit_code == 1
    assert f"cannot serve the demo web on 127.0.0.1:{port}" in result.output
    assert result.output.count("--port") == 1 and "sources.yaml" in result.output


def test_the_demo_webs_texts_date_their_incidents_from_the_day_it_starts() -> None:
    """An article published hours ago told of 5月12日 in November: the dates are relative to the site's start."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from crawler.demo_web.content import default_catalogue, fill_dates
    from crawler.demo_web.server import DemoSite, load_scenario
    from yuqing.clock import ManualClock

    assert fill_dates("{day}通报：{date-1}中午", date(2026, 3, 1)) == "1日通报：2月28日中午"
    site = DemoSite(default_catalogue(), load_scenario("static"),
                    ManualClock(datetime(2026, 11, 27, 9, tzinfo=ZoneInfo("Asia/Shanghai"))))
    texts = [p for a in site.catalogue.news for p in a.paragraphs] + [w.text for w in site.catalogue.weibo]
    assert not [t for t in texts if "{" in t or "5月1" in t]
    assert any("27日通报：11月26日" in t for t in texts)


def test_an_https_demo_source_without_a_port_is_on_443() -> None:
    from types import SimpleNamespace

    from crawler.config import demo_web_port

    sources = {"demo_a": ["https://127.0.0.1/news/"], "demo_b": ["https://127.0.0.1/rss.xml"]}
    config = SimpleNamespace(sources=SimpleNamespace(get=lambda name: SimpleNamespace(start_urls=sources[name])))
    assert demo_web_port(config, ["demo_a", "demo_b"]) == 443  # type: ignore[arg-type]


def test_a_state_file_locked_by_a_starting_neighbour_is_waited_for(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two crawl processes opening a new state file together: one failed at once with 'database is locked' (CI)."""
    import sqlite3

    from crawler import state

    real = state.CrawlState._connection
    calls = {"n": 0}

    def busy_twice(self):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 2:
            raise sqlite3.OperationalError("database is locked")
        return real(self)

    monkeypatch.setattr(state.CrawlState, "_connection", busy_twice)
    crawl_state = state.CrawlState(tmp_path / "state.db")
    assert calls["n"] >= 3 and crawl_state.is_seen("demo_news", "nope") is False
    monkeypatch.setattr(state.CrawlState, "_connection",
                        lambda self: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error")))
    import pytest

    with pytest.raises(state.CrawlStateUnusable, match="other.db cannot be used \\(disk I/O error\\)"):
        state.CrawlState(tmp_path / "other.db")  # anything else is not waited for: it is said, with the file


def test_without_allowed_domains_only_the_start_urls_hosts_are_crawled() -> None:
    """www.gov.cn as a start URL let the crawl follow links to every *.gov.cn site (www. was stripped)."""
    from crawler.spiders.news import NewsSpider
    from yuqing.settings import SourceSpec, load_config

    crawler = get_crawler(NewsSpider)
    spider = NewsSpider(source="gov")
    spider._set_crawler(crawler)
    spider.setup(load_config(), SourceSpec(name="gov", type="news", start_urls=["http://www.gov.cn/list.html"]))
    assert spider.allowed_domains == ["www.gov.cn"]
    crawler.spider = spider
    middleware = SourceOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(spider)
    middleware.process_request(Request("http://www.gov.cn/a1.html", dont_filter=True))
    with pytest.raises(IgnoreRequest, match="offsite request to 'www.hunan.gov.cn'"):
        middleware.process_request(Request("http://www.hunan.gov.cn/a2.html", dont_filter=True))


def test_the_content_hash_indexed_beside_a_masked_phone_does_not_give_it_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A review tried the 10,000 fillings of 139****5678 against the plain SHA-1 content hash indexed beside the
    masked text, and found the phone in under a second: the hash is keyed now. Post ids are not (they must survive
    a change of key), so a crawl finds a post again whatever the key — unless the URL itself holds personal data."""
    import hashlib

    from analysis.deidentify import deidentify
    from crawler.state import content_hash
    from yuqing.contract import Post

    monkeypatch.setenv("YUQING_PSEUDONYM_KEY", "a-secret-of-this-deployment")
    title, text = "物业不作为", "我的手机13912345678，物业三个月不修电梯"
    stored_hash = content_hash(title, text)
    masked = deidentify(text).text
    assert "139****5678" in masked
    for n in range(10_000):
        guess = masked.replace("****", f"{n:04d}")
        assert hashlib.sha1(f"{title}{guess}".encode()).hexdigest() != stored_hash  # the hash as it was
    assert content_hash(title, text) == stored_hash  # stable under one key
    url = "http://127.0.0.1:8700/news/n3.html"
    first_id = Post.make_id("demo_news", url)
    assert first_id == "6935baa925508891c8a0"  # the id this post has always had: deployments index nothing again
    form = "http://127.0.0.1:8700/board/detail?tel=13912345678"
    keyed = Post.make_id("demo_news", form, personal=True)
    assert keyed != hashlib.sha1(f"demo_news\x1f{form}".encode()).hexdigest()[:20]
    assert keyed.startswith("k") and len(keyed) == 20
    monkeypatch.setenv("YUQING_PSEUDONYM_KEY", "another-key")
    assert content_hash(title, text) != stored_hash and Post.make_id("demo_news", url) == first_id
    assert Post.make_id("demo_news", form, personal=True) != keyed


def test_an_item_key_holds_personal_data_when_its_stored_url_would_be_masked() -> None:
    """What decides whether a crawled post's id is keyed: the same masking its stored URL gets."""
    from analysis.entry import deidentified_url, key_holds_personal_data

    personal = ["http://a.example/detail?tel=13912345678", "http://a.example/a?idcard=430104199001011234",
                "http://a.example/u/zhangsan@example.com/p1.html", "http://a.example/u/zhangsan%40example.com/p1.html",
                "zhangsan@example.com", "13912345678",
                # a number that is, whole, a mobile number is masked whatever its key or place (a privacy review:
                # /u/13811112222.html, ?q=13811112222), a page named so too
                "http://a.example/news/13812345678.html", "http://a.example/t?tid=15012345678&page=2"]
    plain = ["http://127.0.0.1:8700/news/n3.html", "http://a.example/news/12345678.html",  # a page's own name
             "http://a.example/t?tid=1501234567&page=2", "4990000000099001", "t3_9901"]
    assert all(key_holds_personal_data(key) for key in personal)
    assert not any(key_holds_personal_data(key) for key in plain)
    assert deidentified_url(personal[2]) == "http://a.example/u/z*******@example.com/p1.html"
