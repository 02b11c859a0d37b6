"""Title, publish time, author and body come out of real and hand-made news pages."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.extract_command import extract_command
from crawler.extraction import Article, extract_article
from yuqing.paths import shared_data_dir

SH = timezone(timedelta(hours=8))
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=SH)
PAGES = shared_data_dir() / "extraction" / "gne_pages"
needs_pages = pytest.mark.skipif(
    not PAGES.is_dir(),
    reason=f"real news pages not found at {PAGES} (place the shared data set at ../shared/data)",
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


def fixture(name: str) -> Article:
    return extract_article((PAGES / name).read_bytes(), now=NOW)


# --- the 62 real pages --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_pages() -> dict[str, Article]:
    if not PAGES.is_dir():
        pytest.skip(f"real news pages not found at {PAGES} (place the shared data set at ../shared/data)")
    return {
        f"{p.parent.name}/{p.name}": extract_article(p.read_bytes(), now=NOW)
        for p in sorted(PAGES.glob("*/*.html"))
    }


@needs_pages
def test_every_real_page_yields_title_time_and_body(all_pages: dict[str, Article]) -> None:
    assert len(all_pages) == 62
    missing_title = [name for name, a in all_pages.items() if not a.title]
    missing_time = [name for name, a in all_pages.items() if a.published_at is None]
    empty_body = [name for name, a in all_pages.items() if not a.content.strip()]
    short_body = [name for name, a in all_pages.items() if len(a.content) < 200]
    assert missing_title == []
    assert missing_time == []
    assert empty_body == []
    # Four pages really are short: a one-paragraph flash (hexun), a summary (readhub), a photo gallery's caption
    # (toutiao/2) and a one-paragraph column (mingridapan: its tags, share bar and sidebar list are furniture).
    assert sorted(short_body) == ["hexun/1.html", "mingridapan/1.html", "readhub/readhub.html", "toutiao/2.html"]


@needs_pages
@pytest.mark.parametrize(("page", "last_words", "furniture"), [
    # (a review read every page: these bodies carried link lists, "related" boxes, reaction buttons, pop-ups)
    ("stcn/1.html", None, ("为你推荐", "点击排行", "时报观察")),
    ("huanqiu/1.html", None, ("不感兴趣", "广告软文")),
    ("ifeng/3.html", None, ("泪奔", "钦佩")),
    ("people/1.html", None, ("致敬改革开放四十年", "文脉颂中华")),
    ("mingridapan/1.html", "全球贸易增长也将严重减缓。", ("精华文章", "总篇数", "点击量")),
    ("163/5.html", None, ("延伸",)),
])
def test_page_furniture_stays_out_of_the_body(all_pages: dict[str, Article], page: str, last_words: str | None,
                                              furniture: tuple[str, ...]) -> None:
    body = all_pages[page].content
    assert len(body) >= 80
    for word in furniture:
        assert word not in body, (page, word)
    if last_words:
        assert body.endswith(last_words)


@needs_pages
def test_a_byline_label_and_icon_glyphs_before_the_first_sentence_are_not_body(all_pages: dict[str, Article]) -> None:
    """mingridapan/1's body began "发布时间：\t…2019-09-26 10:09:11\n\ue60e\n4" (a label, an icon, a counter)."""
    assert all_pages["mingridapan/1.html"].content.startswith("联合国贸发会议发布了《2019年贸易和发展报告》")


@needs_pages
def test_real_page_times_are_aware_and_in_china_time(all_pages: dict[str, Article]) -> None:
    for name, article in all_pages.items():
        assert article.published_at is not None and article.published_at.utcoffset() == timedelta(hours=8), (
            name
        )
        assert at(2005, 1, 1) < article.published_at < NOW, name


@needs_pages
def test_titles_are_headlines_not_site_names(all_pages: dict[str, Article]) -> None:
    for name, article in all_pages.items():
        title = article.title or ""
        assert not title.endswith(("_网易新闻", "-新华网", "_新浪网", "_凤凰网", "--人民网")), name
        assert 6 <= len(title) <= 80, (name, title)


@needs_pages
@pytest.mark.parametrize(
    ("page", "title", "published_at", "body_start"),
    [
        # og:title is cut at a stray quote; the <h1> is whole.
        (
            "163/1.html",
            '多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？',
            at(2019, 9, 7, 13, 43, 45),
            "（原标题：多地项目连环爆雷",
        ),
        # GNE picks the platform disclaimer and a comment time; the data-ptime attribute has the real one.
        (
            "163/9.html",
            "5月20日至31日，京沪高速无锡至江阴大桥至广陵枢纽段封闭！",
            at(2019, 5, 17, 20, 2, 46),
            "下周一，",
        ),
        # Meta date only; the byline adds the minute. GNE takes a "recommended" blurb as the body.
        ("people/1.html", "女儿出嫁，郑板桥画了几笔兰花当嫁妆", at(2019, 6, 15, 8, 18), "父亲的教诲像一盏灯"),
        # <title> is "新闻动态--中国地理学会官网"; the headline is an <h5> above "发布时间".
        (
            "gsc/1.html",
            "2019年中国人文地理学术年会在重庆•西南大学成功举行！",
            at(2019, 5, 18),
            "5月10-12日，2019年中国人文地理",
        ),
        # <title> puts the column first: "明日股市预测--<headline>".
        (
            "mingridapan/1.html",
            "最新出炉联合国贸发报告：2019年全球经济增长率降至2.3%",
            at(2019, 9, 26, 10, 9, 11),
            None,
        ),
        # No metadata; "发布日期：" sits far below the headline, after a sidebar.
        (
            "cjddsb/1.html",
            "常德市金融系统积极开展“金融知识普及月 金融知识进万家”活动",
            at(2019, 9, 23, 14, 34, 5),
            "为持续推动",
        ),
        # Byline publish time, not the "最后更新" time in the Baidu JSON block.
        (
            "guancha/2.html",
            "我国集成电路进口突破3000亿美元！魏少军：产业结构扭曲，没将产品作为中心",
            at(2019, 9, 7, 15, 10, 53),
            "9月3日",
        ),
        # WeChat shows "昨天"; the Unix time is in `var ct`.
        ("wechat/1.html", "三星 Galaxy S20 系列手机正式发布", at(2020, 2, 12, 22, 17, 54), "今天凌晨，三星"),
        # The heading carries UI badges ("正在阅读：", "原创") that the <title> does not.
        (
            "qq/qq.html",
            "儿歌一分钱被改成一元钱 原作者女儿：改成这样不觉得拗口吗？",
            at(2019, 9, 7, 19, 2, 26),  # the byline shows 19:02; apub:time's 21:30:50 came later
            "潘振声女儿",
        ),
        (
            "toutiao/2.html",
            "最不愁吃肉的国家：顿顿有肉吃，却要靠中国运输蔬菜水果",
            at(2019, 9, 8, 11, 42, 3),
            None,
        ),
        # The body opens with the event date (2月27日); the page's date is "发布日期：2019-03-06".
        (
            "zsnews/1.html",
            "顺德区大良街道党工委委员潘卓辉一行到众创金融街开展调研工作",
            at(2019, 3, 6),
            "2019年2月27日下午",
        ),
        # "发布时间：18-03-08 23:16", and itemprop dateUpdate agrees.
        (
            "baijiahao/3.html",
            "这款休闲裤太帅了，让你时尚潮流穿着舒适",
            at(2018, 3, 8, 23, 16, 24),
            "水洗工艺",
        ),
        # A law text that fills the page is still the body (not traded for a menu).
        ("sxmu/1.html", "中华人民共和国监察法", at(2018, 5, 17), "《中华人民共和国监察法》是为了"),
        # A UTC time in the page's JSON is shown in China time.
        (
            "readhub/readhub.html",
            "运营商 5G 手机促销方式曝光，禁止提供购机补贴",
            at(2019, 9, 7, 13, 51, 23),
            "根据运营商内部人士透露",
        ),
    ],
)
def test_pages_checked_by_eye(page: str, title: str, published_at: datetime, body_start: str | None) -> None:
    article = fixture(page)
    assert article.title == title
    assert article.published_at == published_at
    if body_start:
        assert article.content.startswith(body_start), article.content[:80]


@needs_pages
def test_gne_whole_page_body_is_replaced_by_the_article() -> None:
    article = fixture("njxfhn/1.html")
    assert "冒充银行经理来电骗事主" in article.content
    assert len(article.content) < 10_000  # GNE returns the whole 170k-character page here


@needs_pages
def test_original_title_line_stays_in_the_body() -> None:
    article = fixture("sina/sina.html")
    assert article.published_at == at(2019, 9, 7, 4, 4)  # the byline's 04:04, not published_time's 06:52
    assert article.content.startswith("原标题：最强“中国芯”本月商用")
    assert article.author == "张申"


@needs_pages
def test_utf8_page_declaring_gb2312_is_read_as_utf8() -> None:
    raw = (PAGES / "people/1.html").read_bytes()
    assert b"charset=GB2312" in raw
    assert extract_article(raw, now=NOW).encoding == "utf-8"


@needs_pages
def test_the_same_page_served_as_gbk_gives_the_same_article() -> None:
    utf8 = (PAGES / "people/1.html").read_bytes()
    gbk = utf8.decode("utf-8").encode("gbk", errors="replace")
    as_utf8 = extract_article(utf8, now=NOW)
    as_gbk = extract_article(gbk, declared_encoding="text/html; charset=utf-8", now=NOW)
    assert as_gbk.encoding == "gb18030"
    assert (as_gbk.title, as_gbk.published_at, as_gbk.content) == (
        as_utf8.title,
        as_utf8.published_at,
        as_utf8.content,
    )


# --- hand-made pages ----------------------------------------------------------------------------

BODY = "市民反映某小区夜间施工噪音扰民，记者实地走访了解情况。" * 12


def make_page(
    head: str = "", before: str = "", after: str = "", title: str = "小区夜间施工扰民 居民盼解决_某某网"
) -> str:
    return (
        f"<html><head><title>{title}</title>{head}</head><body>"
        f'<div class="nav"><a href="/">首页</a><a href="/news">新闻</a></div>'
        f"{before}<h1>小区夜间施工扰民 居民盼解决</h1>"
        f'<div class="info">{after}</div>'
        f'<div class="article-content"><p>{BODY}</p><p>{BODY}</p></div>'
        f'<div class="footer">版权所有 某某网</div></body></html>'
    )


def test_meta_publish_time_and_headline() -> None:
    head = '<meta property="article:published_time" content="2019-05-12T16:25:00+08:00">'
    article = extract_article(make_page(head=head, after="来源：某某日报"), now=NOW)
    assert article.title == "小区夜间施工扰民 居民盼解决"
    assert article.published_at == at(2019, 5, 12, 16, 25)
    assert BODY in article.content
    assert "版权所有" not in article.content


def test_a_recommendation_list_and_reaction_buttons_inside_the_article_container_are_not_body() -> None:
    """The container of a short article also holds a "为你推荐" list and reaction buttons; the extractors took
    the whole container (as on stcn/1 and ifeng/3)."""
    ranking = "".join(f'<li><a href="/n/{i}">热门新闻标题第{i}条关于城市建设的报道，详情请点击查看</a></li>' for i in range(10))
    short = "A3区某小学食堂昨日发生疑似食物中毒事件，12名学生出现呕吐腹泻症状，已送医治疗。区教育局已介入调查，食堂暂停营业。"
    page = (f"<html><head><title>A3区小学食堂疑似食物中毒_某某网</title></head><body>"
            f"<h1>A3区小学食堂疑似食物中毒</h1><div class='main'><p>{short}</p><p>有家长表示，希望学校尽快公布调查结果。</p>"
            f"<div><h3>为你推荐</h3><ul>{ranking}</ul></div>"
            f"<div><span>好文</span><br><span>钦佩</span><br><span>喜欢</span><br><span>泪奔</span></div></div></body></html>")
    article = extract_article(page, now=NOW)
    assert article.content == f"{short}\n有家长表示，希望学校尽快公布调查结果。"


# Pages a review of the furniture pruning built to break it (each failed once): an article's own text must stay.
NOTICE_P = ["区教育局相关负责人表示，将全面排查全区中小学食堂食品安全隐患，对发现的问题立即整改，并依法依规追究相关责任人的责任。",
            "区市场监管局已对该校食堂供货商进行检查，暂停其供货资格，相关检测结果将在第一时间向社会公布。",
            "下一步，A3区将建立健全校园食品安全长效监管机制，落实校长陪餐制度，确保广大师生饮食安全。"]


def review_page(body: str, head: str = "") -> str:
    return (f'<html><head><title>A3区通报学校食堂事件调查进展_A3区新闻网</title>'
            f'<meta name="article:published_time" content="2024-02-27 10:30:00">{head}</head><body>'
            f'<div class="nav"><a href="/">首页</a> <a href="/n">新闻</a> <a href="/z">政务</a></div>'
            f'<h1>A3区通报学校食堂事件调查进展</h1><div class="info">来源：A3区融媒体中心 2024-02-27 10:30</div>'
            f'{body}<div class="footer">版权所有：A3区融媒体中心</div></body></html>')


def test_a_related_label_at_the_end_of_an_article_takes_its_links_not_the_article() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in NOTICE_P)
    related = "<p>相关阅读：</p>" + "".join(f'<p><a href="/r{i}">A3区召开第{i}次食品安全工作会议</a></p>' for i in range(3))
    article = extract_article(review_page(f'<div class="article">{paragraphs}{related}</div>'), now=NOW)
    assert article.content == "\n".join(NOTICE_P)


def test_a_sentence_naming_linked_agencies_is_article_text() -> None:
    agencies = ('<p><a href="/o/1">A3区教育局</a>、<a href="/o/2">A3区市场监管局</a>、<a href="/o/3">A3区卫生健康局</a>、'
                '<a href="/o/4">A3区公安分局</a>负责人出席发布会。</p>')
    page = review_page(f'<div class="article"><p>{NOTICE_P[0]}</p>{agencies}<p>{NOTICE_P[1]}</p></div>')
    assert "A3区公安分局负责人出席发布会。" in extract_article(page, now=NOW).content.replace("\n", "")


def test_a_notices_closing_lines_are_kept() -> None:
    closing = ["附件：1.校园食品安全自查表", "2.整改情况汇总表", "联系人：李老师", "联系电话：0731-12345678", "A3区教育局",
               "2026年11月27日"]
    body = "".join(f"<p>{p}</p>" for p in ["各街道办事处、区直各单位：", *NOTICE_P, *closing])
    article = extract_article(review_page(f'<div class="article">{body}</div>'), now=NOW)
    assert article.content.endswith("A3区教育局\n2026年11月27日")


def test_a_short_article_in_a_column_named_right_is_the_body() -> None:
    menu = "".join(f'<li><a href="/m{i}">栏目{i}</a></li>' for i in range(3))
    latest = "".join(f'<li><a href="/r{i}">A3区部署第{i}季度安全生产工作</a><p>会议强调，要压实责任，狠抓落实，确保全区安全'
                     f'生产形势持续稳定向好，坚决防范遏制重特大事故发生。</p></li>' for i in range(5))
    page = review_page(f'<div class="main"><div class="left"><ul>{menu}</ul></div>'
                       f'<div class="right"><p>{NOTICE_P[0]}</p></div></div>'
                       f'<div class="news-list"><h3>最新动态</h3><ul>{latest}</ul></div>')
    assert NOTICE_P[0] in extract_article(page, now=NOW).content


@pytest.mark.parametrize("tag", ["aside", "footer"])
def test_an_article_marked_up_as_an_element_the_extractors_discard_is_still_the_body(tag: str) -> None:
    """GNE and trafilatura drop <aside>, <header>, <footer> and <nav> unread: an article inside one gave an empty
    body, while a real sidebar of links beside it stays out."""
    sidebar = "".join(f'<li><a href="/s{i}">A3区第{i}期政务公开目录</a></li>' for i in range(6))
    page = review_page(f'<{tag} class="main">{"".join(f"<p>{p}</p>" for p in NOTICE_P)}</{tag}>'
                       f'<aside class="side"><ul>{sidebar}</ul></aside>')
    article = extract_article(page, now=NOW)
    assert article.content == "\n".join(NOTICE_P)


def test_a_sentence_with_inline_links_stays_one_line_and_paragraphs_stay_apart() -> None:
    """GNE broke a line around every inline element (2019年，\n龙湖集团\n即将迎来… on 163/1)."""
    linked = ('<p>2019年，<a href="/c/1">龙湖集团</a>即将迎来赴港上市10周年。带领公司上市的<span class="name">吴亚军</span>'
              '，在前不久召开的中期业绩会上表示，没有故事就是好故事，业主们却不这么看。</p>')
    page = review_page(f'<div class="article">{linked}{"".join(f"<p>{p}</p>" for p in NOTICE_P)}</div>')
    lines = extract_article(page, now=NOW).content.split("\n")
    assert lines[0] == ("2019年，龙湖集团即将迎来赴港上市10周年。带领公司上市的吴亚军，在前不久召开的中期业绩会上表示，"
                        "没有故事就是好故事，业主们却不这么看。")
    assert lines[1:] == NOTICE_P


def test_real_pages_break_lines_where_the_page_does(all_pages: dict[str, Article]) -> None:
    content = all_pages["163/1.html"].content
    assert "2019年，龙湖集团即将迎来赴港上市10周年。" in content and "\n吴亚军\n" not in content


def test_a_closing_follow_us_line_is_not_article_text(all_pages: dict[str, Article]) -> None:
    """sina/4 ended with 扫描下方二维码关注苹果汇官方微信(或微信中搜：appleinc2012)."""
    assert all_pages["sina/4.html"].content.endswith("实现轻松换新iPhone。(李楠)")
    promo = "<p>扫描下方二维码，关注A3区融媒体中心微信公众号。</p>"
    page = review_page(f'<div class="article">{"".join(f"<p>{p}</p>" for p in NOTICE_P)}{promo}</div>')
    assert extract_article(page, now=NOW).content == "\n".join(NOTICE_P)


def test_table_cells_stay_apart_and_a_notices_service_line_stays() -> None:
    """From a review of the rejoining and the promo trim: cells 7 / 1 were joined because "71" was in "1971" elsewhere
    on the page, and a notice's closing 扫码预约登记 line was dropped as a promotion."""
    table = "<table><tr><td>A3区</td><td>7</td><td>1</td></tr><tr><td>A4区</td><td>12</td><td>3</td></tr></table>"
    closing = ["市民可扫描下方二维码进行预约登记。", "请关注“健康A市”微信公众号查询接种点信息。"]
    body = "".join(f"<p>{p}</p>" for p in [*NOTICE_P, "该校始建于1971年，1123名学生。"]) + table
    page = review_page(f'<div class="article">{body}{"".join(f"<p>{p}</p>" for p in closing)}</div>')
    content = extract_article(page, now=NOW).content
    assert "7 1" not in content and "71" not in content.replace("1971", "") and "12 3" not in content
    assert content.endswith("\n".join(closing))


def test_a_related_articles_time_in_a_script_does_not_replace_the_bylines() -> None:
    script = '<script>var relatedNews = [{"title":"A3区召开安全会议","pubTime":"2024-02-27 08:15:00"}];</script>'
    page = review_page(f'<div class="article">{"".join(f"<p>{p}</p>" for p in NOTICE_P)}</div>{script}')
    assert extract_article(page, now=NOW).published_at == at(2024, 2, 27, 10, 30)


def test_byline_relative_time_uses_the_injected_now() -> None:
    article = extract_article(make_page(after="3小时前 来源：某某日报"), now=NOW)
    assert article.published_at == NOW - timedelta(hours=3)


def test_labelled_chinese_date_in_the_byline() -> None:
    article = extract_article(make_page(after="发布时间：2019年05月12日 16:25 作者：张三"), now=NOW)
    assert article.published_at == at(2019, 5, 12, 16, 25)
    assert article.author == "张三"


def test_future_dates_are_not_publish_times() -> None:
    article = extract_article(make_page(after="2099-01-01 来源：某某日报"), now=NOW)
    assert article.published_at is None or article.published_at <= NOW


def test_gbk_bytes_with_a_lying_declaration() -> None:
    html = make_page(head='<meta charset="utf-8">', after="2019-05-12 16:25")
    article = extract_article(html.encode("gbk"), declared_encoding="utf-8", now=NOW)
    assert article.encoding == "gb18030"
    assert article.title == "小区夜间施工扰民 居民盼解决"
    assert BODY in article.content


def test_overrides_take_precedence_css_and_xpath() -> None:
    html = make_page(after='<span class="when">2020-01-02 03:04</span><span class="who">李四</span>')
    overrides = {
        "title": "div.nav a:last-child",
        "published_at": "//span[@class='when']/text()",
        "author": ".who",
        "content": "div.footer",
    }
    article = extract_article(html, overrides=overrides, now=NOW)
    assert article.title == "新闻"
    assert article.published_at == at(2020, 1, 2, 3, 4)
    assert article.author == "李四"
    assert article.content == "版权所有 某某网"


def test_an_override_that_matches_nothing_falls_back_to_automatic() -> None:
    article = extract_article(make_page(after="2019-05-12 16:25"), overrides={"title": "h9.none"}, now=NOW)
    assert article.title == "小区夜间施工扰民 居民盼解决"


def test_a_broken_override_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="crawler.extraction"):
        article = extract_article(make_page(after="2019-05-12 16:25"), overrides={"title": "div[[["}, now=NOW)
    assert article.title == "小区夜间施工扰民 居民盼解决"
    assert "invalid selector 'div[[['" in caplog.text


def test_noise_override_removes_blocks_from_the_body() -> None:
    html = make_page(after="2019-05-12 16:25").replace(
        '<div class="article-content">',
        '<div class="article-content"><p class="wx-tip">扫码关注我们的公众号，领取福利。</p>',
    )
    assert "扫码关注" in extract_article(html, now=NOW).content
    assert "扫码关注" not in extract_article(html, overrides={"noise": ["p.wx-tip"]}, now=NOW).content
    # ... also from a body the source names by its own selector (noise was read by automatic extraction only)
    named = extract_article(html, overrides={"content": "div.article-content", "noise": ["p.wx-tip"]}, now=NOW)
    assert "扫码关注" not in named.content and named.content.strip()
    kept = extract_article(html, overrides={"content": "div.article-content"}, now=NOW)
    assert "扫码关注" in kept.content


@pytest.mark.parametrize(
    "body",
    [
        b"",
        "",
        "   ",
        b"\x00\x00\x00",
        b'{"data": [1, 2, 3]}',
        "<?xml version='1.0' encoding='utf-8'?><rss></rss>",
        b"<html><body><p>\xff\xfe\xfa broken",
        "<html><head><title>只有标题</title></head></html>",
        "<<<>>>&&&",
    ],
)
def test_malformed_input_never_raises(body: bytes | str) -> None:
    article = extract_article(body, now=NOW)
    assert isinstance(article, Article)
    assert isinstance(article.content, str)


def test_truncated_page_still_gives_what_it_has() -> None:
    html = make_page(head='<meta name="publishdate" content="2019-05-12">').encode("utf-8")
    cut = html[: html.index("版权".encode()) - 40]
    article = extract_article(cut, now=NOW)
    assert article.title == "小区夜间施工扰民 居民盼解决"
    assert article.published_at == at(2019, 5, 12)
    assert BODY in article.content


def test_huge_page_is_capped_with_a_logged_reason(caplog: pytest.LogCaptureFixture) -> None:
    filler = "<p>相关阅读：更多新闻请关注本网。</p>" * 250_000  # about 10 MB
    html = make_page(after="2019-05-12 16:25").replace("</body>", filler + "</body>").encode("utf-8")
    assert len(html) > 8 * 1024 * 1024
    with caplog.at_level(logging.INFO, logger="crawler.extraction"):
        article = extract_article(html, now=NOW)
    assert "extracting from the first" in caplog.text
    assert article.title == "小区夜间施工扰民 居民盼解决"
    assert article.published_at == at(2019, 5, 12, 16, 25)


def test_contract_shape() -> None:
    article = extract_article(make_page(after="2019-05-12 16:25 作者：张三"), now=NOW)
    payload = article.as_contract()
    assert list(payload) == ["title", "author", "published_at", "content"]
    assert payload["published_at"] == "2019-05-12T16:25:00+08:00"
    assert json.loads(json.dumps(payload, ensure_ascii=False)) == payload


# --- the `yuqing extract` command ---------------------------------------------------------------


def test_extract_command_prints_one_utf8_json_object(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(make_page(after="2019-05-12 16:25 作者：张三").encode("gbk"))
    result = CliRunner().invoke(extract_command, [str(page), "--url", "http://example.cn/a.html"])
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert "小区夜间施工扰民".encode() in raw  # UTF-8, not \\u escapes
    payload = json.loads(raw.decode("utf-8"))
    assert payload == {
        "title": "小区夜间施工扰民 居民盼解决",
        "author": "张三",
        "published_at": "2019-05-12T16:25:00+08:00",
        "content": payload["content"],
    }
    assert BODY in payload["content"]
    assert raw.decode("utf-8").count("\n") == 1


def test_extract_command_relative_time_with_now(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(make_page(after="5分钟前"), encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(page), "--now", "2024-03-01T12:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published_at"] == "2024-03-01T11:55:00+08:00"


def test_extract_command_says_when_the_page_gives_only_its_day(tmp_path: Path) -> None:
    """A government page dated "2026-11-25" is printed as that day's midnight (the contract's ISO time), which read as
    published at 00:00: stderr now says the page gave the day only."""
    page = tmp_path / "page.html"
    page.write_text(make_page(after="发布日期：2026-11-25"), encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(page)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published_at"] == "2026-11-25T00:00:00+08:00"
    assert "gives only the day it was published (2026-11-25)" in result.stderr
    timed = tmp_path / "timed.html"
    timed.write_text(make_page(after="发布时间：2026-11-25 16:25"), encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(timed)])
    assert json.loads(result.stdout)["published_at"] == "2026-11-25T16:25:00+08:00"
    assert "only the day" not in result.stderr


def test_extract_command_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(extract_command, [str(tmp_path / "nope.html")])
    assert result.exit_code == 2
    assert "nope.html" in result.output and "does not exist" in result.output


def test_extract_command_rejects_a_bad_now(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(make_page(), encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(page), "--now", "yesterday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_a_closing_line_that_repeats_the_headline_does_not_take_the_article_with_it() -> None:
    """A caption or restatement equal to the title after the paragraphs: the body was stripped to nothing."""
    from crawler.extraction import extract_article

    paragraphs = "".join(f"<p>{f'这是第{i}段正文内容，' * 6}</p>" for i in range(4))
    html = (f"<html><head><title>某地发生一起交通事故</title></head><body><div class='nav'>首页 > 新闻</div>"
            f"<h1>某地发生一起交通事故</h1><div class='article'>{paragraphs}<p>某地发生一起交通事故</p></div></body></html>")
    article = extract_article(html, url="http://127.0.0.1/news/1.html")
    assert article.content.startswith("这是第0段正文内容") and "这是第3段正文内容" in article.content


@pytest.mark.parametrize("footer", ["Copyright © 2003-2024 某某网", "发布时间：2024-13-45"])
def test_no_publish_time_is_invented_from_a_copyright_year_or_an_impossible_date(footer: str) -> None:
    """htmldate turns a bare year into 1 January (and nothing into 1995-01-01): no time is better than a wrong one."""
    body = "<p>" + "本市今日召开会议，部署安全生产工作，要求各单位认真落实责任。" * 8 + "</p>"
    html = (f"<html><head><title>会议部署安全生产</title></head><body><h1>会议部署安全生产</h1>{body}"
            f"<div>{footer}</div></body></html>")
    assert extract_article(html, url="http://127.0.0.1/a.html").published_at is None


@pytest.mark.parametrize(("body", "kind"), [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>", "a PDF document"),
    (bytes(range(256)) * 4, "binary data"),
])
def test_extract_says_a_file_that_is_not_a_page_is_not_one(tmp_path: Path, body: bytes, kind: str) -> None:
    """Random bytes came out as an article whose content was the bytes read as text."""
    path = tmp_path / "junk.bin"
    path.write_bytes(body)
    result = CliRunner().invoke(extract_command, [str(path)])
    assert result.exit_code == 0 and f"is {kind}, not a web page; nothing extracted" in result.stderr
    assert json.loads(result.stdout) == {"title": None, "author": None, "published_at": None, "content": ""}


def test_a_short_page_with_a_few_stray_control_bytes_is_still_a_page() -> None:
    from crawler.encoding import binary_kind

    page = ("<html><body><h1>路灯损坏</h1><p>\x01A3区某小区路灯\x01损坏多日\x01，夜间出行不便。</p></body></html>"
            .encode())
    assert len(page) < 300 and binary_kind(page) is None


def test_a_utf16_page_is_text_though_its_bytes_hold_nul(tmp_path: Path) -> None:
    path = tmp_path / "u16.html"
    article = "<p>" + "A市A3区新建口袋公园三处，方便周边居民休闲散步，受到好评。" * 4 + "</p>"
    path.write_bytes(f"<html><head><title>口袋公园</title></head><body><h1>口袋公园</h1>{article}</body></html>"
                     .encode("utf-16"))
    result = CliRunner().invoke(extract_command, [str(path)])
    assert "not a web page" not in result.stderr and "口袋公园三处" in json.loads(result.stdout)["content"]


def test_a_page_that_gives_its_day_alone_says_so_and_yuqing_extract_prints_it_as_before(tmp_path: Path) -> None:
    """A government page shows "发布日期：2019-05-12" and no time anywhere: the article says its date is a day alone
    (the crawler places such a post at the day's end); the extract contract keeps its four fields and the day's
    midnight as written."""
    article = extract_article(make_page(after="发布日期：2019-05-12 来源：某某区政府"), now=NOW)
    assert article.published_at == at(2019, 5, 12) and article.date_only
    timed = extract_article(make_page(after="发布日期：2019-05-12 16:25 来源：某某区政府"), now=NOW)
    assert timed.published_at == at(2019, 5, 12, 16, 25) and not timed.date_only
    page = tmp_path / "page.html"
    page.write_text(make_page(after="发布日期：2019-05-12 来源：某某区政府"), encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(page), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["title", "author", "published_at", "content"]
    assert payload["published_at"] == "2019-05-12T00:00:00+08:00"


def test_a_selector_that_names_the_day_alone_takes_that_days_minute_from_the_page() -> None:
    """A source's published_at selector may point at a field holding the date only, while the byline or the
    metadata shows the minute of that day."""
    head = '<meta property="article:published_time" content="2019-05-12T16:25:00+08:00">'
    page = make_page(head=head, before='<span class="listed-date">2019-05-12</span>')
    article = extract_article(page, overrides={"published_at": ".listed-date"}, now=NOW)
    assert article.published_at == at(2019, 5, 12, 16, 25) and not article.date_only
    other_day = extract_article(make_page(head=head.replace("05-12", "05-13"),
                                          before='<span class="listed-date">2019-05-12</span>'),
                                overrides={"published_at": ".listed-date"}, now=NOW)
    assert other_day.published_at == at(2019, 5, 12) and other_day.date_only, "the selector's day stands"
