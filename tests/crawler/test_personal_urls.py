"""Item URLs that carry personal data (a form's ?tel=…, an e-mail address in a path): nothing a crawl indexes, keeps
or logs gives them back, and every other post keeps the id it always had."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from w3lib.url import canonicalize_url

from tests.crawler.conftest import CrawlEnv

pytestmark = pytest.mark.es

PHONE = "13912345678"
MAILBOX = "zhangsan"
ARTICLE = ("<html><head><title>{title}</title></head><body><h1>{title}</h1><div class=\"info\">发布时间："
           "2026-11-20 09:30</div><div class=\"article-content\"><p>{text}</p></div></body></html>")
TEXT = "A市城管部门对中心城区占道经营问题开展集中整治，清理流动摊点二十余处，同时设置三处便民疏导点。" * 3


def plain_id(source: str, url: str) -> str:
    """The id every post had before keyed ids: a SHA-1 of the source and the canonical URL."""
    return hashlib.sha1(f"{source}\x1f{canonicalize_url(url)}".encode()).hexdigest()[:20]


def test_a_url_with_a_phone_number_is_indexed_under_a_keyed_id_and_kept_nowhere_raw(crawl_env: CrawlEnv) -> None:
    """A post's id was sha1(source + URL): a review could recover …/detail?tel=139… by hashing the 10^8 mobile
    numbers against the id indexed beside the masked URL."""
    from tests.support.net import JsonHandler, LocalHttpServer

    items = {f"/detail?tel={PHONE}&id=7": "市民反映占道经营", f"/u/{MAILBOX}@example.com/notice.html": "夜市整治通知",
             "/news/ordinary.html": "城管集中整治占道经营"}
    failing = f"/gone?tel={PHONE}"

    class Site(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path == "/list.html":
                links = "".join(f'<li><a class="item" href="{path}">{title}</a></li>' for path, title in items.items())
                links += f'<li><a class="item" href="{failing}">已删除</a></li>'
                self.reply(200, f"<html><body><ul>{links}</ul></body></html>".encode(),
                           content_type="text/html; charset=utf-8")
            elif self.path in items:
                self.reply(200, ARTICLE.format(title=items[self.path], text=TEXT).encode(),
                           content_type="text/html; charset=utf-8")
            elif self.path == failing:
                self.reply(500, b"<html><body>error</body></html>", content_type="text/html; charset=utf-8")
            else:
                self.reply(404, b"", content_type="text/html")

    with LocalHttpServer(Site) as server:
        base = server.base_url
        crawl_env.set_sources([{"name": "forms", "type": "news", "start_urls": [f"{base}/list.html"],
                                "link_selector": "a.item::attr(href)", "interval_minutes": 5, "obey_robots": False,
                                "region": {"province": "湖南省", "city": "A市"}}])
        result = crawl_env.crawl("forms")
        again = crawl_env.crawl("forms")
    assert result.returncode == 0, result.stderr[-3000:]
    docs = {doc["title"]: doc for doc in crawl_env.docs("forms")}
    assert set(docs) == set(items.values())
    phone_url, mail_url, ordinary_url = (base + path for path in items)
    for title, url in ((items[f"/detail?tel={PHONE}&id=7"], phone_url), (items[f"/u/{MAILBOX}@example.com/notice.html"],
                                                                         mail_url)):
        doc = docs[title]
        assert doc["_id"] == doc["id"] != plain_id("forms", url)
        assert doc["_id"].startswith("k") and len(doc["_id"]) == 20
    assert docs[items[f"/detail?tel={PHONE}&id=7"]]["url"] == f"{base}/detail?tel=139****5678&id=7"
    # every other post keeps its id: a deployment indexes nothing again
    assert docs[items["/news/ordinary.html"]]["_id"] == plain_id("forms", ordinary_url)
    indexed = json.dumps(list(docs.values()), ensure_ascii=False)
    assert PHONE not in indexed and MAILBOX not in indexed
    # the crawl state, the spool, the analysis state and the failed request's error: nothing raw, no plain digest
    guessable = [plain_id("forms", phone_url), plain_id("forms", mail_url), plain_id("forms", base + failing)]
    for path in Path(crawl_env.home).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PHONE.encode() not in data and MAILBOX.encode() not in data, path
            assert not any(digest.encode() in data for digest in guessable), path
    # nor the log: the crawler's lines and Scrapy's own ("Gave up retrying <GET …>")
    assert "Gave up retrying" in result.stderr and "139****5678" in result.stderr
    assert PHONE not in result.stderr + again.stderr and MAILBOX not in result.stderr + again.stderr
    # the keyed ids are found again: the second crawl indexes nothing
    assert again.returncode == 0 and again.report["indexed"] == 0 and len(crawl_env.docs("forms")) == 3


def test_scrapys_item_lines_at_debug_name_the_post_not_its_raw_text(crawl_env: CrawlEnv) -> None:
    """At DEBUG Scrapy printed every scraped and dropped item whole ("Scraped from <200 …>" then the item): its text
    before de-identification, the phone number a citizen wrote included."""
    from tests.support.net import JsonHandler, LocalHttpServer

    text = f"我家楼下占道经营严重，多次反映无人处理，联系电话{PHONE}。" * 3

    class Site(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path == "/list.html":
                self.reply(200, b'<html><body><a class="item" href="/a.html">a</a></body></html>',
                           content_type="text/html; charset=utf-8")
            elif self.path == "/a.html":
                self.reply(200, ARTICLE.format(title="市民反映占道经营", text=text).encode(),
                           content_type="text/html; charset=utf-8")
            else:
                self.reply(404, b"", content_type="text/html")

    with LocalHttpServer(Site) as server:
        crawl_env.set_sources([{"name": "forms", "type": "news", "start_urls": [f"{server.base_url}/list.html"],
                                "link_selector": "a.item::attr(href)", "interval_minutes": 5, "obey_robots": False,
                                "region": {"province": "湖南省", "city": "A市"}}])
        result = crawl_env.crawl("forms", log_level="DEBUG")
    assert result.returncode == 0 and result.report["indexed"] == 1, result.stderr[-3000:]
    (doc,) = crawl_env.docs("forms")
    assert f"<post {doc['id']} from forms>" in result.stderr  # the "Scraped from" line names it
    assert PHONE not in result.stderr and "占道经营严重" not in result.stderr



def test_a_source_url_with_credentials_is_refused_without_showing_the_password(tmp_path: Path) -> None:
    """A security review: a source behind HTTP basic auth written as http://user:pass@host/… in sources.yaml. Scrapy
    cannot fetch it ("invalid hostname: reader:Passw0rd2026@127.0.0.1") and every crawl logged and kept that error,
    password and all, in the source's health. It is refused when the configuration is loaded, the password not
    repeated."""
    import shutil

    from click.testing import CliRunner

    from yuqing.cli import main

    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", config)
    sources = config / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    assert 'start_urls: ["http://127.0.0.1:8700/rss.xml"]' in text
    sources.write_text(text.replace('start_urls: ["http://127.0.0.1:8700/rss.xml"]',
                                    'start_urls: ["http://reader:Passw0rd2026@127.0.0.1:8700/rss.xml"]'),
                       encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "check", str(config)])
    assert result.exit_code == 2, result.output
    assert "'http://127.0.0.1:8700/rss.xml' is written with a user name or password before '@'" in result.output
    assert "Passw0rd2026" not in result.output and "reader" not in result.output
