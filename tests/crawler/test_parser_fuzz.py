"""Mutated pages and payloads never make the parsers raise.

The corpus is generated from a fixed seed (reproducible failures): real pages from
../shared/data when present (truncated, bit-flipped, re-encoded, tag-souped), hand-built pages with
random metadata, JSON/XML payloads, random bytes and a few 10 MB or deeply nested pages. The
extraction's last-resort ``except`` must not fire either: that would be a bug hidden by the net.
"""

from __future__ import annotations

import codecs
import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from crawler.encoding import decode_html
from crawler.extraction import Article, extract_article
from yuqing.paths import shared_data_dir
from yuqing.timeparse import is_date_only, parse_time

SEED = 20240301
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
PAGES = shared_data_dir() / "extraction" / "gne_pages"

HANZI = "舆情市民反映小区噪音扰民问题政府回应记者报道发布时间来源责任编辑新华社人民网北京上海广州"
TAGS = [
    "div",
    "p",
    "span",
    "h1",
    "h2",
    "a",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "script",
    "style",
    "time",
    "meta",
]
TIME_STRINGS = [
    "2019年05月12日 16:25", "2019-05-12 16:25:01", "2019/5/12", "05-12 16:25", "3小时前", "5分钟前", "2天前",
    "昨天 08:10", "前天 10:00", "今天 09:00", "刚刚", "2019-05-12T08:25:00+08:00", "2019-05-12T08:25:00Z",
    "Sat, 12 May 2019 08:25:00 +0800", "Sun May 12 16:25:00 +0800 2019", "1557649500", "1557649500123",
    "18-03-0823:16", "12月28日 下午3:05", "May 12, 2019", "3 hours ago",
]  # fmt: skip


def hanzi(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HANZI + "，。！？ ") for _ in range(n))


def random_page(rng: random.Random) -> str:
    """A plausible news page with random structure, metadata and times."""
    head = [
        f"<title>{hanzi(rng, rng.randint(0, 30))}{rng.choice(['', '_新浪网', '-新华网', '|网易'])}</title>"
    ]
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(
            ["og:title", "article:published_time", "publishdate", "author", "og:site_name", "pubdate"]
        )
        head.append(
            f'<meta property="{name}" name="{name}" content="{rng.choice(TIME_STRINGS + [hanzi(rng, 8)])}">'
        )
    if rng.random() < 0.3:
        ld = {"@type": "NewsArticle", "headline": hanzi(rng, 12), "datePublished": rng.choice(TIME_STRINGS)}
        text = json.dumps(ld, ensure_ascii=False)
        head.append(
            f'<script type="application/ld+json">{text if rng.random() < 0.7 else text[: len(text) // 2]}</script>'
        )
    body = []
    for _ in range(rng.randint(0, 25)):
        tag = rng.choice(TAGS)
        attrs = rng.choice(
            ["", ' class="title"', ' class="content"', ' id="article"', ' data-ptime="2019-05-17 20:02:46"']
        )
        inner = rng.choice(
            [
                hanzi(rng, rng.randint(0, 200)),
                rng.choice(TIME_STRINGS),
                "发布时间：" + rng.choice(TIME_STRINGS),
            ]
        )
        body.append(f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if rng.random() < 0.8 else ""))
    if rng.random() < 0.2:
        body.append(
            f"<script>var ct = \"{rng.randint(0, 2**34)}\"; publish_time: '{rng.choice(TIME_STRINGS)}'</script>"
        )
    return f"<html><head>{''.join(head)}</head><body>{''.join(body)}</body></html>"


def random_payload(rng: random.Random) -> bytes:
    """Things a crawler receives when it expected a page."""
    kind = rng.randrange(8)
    if kind == 0:
        value = {
            "data": [
                {"text": hanzi(rng, 20), "created_at": rng.choice(TIME_STRINGS)}
                for _ in range(rng.randint(0, 5))
            ]
        }
        return json.dumps(value, ensure_ascii=rng.random() < 0.5).encode("utf-8")
    if kind == 1:
        items = "".join(
            f"<item><title>{hanzi(rng, 10)}</title><pubDate>{rng.choice(TIME_STRINGS)}</pubDate></item>"
            for _ in range(3)
        )
        return f'<?xml version="1.0" encoding="{rng.choice(["utf-8", "gbk", "bogus"])}"?><rss><channel>{items}</channel></rss>'.encode()
    if kind == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
    if kind == 3:
        return rng.choice(
            [b"", b" ", b"\x00" * 100, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"<", b"<html", b"</html>" * 50]
        )
    if kind == 4:
        return random_page(rng).encode(rng.choice(["utf-16", "utf-16-be", "utf-32"]))
    if kind == 5:
        return ("<" + "".join(rng.choice("<>/=\"' &;#x") for _ in range(500))).encode()
    if kind == 6:
        return "".join(
            rng.choice(
                [
                    "<div>",
                    "<p>",
                    "</div>",
                    "<!--",
                    "-->",
                    "<![CDATA[",
                    "]]>",
                    "&#0;",
                    "&#x110000;",
                    hanzi(rng, 5),
                ]
            )
            for _ in range(300)
        ).encode()
    return ("\ud800" + hanzi(rng, 50)).encode("utf-8", errors="surrogatepass")


def mutate(rng: random.Random, body: bytes) -> tuple[bytes, str | None, str]:
    """One random mutation of a page; returns (bytes, declared charset, what was done)."""
    kind = rng.randrange(6)
    if kind == 0 and body:
        cut = rng.randrange(len(body))
        return body[:cut], None, f"truncated at {cut}"
    if kind == 1 and body:
        data = bytearray(body)
        for _ in range(rng.randint(1, 50)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data), None, "byte flips"
    if kind == 2:
        text = body.decode("utf-8", errors="replace")
        encoding = rng.choice(["gbk", "gb18030", "big5", "utf-16", "latin-1"])
        declared = rng.choice(
            ["utf-8", "gb2312", "iso-8859-1", "shift_jis", None, "text/html; charset=bogus"]
        )
        return text.encode(encoding, errors="replace"), declared, f"{encoding} declared {declared}"
    if kind == 3:
        data = bytearray(body)
        for _ in range(rng.randint(1, 30)):
            junk = rng.choice(
                [
                    b"<div>",
                    b"</p>",
                    b"<table><tr>",
                    b"</body>",
                    b"<html>",
                    b"<!--",
                    b"<script>",
                    b"\x00",
                    b"&",
                ]
            )
            position = rng.randrange(len(data) + 1)
            data[position:position] = junk
        return bytes(data), None, "tag soup"
    if kind == 4 and body:
        start = rng.randrange(len(body))
        return body[:start] + body[start + rng.randint(1, 5000) :], None, "range deleted"
    return body, rng.choice([None, "gbk", "utf-8", "nonsense"]), "unchanged"


def build_corpus() -> list[tuple[bytes, str | None, str]]:
    rng = random.Random(SEED)
    corpus: list[tuple[bytes, str | None, str]] = []
    real = sorted(PAGES.glob("*/*.html")) if PAGES.is_dir() else []
    for _ in range(120 if real else 0):
        page = rng.choice(real)
        body = page.read_bytes()[: rng.choice([20_000, 60_000, 200_000])]
        mutated, declared, how = mutate(rng, body)
        corpus.append((mutated, declared, f"{page.parent.name}/{page.name}: {how}"))
    for index in range(330 if real else 450):
        page_bytes = random_page(rng).encode(rng.choice(["utf-8", "gb18030"]))
        mutated, declared, how = mutate(rng, page_bytes)
        corpus.append((mutated, declared, f"random page {index}: {how}"))
    for index in range(80):
        corpus.append((random_payload(rng), rng.choice([None, "utf-8", "gbk"]), f"payload {index}"))
    paragraph = "<p>相关阅读：市民反映小区噪音扰民问题，政府部门已回应。</p>".encode()
    corpus.append((b"<html><body>" + paragraph * 170_000, None, "10 MB of paragraphs"))
    corpus.append((b"<html><body><p>" + "长".encode() * 3_500_000 + b"</p>", None, "10 MB single paragraph"))
    corpus.append((b"<div>" * 100_000 + b"text", None, "100k nested divs"))
    corpus.append((b"<table><tr><td>" * 20_000, None, "20k nested tables"))
    farm = "".join(
        f'<div class="title">标题文字很长的网页标题{i}</div><p>2019-05-12</p>' for i in range(3000)
    )
    corpus.append((f"<title>{'很长的标题' * 500}</title>{farm}".encode(), None, "3000 title-like headings"))
    return corpus


@pytest.fixture(scope="module")
def corpus() -> list[tuple[bytes, str | None, str]]:
    cases = build_corpus()
    assert len(cases) >= 500
    return cases


def failures_of(
    cases: list[tuple[bytes, str | None, str]], check: Callable[[bytes, str | None], None]
) -> list[str]:
    failed = []
    for body, declared, how in cases:
        try:
            check(body, declared)
        except Exception as error:  # collected and reported with the case that caused it
            failed.append(f"{how}: {type(error).__name__}: {error}")
    return failed


def test_decode_html_survives_the_corpus(corpus: list[tuple[bytes, str | None, str]]) -> None:
    def check(body: bytes, declared: str | None) -> None:
        text, used = decode_html(body, declared)
        assert isinstance(text, str)
        codecs.lookup(used)

    assert failures_of(corpus, check) == []


def test_extract_article_survives_the_corpus(
    corpus: list[tuple[bytes, str | None, str]], caplog: pytest.LogCaptureFixture
) -> None:
    def check(body: bytes, declared: str | None) -> None:
        caplog.clear()
        article = extract_article(body, declared_encoding=declared, now=NOW)
        assert isinstance(article, Article)
        assert isinstance(article.content, str)
        assert article.title is None or isinstance(article.title, str)
        assert article.published_at is None or article.published_at.utcoffset() is not None
        json.dumps(article.as_contract(), ensure_ascii=False)
        crashed = [r for r in caplog.records if r.name == "crawler.extraction" and r.levelno >= logging.ERROR]
        assert not crashed, crashed[0].getMessage() + "\n" + (crashed[0].exc_text or "")

    with caplog.at_level(logging.ERROR, logger="crawler.extraction"):
        assert failures_of(corpus, check) == []


def test_parse_time_survives_mutated_time_strings() -> None:
    rng = random.Random(SEED)
    strings: list[str] = []
    for _ in range(3000):
        text = rng.choice(TIME_STRINGS)
        operation = rng.randrange(5)
        if operation == 0:
            position = rng.randrange(len(text) + 1)
            text = (
                text[:position]
                + rng.choice("0123456789:-/年月日时分秒前天 +Zz.T\x00\u3000")
                + text[position:]
            )
        elif operation == 1:
            text = text[: rng.randrange(len(text) + 1)]
        elif operation == 2:
            text = "".join(rng.choice("0123456789:-/年月日 ") for _ in range(rng.randint(0, 40)))
        elif operation == 3:
            text = hanzi(rng, rng.randint(0, 300)) + text
        strings.append(text)
    strings += ["", " ", "9" * 400, "2019-" * 100, "前" * 1000, "\ud800", "-1", "0", "1e309"]
    failed = []
    for text in strings:
        try:
            result = parse_time(text, now=NOW)
            assert result is None or result.utcoffset() is not None
            assert not is_date_only(text) or result is not None, "a date alone is a date parse_time reads"
        except Exception as error:  # collected and reported with the string that caused it
            failed.append(f"{text[:60]!r}: {type(error).__name__}: {error}")
    assert failed == []
