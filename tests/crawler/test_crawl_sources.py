"""Every source type crawls the demo web into Elasticsearch through the full pipeline, and only once."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

from analysis.deidentify import deidentify_author
from crawler.demo_web import DemoWeb
from crawler.demo_web.content import BOARD, FORUM, NEWS, WEIBO
from tests.crawler.conftest import REPO, CrawlEnv, demo_sources

pytestmark = pytest.mark.es

ALL_DEMO = ["demo_news", "demo_rss", "demo_board", "demo_forum", "demo_weibo"]


def test_every_demo_source_is_indexed_with_its_fields(demo_web: DemoWeb, crawl_env: CrawlEnv) -> None:
    crawl_env.set_sources(demo_sources(demo_web.url))
    result = crawl_env.crawl(*ALL_DEMO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.report["indexed"] == len(crawl_env.docs())

    news = {d["title"]: d for d in crawl_env.docs("demo_news")}
    assert set(news) == {a.title for a in NEWS}
    canteen = news["A3区第二实验小学发生疑似食物中毒事件 23名学生送医观察"]
    assert "23名学生被送往A市第一人民医院" in canteen["text"]
    assert canteen["author"] in {"记者 林晓雯", deidentify_author("记者 林晓雯")}, (
        "the byline's author (analysis may pseudonymize)"
    )
    assert canteen["published_at"].startswith(
        demo_web.site.news_published(NEWS[0]).strftime("%Y-%m-%dT%H:%M")
    )
    assert canteen["region"]["city"] == "A市"
    assert canteen["media_tier"] == "local" and canteen["source_type"] == "news"
    assert canteen["content_hash"] and canteen["text_cut"]

    # the same A市 site's feed: its entries link to the articles demo_news collected, which are not posts twice
    assert crawl_env.docs("demo_rss") == []
    assert result.stats("demo_rss")["yuqing/collected_by_other_source"] == len(NEWS)

    board = {d["title"]: d for d in crawl_env.docs("demo_board")}
    assert set(board) == {m.subject for m in BOARD}
    answered = board["A3区第二实验小学食堂卫生问题谁来管？"]
    assert answered["reply"]["replier"] == "A3区教育局"
    assert answered["reply"]["replied_at"] and "封存送检" in answered["reply"]["text"]
    assert answered["status"] == "已回复"
    assert re.fullmatch(r"u_[0-9a-f]{12}", answered["author"]), "the asker must be a keyed pseudonym"
    assert "13812345678" not in answered["text"], "a phone number in a message must not be indexed"
    waiting = board["A2区某项目拖欠农民工工资半年多"]
    assert "reply" not in waiting and waiting["status"] == "办理中"

    forum = crawl_env.docs("demo_forum")
    assert len(forum) == len(FORUM)
    assert {d["engagement"]["views"] for d in forum} == {t.views for t in FORUM}

    weibo = {d["url"].rsplit("/", 1)[-1]: d for d in crawl_env.docs("demo_weibo")}
    in_window = {w.id for w in WEIBO if w.age_minutes < 30 * 24 * 60}
    assert set(weibo) == in_window, "the search hits inside the 30-day window, each once"
    long_post = weibo["4990000000000005"]
    assert "对失职失责的将严肃追责问责" in long_post["text"], "a long post is indexed with its full text"
    repost = weibo["4990000000000004"]
    assert "//转发原文：" in repost["text"] and "23名学生" in repost["text"]
    assert weibo["4990000000000003"]["engagement"] == {
        "reposts": 1320,
        "comments": 860,
        "likes": 2400,
        "dislikes": 0,
        "views": 0,
    }
    assert "[怒]" in weibo["4990000000000001"]["text"] and "<span" not in weibo["4990000000000001"]["text"]
    assert all(re.fullmatch(r"u_[0-9a-f]{12}", d["author"]) for d in weibo.values())
    assert all(d.get("published_at") for d in weibo.values()), "every created_at form is read"
    # what the summary counts adds up: each item found is new, seen before or outside the window (a reposted
    # original was no item "found", and "12 new, 13 found, 2 seen before, 1 outside" did not add up)
    stats = result.stats("demo_weibo")
    filtered = sum(v for k, v in stats.items() if k.startswith("yuqing/filtered/"))
    assert stats["yuqing/items_found"] == (stats["yuqing/posts_new"] + stats.get("yuqing/seen_before", 0)
                                           + stats.get("yuqing/duplicates", 0) + filtered)

    fetched = demo_web.access_log.counts()
    assert "/private/internal-notice.html" not in fetched, "robots.txt is obeyed"
    assert fetched["/robots.txt"] >= 1


def test_a_second_crawl_emits_and_fetches_nothing_already_seen(
    demo_web: DemoWeb, crawl_env: CrawlEnv
) -> None:
    crawl_env.set_sources(demo_sources(demo_web.url))
    first = crawl_env.crawl("demo_news", "demo_weibo")
    total = len(crawl_env.docs())
    second = crawl_env.crawl("demo_news", "demo_weibo")
    assert first.report["indexed"] == total > 0
    assert second.report["indexed"] == 0
    assert len(crawl_env.docs()) == total
    articles = demo_web.access_log.counts("/news/content/")
    assert articles and set(articles.values()) == {1}, "an article seen before is not fetched again"
    assert second.stats("demo_news")["yuqing/seen_before"] == len(NEWS)


def test_scrapy_crawl_runs_a_source_by_its_type(demo_web: DemoWeb, crawl_env: CrawlEnv) -> None:
    crawl_env.set_sources(demo_sources(demo_web.url))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "message_board",
            "-a",
            "source=demo_board",
            "-s",
            f"YUQING_INDEX_PREFIX={crawl_env.layout.prefix}",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
        ],
        cwd=REPO,
        env=crawl_env.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'yuqing/posts_indexed': 8" in done.stderr
    # Neither console that runs Python sent to a local port is on (Scrapy 2.19 added RemoteControl, enabled).
    enabled = done.stderr[done.stderr.index("Enabled extensions:"):]
    enabled = enabled[:enabled.index("]")]
    assert "SourceStateExtension" in enabled and "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert len(crawl_env.docs("demo_board")) == len(BOARD)


def test_a_source_of_another_type_is_refused_with_the_right_command(
    demo_web: DemoWeb, crawl_env: CrawlEnv
) -> None:
    crawl_env.set_sources(demo_sources(demo_web.url))
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "source=demo_rss"],
        cwd=REPO,
        env=crawl_env.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert (
        "source 'demo_rss' is of type 'rss', not 'news'; run `scrapy crawl rss -a source=demo_rss`"
        in done.stderr
    )


def test_a_source_that_cannot_be_reached_fails_the_crawl_with_one_line_and_no_tracebacks(
    crawl_env: CrawlEnv,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    crawl_env.set_sources([{"name": "gone", "type": "rss", "start_urls": [f"http://127.0.0.1:{closed}/rss.xml"],
                            "interval_minutes": 5}])
    result = crawl_env.crawl("gone", settings={"RETRY_TIMES": 1, "ROBOTSTXT_OBEY": False})
    assert result.returncode == 1
    [run] = result.report["sources"]
    assert run["unreachable"] is True
    assert run["stats"]["downloader/exception_count"] >= 1 and not run["stats"].get("downloader/response_count")
    assert "Traceback" not in result.stderr
    assert "Connection was refused" in result.stderr  # the one-line reason stays
