"""The one tokenizer: domain terms stay whole, noise is dropped, indexing and queries cut alike."""

from __future__ import annotations

import importlib.util

import pytest

from analysis import tokenizer
from analysis.tokenizer import cut_for_index, join_pretokenized, looks_pretokenized, tokenize


@pytest.mark.parametrize(
    "sentence, term",
    [
        ("A市应急管理局通报一起事故", "应急管理局"),
        ("请市场监督管理局查处这家餐馆", "市场监督管理局"),
        ("卫生健康委回应医院收费问题", "卫生健康委"),
        ("住房和城乡建设局答复公租房分配", "住房和城乡建设局"),
        ("人力资源和社会保障局介入农民工欠薪", "人力资源和社会保障局"),
        ("独居老人入住养老院难", "养老院"),
        ("小区旁搅拌站噪音扰民", "搅拌站"),
        ("甲乙自治县启动防汛应急响应", "自治县"),
        ("A市高新区管委会回应企业诉求", "高新区"),
    ],
)
def test_user_dictionary_terms_stay_whole(sentence: str, term: str) -> None:
    assert term in tokenize(sentence)


def test_stop_words_punctuation_emoji_and_html_are_dropped() -> None:
    tokens = tokenize("<p>我们的小区 &nbsp;物业，真的太差了！！😡😡 http://t.cn/abc</p>")
    assert "物业" in tokens and "小区" in tokens
    for noise in ("的", "我们", "，", "！", "😡", "p", "nbsp", "http", " "):
        assert noise not in tokens


def test_full_width_text_is_normalised() -> None:
    assert tokenize("ＡＢＣ公司拨打１２３４５热线") == tokenize("abc公司拨打12345热线")


def test_cut_for_index_keeps_whole_words_and_adds_the_words_inside_them() -> None:
    text = "某化工厂发生爆炸，应急管理局已介入调查"
    indexed = cut_for_index(text).split(" ")
    assert set(tokenize(text)) <= set(indexed)
    assert {"应急管理局", "化工厂", "化工", "工厂", "发生爆炸", "爆炸"} <= set(indexed)


@pytest.mark.parametrize("query", ["爆炸", "发生爆炸", "应急管理局 爆炸", "化工厂"])
def test_queries_cut_the_same_way_find_the_indexed_text(query: str) -> None:
    indexed = set(cut_for_index("某化工厂发生爆炸，应急管理局已介入调查").split())
    assert set(cut_for_index(query).split()) & indexed
    assert set(tokenize(query)) <= indexed


@pytest.mark.parametrize("bad", [None, "", "   ", "😀😀😀", "\x00\ufffd\ufffd", "a" * 1_000_000, "医院" * 300_000])
def test_bad_input_gives_a_list(bad: str | None) -> None:
    assert isinstance(tokenize(bad), list)


def test_pretokenized_columns_are_detected_and_joined() -> None:
    tokens = ["A1 区 小区 物业 乱收费 停车费", "学校 食堂 饭菜 变质 学生 腹泻"]
    raw = ["A1区小区物业乱收费停车费", "学校食堂饭菜变质学生腹泻"]
    assert looks_pretokenized(tokens)
    assert not looks_pretokenized(raw)
    assert [join_pretokenized(t) for t in tokens] == ["A1 区小区物业乱收费停车费", "学校食堂饭菜变质学生腹泻"]


@pytest.mark.skipif(importlib.util.find_spec("rjieba") is None, reason="rjieba not installed")
def test_rjieba_backend_matches_jieba() -> None:
    texts = [
        "A市A3区某小区二次供水水箱长年不清洗，自来水有霉味，请环保部门检测",
        "某化工厂发生爆炸致3人死亡，应急管理局已派出工作组",
        "连日暴雨引发山体滑坡，受灾群众已转移安置",
    ]
    try:
        tokenizer.use_backend("rjieba")
        fast = [tokenize(t) for t in texts]
        tokenizer.use_backend("jieba")
        slow = [tokenize(t) for t in texts]
    finally:
        tokenizer.use_backend("rjieba")
    assert fast == slow


def test_phrase_index_finds_whole_words_and_runs_of_words_with_their_labels() -> None:
    from analysis.tokenizer import PhraseIndex

    index = PhraseIndex([("两车相撞", "交通出行"), ("受伤", "伤亡"), ("受伤", "安全生产"), ("追尾", "交通出行")])
    tokens = tokenize("昨日两车相撞致两人受伤，两车追尾")
    assert index.find(tokens) == [("两车相撞", "交通出行"), ("受伤", "伤亡"), ("受伤", "安全生产"), ("追尾", "交通出行")]
    # "车相撞" is not a run of the text's words (两车 | 相撞), and nothing is found by substring alone
    assert PhraseIndex([("车相撞", "x")]).find(tokens) == []
    assert PhraseIndex([("起火", "x")]).find(tokenize("强敌湖人激起火箭斗志")) == []


def test_phrase_index_leaves_out_phrases_the_token_stream_cannot_show() -> None:
    from analysis.tokenizer import PhraseIndex

    index = PhraseIndex([("火灾的", "x"), ("！", "y"), ("火灾", "z")])
    assert index.unseen == ["火灾的", "！"]
    assert index.find(tokenize("仓库发生火灾的原因")) == [("火灾", "z")]
    assert not PhraseIndex([("的", "x")])
