"""Per-post enrichment: de-identified first, everything analysis adds, and defined output for bad input."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analysis.enrich import Enricher, clean_text
from analysis.entry import enrich, enrich_many
from analysis.sentiment import SentimentModel
from analysis.topic import TopicModel
from tests.support.taxonomy import remove_ecology
from yuqing.clock import ManualClock
from yuqing.contract import Post, Region
from yuqing.settings import load_config

TZ = ZoneInfo("Asia/Shanghai")
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
T0 = datetime(2026, 4, 8, 9, 0, tzinfo=TZ)
TOPICS = set(load_config().taxonomy.ids())
SENTIMENTS = {"negative", "neutral", "positive"}

COMPLAINT = ("我叫王建国，电话13812345678，住在长沙市岳麓区。小区旁边的搅拌站每天夜里施工，噪音太大，"
             "老人孩子都睡不着觉，多次向环保部门投诉都没有人管，请尽快处理！")


def _post(key: str, text: str, minutes: float = 0, **fields: object) -> Post:
    return Post.model_validate({"id": key, "source": "test", "fetched_at": T0 + timedelta(minutes=minutes),
                                "text": text, **fields})


class Spy:
    """A model that records what it was shown and answers like the real one."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.seen: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        self.seen.extend(texts)
        return [(self.label, 0.9) for _ in texts]


def test_personal_data_is_masked_before_any_model_sees_it() -> None:
    enricher = Enricher(clock=ManualClock(T0))
    topic, sentiment = Spy("生态环境"), Spy("negative")
    enricher.models.topic, enricher.models.sentiment = topic, sentiment
    post = enricher.enrich(_post("p1", COMPLAINT, author="王建国", title="投诉王建国家旁边的搅拌站"))
    shown = " ".join(topic.seen + sentiment.seen)
    assert "13812345678" not in shown and "13812345678" not in post.text
    assert "138****5678" in post.text
    assert "王建国" not in post.text and "王建国" not in shown
    assert post.author is not None and post.author.startswith("u_") and "王" not in post.author
    assert not any("1381234" in t for t in post.tokens or [])
    assert post.deidentified is True and post.analyzed_at == T0


@pytest.mark.parametrize("batched", [False, True])
def test_the_official_reply_status_and_url_are_masked_too(batched: bool) -> None:
    """A government reply names the petitioner and repeats the phone number; a form's URL may carry both."""
    post = _post("p1", COMPLAINT, status="王建国的诉求已转交 13812345678",
                 url="http://bbs.example.com/t?phone=13812345678&page=2",
                 reply={"text": "经核实，投诉人王建国（手机13812345678，住金星小区3栋501）反映问题属实。",
                        "replier": "岳麓区住建局"})
    enricher = Enricher(clock=ManualClock(T0))
    out = enricher.enrich_many([post])[0] if batched else enricher.enrich(post)
    assert out.reply is not None
    everything = " ".join([out.text, out.reply.text, out.status or "", out.url or ""])
    assert "13812345678" not in everything and "王建国" not in everything and "3栋501" not in everything
    assert "投诉人王**" in out.reply.text and "138****5678" in out.reply.text
    assert out.reply.replier == "岳麓区住建局"
    assert out.url == "http://bbs.example.com/t?phone=138****5678&page=2"


def test_the_fallback_when_models_cannot_run_masks_the_same_fields() -> None:
    from analysis.entry import deidentify_only

    post = _post("p1", "电话1381234<b></b>5678", status="业主王建国已联系",
                 reply={"text": "已联系业主王建国，电话13812345678"})
    out = deidentify_only(post)
    assert out.deidentified and out.reply is not None
    assert out.text == "电话138****5678" and "王建国" not in (out.status or "") and "王建国" not in out.reply.text
    assert "13812345678" not in out.reply.text


@pytest.mark.parametrize("url", [
    "http://news.example.com/2026/04/t20260408_1234567.html?from=%E6%96%B0%E9%97%BB&id=5",
    "http://bbs.example.com/t?tid=1501234567&page=2",
    "http://news.example.com/a?docid=020123456789",
    "https://weibo.example.com/detail/4567890123456783",  # 16 digits passing the Luhn check: a Weibo post id
    "https://www.toutiao.example.com/article/6734567890123456789/",  # 19 digits passing the Luhn check: an article id
    "http://bbs.example.com/t?id=430102199003071235",  # an ID number's shape whose check digit is wrong
    "http://news.example.com/article/12345678",
])
def test_a_url_with_nothing_personal_is_kept_as_it_was(url: str) -> None:
    assert Enricher(clock=ManualClock(T0)).enrich(_post("p1", "学校食堂", url=url)).url == url


@pytest.mark.parametrize(("url", "raw", "masked"), [
    ("http://bbs.example.com/t?id=430102199003071234&page=2", "430102199003071234", "id=43**************34&"),
    ("http://bbs.example.com/t?uid=13811112222", "13811112222", "uid=138****2222"),
    ("http://bbs.example.com/t?user=13811112222", "13811112222", "user=138****2222"),
    ("https://s.weibo.example.com/weibo?q=13811112222", "13811112222", "q=138****2222"),
    ("http://search.example.com/?keyword=13811112222", "13811112222", "keyword=138****2222"),
    ("http://bank.example.com/t?account=6222021234567890128", "6222021234567890128", "account=6222***********0128"),
    ("http://bbs.example.com/u/13811112222", "13811112222", "/u/138****2222"),
    ("http://bbs.example.com/u/13811112222.html", "13811112222", "/u/138****2222.html"),
    ("http://bbs.example.com/13811112222/", "13811112222", "/138****2222/"),
])
def test_a_number_in_a_url_that_is_a_phone_id_or_card_number_is_masked_whatever_the_key(
        url: str, raw: str, masked: str) -> None:
    """A review found these kept raw in the stored link: the key (id, q, account) or a bare path segment (/u/…) was
    taken for a page id's, though the value passes the mobile, ID-checksum or Luhn test."""
    out = Enricher(clock=ManualClock(T0)).enrich(_post("p1", "学校食堂", url=url)).url or ""
    assert raw not in out and masked in out, out


@pytest.mark.parametrize(("url", "stored"), [
    ("http://13812345678@bbs.a.gov.example/x", "http://bbs.a.gov.example/x"),
    ("http://zhangwei:Passw0rd2026@bbs.a.gov.example/x?id=7", "http://bbs.a.gov.example/x?id=7"),
    ("https://user:p%40ss@news.example.com:8443/a/1.html#top", "https://news.example.com:8443/a/1.html#top"),
    ("http://reader:secret@[::1]:8080/t?tel=13811112222", "http://[::1]:8080/t?tel=138****2222"),
])
def test_a_urls_userinfo_is_dropped_whatever_it_holds(url: str, stored: str) -> None:
    """A security review found http://13812345678@host/ and http://user:Passw0rd@host/ indexed and linked from the
    search page as they came: a URL's credentials are never something to show. The post's id is keyed then."""
    from analysis.entry import key_holds_personal_data

    assert Enricher(clock=ManualClock(T0)).enrich(_post("p1", "学校食堂", url=url)).url == stored
    assert key_holds_personal_data(url)


def test_a_url_with_a_phone_and_an_id_number_keeps_no_digit_of_the_id() -> None:
    """domain.md §6: never a partial ID beside a phone. Each value was masked on its own, so the link showed
    tel=138****2222 and id=43**************34 together."""
    url = "http://bbs.example.com/t?tel=13811112222&id=430102199003071234"
    out = Enricher(clock=ManualClock(T0)).enrich(_post("p1", "学校食堂", url=url)).url or ""
    assert out.endswith("tel=138****2222&id=" + "*" * 18), out
    path = "http://bbs.example.com/u/13811112222/430102199003071234.html"
    out = Enricher(clock=ManualClock(T0)).enrich(_post("p2", "学校食堂", url=path)).url or ""
    assert out.endswith("/u/138****2222/" + "*" * 18 + ".html"), out


def test_a_bare_name_under_a_personal_query_key_is_masked() -> None:
    """A review found 李建国 shown beside a masked phone in a post's link (name=李建国, no cue to find it by)."""
    url = "https://news.example.com/b?phone=13812345678&name=%E6%9D%8E%E5%BB%BA%E5%9B%BD&id=123"
    out = Enricher(clock=ManualClock(T0)).enrich(_post("p1", "学校食堂", url=url)).url or ""
    assert "name=%E6%9D%8E**&" in out and "phone=138****5678" in out and out.endswith("id=123")
    page = "https://www.example.gov.cn/a?filename=2019notice.pdf&channelname=zwgk"  # no names: the link must open
    assert Enricher(clock=ManualClock(T0)).enrich(_post("p2", "学校食堂", url=page)).url == page
    for key in ("contact", "nickname", "lxr", "author"):  # (a second review: ?contact=王芳 stayed raw)
        out = Enricher(clock=ManualClock(T0)).enrich(_post("p3", "学校食堂", url=f"https://a.example/b?{key}=王芳")).url
        assert out is not None and out.endswith(f"{key}=%E7%8E%8B*"), out


def test_bidirectional_overrides_are_taken_out_of_what_is_shown() -> None:
    post = enrich(_post("p1", "星光幼儿园火灾后续", title="火灾后续 \u202e局育教区3A\u202c 回应\u2066"))
    assert post.title == "火灾后续 局育教区3A 回应"


@pytest.mark.parametrize("batched", [False, True])
def test_characters_no_xml_document_can_hold_are_taken_out_of_every_text(batched: bool) -> None:
    """A review found a crawled title ending in U+FFFE stored as it came: every brief and evaluation workbook listing
    its case then failed (HTTP 500). Noncharacters in any plane go too; CJK, emoji and line breaks stay."""
    raw = _post("nonchar", "食堂\ufffe多名学生\uffff腹泻\ufdd0送医\U0001fffe\n😷", title="食堂\x0b\x01\x1b\ufffe（网友0）",
                status="办理中\U0010ffff", reply={"text": "已核实\ufffe", "replier": "教育局\uffff"})
    post = enrich_many([raw])[0] if batched else enrich(raw)
    assert post.title == "食堂（网友0）"
    assert post.text == "食堂多名学生腹泻送医\n😷"
    assert post.status == "办理中"
    assert post.reply is not None and (post.reply.text, post.reply.replier) == ("已核实", "教育局")


def test_a_complaint_gets_everything_analysis_adds() -> None:
    post = enrich(_post("p2", COMPLAINT, region=Region(province="湖南省")))
    assert post.deidentified and post.analyzed_at is not None
    assert post.tokens and "搅拌站" in post.tokens
    assert post.topic in TOPICS and post.topic_score is not None and 0 <= post.topic_score <= 1
    assert post.topics and post.topic in post.topics
    assert post.sentiment in SENTIMENTS and post.sentiment_score is not None
    assert post.region is not None and post.region.city == "长沙市" and post.region.district == "岳麓区"
    assert "elderly" in (post.severity_cues or []) and "children" in (post.severity_cues or [])
    assert post.dup_of is None


def test_casualty_news_and_a_complaint_letter_read_negative_and_say_why() -> None:
    """The model alone reads both neutral (analysis.sentiment.GrievanceRule); the post says why it is negative, and
    `yuqing predict` gives the same label and score."""
    news, letter, plain = Enricher(clock=ManualClock(T0)).enrich_many([
        _post("n1", "派出所副所长驾车撞死2人逃逸让妻子顶包"),
        _post("l1", "我是碧桂园南城首府二期业主，房子漏水、外墙脱落，多次找开发商无果。", source_type="message_board",
              title="投诉A5区碧桂园南城首府二期房子漏水、外墙脱落质量不过关"),
        _post("c1", COMPLAINT),
    ])
    assert (news.sentiment, news.sentiment_reason) == ("negative", "报道伤亡: 2人死亡")
    assert (letter.sentiment, letter.sentiment_reason) == ("negative", "投诉用语: 投诉")
    assert news.sentiment_score == pytest.approx(SentimentModel.load().predict([news.text])[0][1])
    assert plain.sentiment == "negative" and plain.sentiment_reason is None  # read negative by the model itself


def test_a_board_message_keeps_its_boards_place_and_a_headline_names_the_place() -> None:
    changsha = Region(province="湖南省", city="长沙市")
    passing = enrich(_post("b1", "去年去北京旅游时看到公园都有免费饮水点，建议我们市的公园也设置", region=changsha,
                           source_type="message_board", title="建议公园设置免费饮水点"))
    assert passing.region is not None and passing.region.city == "长沙市"
    headline = enrich(_post("b2", "我在海口工作多年，海口那边说要回户籍地办理，海口的政策我清楚", region=changsha,
                            title="株洲市计生委怎么不办理独生子女证"))
    assert headline.region is not None and headline.region.city == "株洲市"


def test_a_repost_points_at_the_original() -> None:
    enricher = Enricher()
    first, again = enricher.enrich_many([
        _post("orig", COMPLAINT),
        _post("repost", "同样深受其害//@某网友: " + COMPLAINT, 30),
    ])
    assert first.dup_of is None and again.dup_of == "orig"


def test_batch_and_single_give_the_same_analysis() -> None:
    texts = [COMPLAINT, "A市地铁3号线早高峰太挤了，建议增加班次。", "今天医院挂号排了三个小时，太难了。"]
    clock = ManualClock(T0)
    single = [Enricher(clock=clock).enrich(_post(f"s{i}", t)) for i, t in enumerate(texts)]
    batch = Enricher(clock=clock).enrich_many([_post(f"s{i}", t) for i, t in enumerate(texts)])
    for a, b in zip(single, batch, strict=True):
        assert (a.topic, a.sentiment, a.tokens, a.region, a.severity_cues) == \
               (b.topic, b.sentiment, b.tokens, b.region, b.severity_cues)
        assert a.topic_score == pytest.approx(b.topic_score) and a.sentiment_score == pytest.approx(b.sentiment_score)


@pytest.mark.parametrize(("name", "text"), [
    ("empty", ""),
    ("whitespace", "   \n\t "),
    ("emoji only", "😀😂🙏🏻🎉 [哈哈][泪]"),
    ("english", "The quick brown fox jumps over the lazy dog. Nothing to see here."),
    ("binary noise", "\x00\x01\x02\ufffd\ufffd\ufffd"),
])
def test_text_without_chinese_gets_the_defined_fallback(name: str, text: str) -> None:
    post = enrich(_post(f"bad-{name}", text))
    # What `yuqing predict` gives a text without Chinese: each label's 1/n, the lowest probability there is. (The
    # [哈哈] codes are emoticons, taken out before the models read the post.)
    assert (post.topic, post.topic_score) == TopicModel.load().predict(["😀"])[0] == ("非民生", 1 / 12)
    assert (post.sentiment, post.sentiment_score) == SentimentModel.load().predict(["😀"])[0] == ("neutral", 1 / 3)
    assert post.deidentified and post.severity_cues == []


def test_html_is_reduced_to_text() -> None:
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>小区&nbsp;电梯<b>坏了</b>一个月</p><div>物业不管，老人只能爬楼</div></body></html>")
    post = enrich(_post("html", html))
    assert "<" not in post.text and "alert" not in post.text and "color" not in post.text
    assert "电梯" in post.text and "物业不管" in post.text
    assert post.topic in TOPICS


def test_mojibake_is_repaired() -> None:
    garbled = "小区电梯坏了一个月，物业不管".encode().decode("latin-1")
    assert clean_text(garbled) == "小区电梯坏了一个月，物业不管"
    post = enrich(_post("mojibake", garbled))
    assert "电梯" in post.text


@pytest.mark.parametrize("batched", [False, True])
def test_a_lone_surrogate_costs_one_character_not_the_post(batched: bool) -> None:
    """Bytes decoded with surrogateescape (or a JSON "\\udcc3" escape) leave lone surrogates, which UTF-8 cannot
    carry: the text used to be withheld whole. It is kept, masked and analysed, with U+FFFD in their place."""
    raw = _post("surrogate", "医院\udcc3排队三个小时，我的电话13812345678，医生态度恶劣", title="投诉\ud800医院")
    post = enrich_many([raw])[0] if batched else enrich(raw)
    assert post.text == "医院\ufffd排队三个小时，我的电话138****5678，医生态度恶劣"
    assert post.title == "投诉\ufffd医院"
    assert post.topic == "就医"
    post.text.encode("utf-8")  # what Elasticsearch receives


def test_a_megabyte_of_text_is_handled() -> None:
    huge = ("小区电梯坏了一个月，物业不管。联系电话13900001111。" * 40_000)[: 1_000_000]
    post = Enricher(max_analysis_chars=20_000).enrich(_post("huge", huge))
    assert len(post.text) == len(huge)
    assert "13900001111" not in post.text  # the whole text is masked, not only the analysed part
    assert post.topic in TOPICS and len(post.tokens or []) <= 256


def test_the_input_post_is_not_modified() -> None:
    original = _post("keep", COMPLAINT, author="王建国")
    enrich_many([original])
    assert original.text == COMPLAINT and original.author == "王建国" and original.topic is None


def test_a_failing_model_costs_its_field_not_the_post(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
            raise RuntimeError("model file corrupt")

    enricher = Enricher()
    enricher.models.sentiment = Broken()
    post = enricher.enrich(_post("broken", COMPLAINT))
    assert post.sentiment == "neutral" and post.sentiment_score == 0.0
    assert post.topic in TOPICS and post.deidentified
    assert "sentiment prediction failed" in caplog.text


def test_a_failing_step_names_a_post_whose_id_is_a_phone_number_by_its_pseudonym(
        caplog: pytest.LogCaptureFixture) -> None:
    """The enricher keeps the ids it is given (the commands that read files put a personal one under its pseudonym
    first), but a log line is no place for one that is a phone number."""
    from analysis.deidentify import post_id_pseudonym

    def broken(*args: object) -> None:
        raise RuntimeError("gazetteer file corrupt")

    enricher = Enricher()
    enricher.models.region = broken
    post = enricher.enrich(_post("13912345678", COMPLAINT))
    assert post.id == "13912345678" and post.region is None
    assert f"region failed for post {post_id_pseudonym('13912345678')}" in caplog.text
    assert "13912345678" not in caplog.text


@pytest.mark.parametrize(
    "text, lang",
    [("医院排队太久 so long", "zh"), ("The hospital queue is too long", "en"), ("病院の待ち時間が長すぎる", "ja"),
     ("병원 대기 시간이 너무 길다", "ko"), ("😡😡 123", "und"), ("", "und")],
)
def test_the_language_is_read_from_the_script_not_assumed(text: str, lang: str) -> None:
    assert Enricher(clock=ManualClock(T0)).enrich(_post("p1", text)).lang == lang


def test_the_service_logs_at_model_load_that_a_removed_topic_is_given_as_the_fallback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """`yuqing run` and the crawler load the topic model through the enricher: its log says what the config check
    says, and the post gets the fallback rather than a topic units.yaml can no longer route."""
    shutil.copytree(REPO_CONFIG, tmp_path / "config")
    remove_ecology(tmp_path / "config")
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(tmp_path / "config"))
    post = Enricher(clock=ManualClock(T0)).enrich(_post("smell", COMPLAINT))
    assert post.topic == "非民生" and "生态环境" not in (post.topics or {})
    assert "topic model: the topic model in use" in caplog.text and "predicts 生态环境" in caplog.text


def test_a_broken_region_alias_table_stops_enrichment_instead_of_placing_every_post_at_its_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A review: with one wrong code in config/region_aliases.yaml each post logged a traceback and took its
    source's region, so a Nanjing accident became the district's own. The crawler then indexes posts de-identified
    only (to be analysed later), and `run` refuses to start (config check names the line)."""
    from analysis.region import RegionConfigError, default_resolver

    shipped = Path(__file__).resolve().parents[2] / "analysis" / "resources" / "region_aliases.yaml"
    (tmp_path / "region_aliases.yaml").write_text(shipped.read_text(encoding="utf-8").replace(
        "names:\n", "names:\n  玉林街道: {code: \"5101077\"}\n", 1), encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG_DIR", str(tmp_path))
    default_resolver.cache_clear()
    try:
        enricher = Enricher(clock=ManualClock(T0))
        enricher.models.topic, enricher.models.sentiment = Spy("安全生产"), Spy("negative")
        post = _post("n1", "南京市鼓楼区一在建工地塔吊倒塌 致2死3伤", region=Region(province="四川省", city="成都市"))
        with pytest.raises(RegionConfigError, match=r"names\.玉林街道\.code: '5101077' is not in the gazetteer"):
            enricher.enrich_many([post])
    finally:
        default_resolver.cache_clear()
