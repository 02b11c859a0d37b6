"""Page bytes become the right text whatever the server or the <meta> claims."""

from __future__ import annotations

import codecs
import random

import pytest

from crawler.encoding import decode_html, normalize_label

ARTICLE = "国务院联防联控机制：湖北和武汉要严格管控防输出。记者王小明报道，市民反映小区噪音扰民问题。" * 5


def page(charset: str | None, text: str = ARTICLE) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"<html><head>{meta}<title>新闻</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("encoding", ["gbk", "gb2312", "gb18030"])
def test_gb_family_without_any_declaration(encoding: str) -> None:
    body = page(None).encode(encoding)
    text, used = decode_html(body)
    assert ARTICLE in text
    assert used == "gb18030"


def test_gbk_page_that_claims_utf8_in_meta_and_header() -> None:
    body = page("utf-8").encode("gbk")
    text, used = decode_html(body, declared="text/html; charset=UTF-8")
    assert ARTICLE in text
    assert used == "gb18030"


def test_utf8_page_that_claims_gb2312() -> None:
    """Pages re-saved as UTF-8 keep their old GB2312 <meta>; three fixtures (people, qq, 163) do."""
    body = page("gb2312").encode("utf-8")
    text, used = decode_html(body, declared="gb2312")
    assert ARTICLE in text
    assert used == "utf-8"


def test_gb2312_declaration_reads_characters_only_gb18030_has() -> None:
    """Sites declare GB2312 but serve GBK/GB18030 characters (镕, 㐀); decoding as GB2312 would fail."""
    text_in = "朱镕基 㐀 € " + ARTICLE
    body = page("gb2312", text_in).encode("gb18030")
    text, used = decode_html(body, declared="gb2312")
    assert text_in in text
    assert used == "gb18030"


def test_latin1_http_default_is_not_trusted_for_a_chinese_page() -> None:
    body = page(None).encode("gbk")
    text, used = decode_html(body, declared="text/html; charset=ISO-8859-1")
    assert ARTICLE in text
    assert used == "gb18030"


def test_big5_page_with_big5_declaration() -> None:
    traditional = "國務院聯防聯控機制：湖北和武漢要嚴格管控防輸出。市民反映社區噪音擾民問題。" * 5
    html = (
        f'<html><head><meta charset="big5"><title>新聞</title></head><body><p>{traditional}</p></body></html>'
    )
    text, used = decode_html(html.encode("big5"))
    assert traditional in text
    assert used == "big5hkscs"


@pytest.mark.parametrize(
    ("bom_encoding", "expected"),
    [("utf-8-sig", "utf-8"), ("utf-16", "utf-16-le"), ("utf-16-be", "utf-16-be")],
)
def test_byte_order_mark_wins_over_declarations(bom_encoding: str, expected: str) -> None:
    if bom_encoding == "utf-16-be":
        body = codecs.BOM_UTF16_BE + page("gbk").encode("utf-16-be")
    else:
        body = page("gbk").encode(bom_encoding)
    text, used = decode_html(body, declared="gbk")
    assert ARTICLE in text
    assert used == expected
    assert not text.startswith("\ufeff")


def test_body_cut_in_the_middle_of_a_character() -> None:
    for encoding in ("utf-8", "gbk"):
        body = page(None).encode(encoding)
        cut = body[: body.index("防输出".encode(encoding)) + 1]
        text, used = decode_html(cut)
        assert "国务院联防联控机制" in text
        assert used in ("utf-8", "gb18030")
        assert used == ("utf-8" if encoding == "utf-8" else "gb18030")


def test_a_few_flipped_bytes_do_not_switch_the_encoding() -> None:
    body = bytearray(page(None, ARTICLE * 4).encode("utf-8"))
    body[200] ^= 0x40
    text, used = decode_html(bytes(body))
    assert used == "utf-8"
    assert "市民反映小区噪音扰民问题" in text


def test_empty_and_ascii_bodies() -> None:
    assert decode_html(b"") == ("", "utf-8")
    assert decode_html(b"", declared="gbk") == ("", "gb18030")
    assert decode_html(b"<p>hello</p>") == ("<p>hello</p>", "ascii")


def test_garbage_never_raises() -> None:
    rng = random.Random(7)
    for size in (1, 2, 3, 17, 500, 5000):
        body = bytes(rng.randrange(256) for _ in range(size))
        for declared in (None, "utf-8", "gbk", "no-such-charset", "text/html; charset=utf-7", "utf-16"):
            text, used = decode_html(body, declared=declared)
            assert isinstance(text, str)
            assert codecs.lookup(used)


def test_labels_are_normalised() -> None:
    assert normalize_label("GB2312") == "gb18030"
    assert normalize_label("gbk") == "gb18030"
    assert normalize_label("text/html; charset=GBK") == "gb18030"
    assert normalize_label("UTF8") == "utf-8"
    assert normalize_label("no-such-charset") is None
    assert normalize_label(None) is None


def test_a_gbk_feed_that_declares_utf8_is_read_as_gbk() -> None:
    """Its titles were indexed as ¹ú±ê¶©ÔÄ and, marked seen, never fixed."""
    import feedparser

    from crawler.encoding import as_utf8_xml

    feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>订阅</title>"
            "<item><title>国标订阅条目丙</title><link>http://x/1</link></item></channel></rss>").encode("gbk")
    parsed = feedparser.parse(as_utf8_xml(feed, "application/rss+xml; charset=utf-8"),
                              response_headers={"content-type": "application/xml; charset=utf-8"})
    assert parsed.entries[0].title == "国标订阅条目丙"
    honest = ("<?xml version='1.0' encoding='gb2312'?><rss version='2.0'><channel><title>t</title>"
              "<item><title>正常条目</title><link>http://x/2</link></item></channel></rss>").encode("gbk")
    assert feedparser.parse(as_utf8_xml(honest, None)).entries[0].title == "正常条目"


def test_a_gbk_json_body_labelled_utf8_is_read_as_gbk() -> None:
    from scrapy.http import TextResponse

    from crawler.spiders.social_json import load_json

    class Spider:
        def note_truncated(self, response: object) -> None:
            return None

        def skip(self, *args: object) -> None:
            raise AssertionError(f"skipped: {args}")

    body = '{"data": {"items": [{"tid": 1, "message": "小区停水三天了，物业不管"}]}}'.encode("gbk")
    response = TextResponse("http://x/api.json", body=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert load_json(Spider(), response)["data"]["items"][0]["message"] == "小区停水三天了，物业不管"  # type: ignore[arg-type]
