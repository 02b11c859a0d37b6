"""Sentiment model: clear complaints are negative, clear praise positive, bad input neutral and unsure."""

from __future__ import annotations

import pytest

from analysis.sentiment import GrievanceRule, SentimentModel, hashed_features, sentiment_parts

NEGATIVE = [
    "小区门口的搅拌站天天半夜施工，吵得根本睡不着，投诉了好几次都没人管，太气人了！",
    "拖欠了半年工资，老板跑路了，我们农民工找谁要钱？",
    "医院排队三个小时，医生态度恶劣，看个病太难了",
    "孩子在幼儿园被老师打了，园方还不承认，心寒",
    "这么大的事故到现在都没有一个说法，遇难者家属太可怜了",
]
POSITIVE = [
    "感谢消防员叔叔们连夜奋战，辛苦了，你们是最棒的！",
    "今天天气真好，和家人一起去公园玩，好开心",
]


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.load()


def test_labels(model: SentimentModel) -> None:
    assert sorted(model.labels) == ["negative", "neutral", "positive"]


@pytest.mark.parametrize("text", NEGATIVE)
def test_clear_complaints_are_negative(model: SentimentModel, text: str) -> None:
    label, score = model.predict([text])[0]
    assert label == "negative"
    assert score > 0.5


@pytest.mark.parametrize("text", POSITIVE)
def test_clear_praise_is_positive(model: SentimentModel, text: str) -> None:
    assert model.predict([text])[0][0] == "positive"


@pytest.mark.parametrize("bad", [None, "", "😀😀😀", "hello world", "<p></p>&nbsp;", "\ufffd\ufffd"])
def test_bad_input_is_neutral_with_low_confidence(model: SentimentModel, bad: object) -> None:
    label, score = model.predict([bad])[0]  # type: ignore[list-item]
    assert label == "neutral"
    assert score <= 1 / 3 + 1e-9


# Real texts the model alone reads as neutral (the release judge's finding: formal complaints and casualty news).
GRIEVANCES = [
    ("派出所副所长驾车撞死2人逃逸让妻子顶包", "报道伤亡: 2人死亡"),  # a 社会 headline
    ("男子因女友提出分手将其掐死", "报道伤亡: 1人死亡"),
    ("投诉A5区碧桂园南城首府二期房子漏水、外墙脱落质量不过关", "投诉用语: 投诉"),  # a board letter's subject
    ("A3区高鑫麓城12栋住户打架子鼓夜晚扰民\n从晚上8点打到11点，一周4-5次，已持续一个月", "投诉用语: 扰民"),
]


@pytest.mark.parametrize(("text", "reason"), GRIEVANCES)
def test_casualty_news_and_complaints_are_negative_and_say_why(model: SentimentModel, text: str, reason: str) -> None:
    assert model.explain([text]) == [("negative", pytest.approx(model.predict([text])[0][1]), reason)]
    assert model.predict([text])[0][0] == "negative"
    rule, model.grievances = model.grievances, None
    try:  # the model alone reads it neutral: the rule decides
        assert model.predict([text])[0][0] == "neutral"
    finally:
        model.grievances = rule


@pytest.mark.parametrize("text", [
    "小区存在火灾隐患，以免发生人员伤亡",  # a warning
    "一旦发生事故，可能造成3人死亡",  # a hypothesis
    "建议加强对拖欠工资的监管",  # a letter that calls itself a suggestion
    "事故未造成人员伤亡",  # a denial
    "画家称收藏在国家博物馆代表作品失踪",  # no person
    "疫情快点消失，人员伤亡最少就是福！",  # a wish
    "今天和家人去公园玩",
])
def test_warnings_suggestions_and_denials_are_no_evidence(text: str) -> None:
    assert GrievanceRule.evidence(text) is None
    assert GrievanceRule.evidence("据通报，" + GRIEVANCES[0][0]) == GRIEVANCES[0][1]


def test_a_positive_reading_stands_beside_the_deaths_it_names(model: SentimentModel) -> None:
    text = "致敬最美逆行者！事故中3人遇难，感谢消防员连夜搜救，你们辛苦了"
    assert GrievanceRule.evidence(text) == "报道伤亡: 3人死亡"
    assert model.explain([text])[0][0::2] == ("positive", None)


def test_evidence_is_read_from_the_opening_the_model_reads() -> None:
    text = "今天去办事处办理了手续。" + "材料都带齐了。" * 30 + "听说隔壁小区有人投诉"
    assert GrievanceRule.evidence(text) is None
    assert GrievanceRule.evidence(text[-20:]) == "投诉用语: 投诉"


def test_a_model_of_other_labels_has_no_grievance_rule() -> None:
    assert GrievanceRule.for_labels(["0", "1", "2"]) is None
    assert GrievanceRule.for_labels(["negative", "positive"]) is None
    assert GrievanceRule.for_labels(["negative", "neutral", "positive"]) is not None


def test_long_input_reads_only_the_opening(model: SentimentModel) -> None:
    text = "投诉了好几次都没人管，太气人了！" + "这" * 1_000_000
    parts = sentiment_parts(text)
    assert len(parts.chars) <= 160 and len(parts.words) < 400
    assert hashed_features().counts(text)[1].sum() < 1000
    assert model.predict([text])[0][0] == "negative"


def test_features_are_character_ngrams_of_normalised_text() -> None:
    parts = sentiment_parts("<b>真好！</b>[哈哈]")
    assert parts.chars == "真好! [哈哈]" and parts.char_orders == (1, 2, 3)


def test_features_include_words_and_word_bigrams() -> None:
    parts = sentiment_parts("医生态度恶劣，太失望了")
    assert {"医生", "失望"} <= set(parts.words) and parts.word_bigrams


@pytest.mark.parametrize(("name", "encoder"), [("sentiment", None), ("sentiment-e5", "e5")])
def test_shipped_card_carries_the_current_development_record(name: str, encoder: str | None) -> None:
    """The record of what was tried lives in the code and in each card; an edit to one must reach the other."""
    import json

    from analysis.model_dir import CARD_FILE, META_FILE, SHIPPED_MODELS
    from analysis.training import model_card, sentiment_notes

    folder = SHIPPED_MODELS / name
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    hint = f"{folder}: its card predates analysis.training's notes; retrain: python -m analysis.training --shipped {name}"
    assert meta["notes"] == sentiment_notes(encoder), hint
    assert (folder / CARD_FILE).read_text(encoding="utf-8") == model_card(meta), hint


def test_weibo_senti_100k_is_read_once_and_handed_out_as_fresh_lists() -> None:
    """The shipped training asks for the corpus twice (polarity scorer, distillation); callers extend what
    they get, which must not change what the next caller reads."""
    from analysis.datasets import _weibo_senti_100k, weibo_senti_100k

    texts, labels = weibo_senti_100k()
    assert len(texts) == len(labels) > 20_000
    assert set(labels) == {"negative", "positive"}
    assert not any("[哈哈]" in t for t in texts)  # the emoticon codes (the distant labels) are stripped
    texts.append("extra")
    labels.clear()
    again, again_labels = weibo_senti_100k()
    assert len(again) == len(again_labels) == len(texts) - 1
    assert _weibo_senti_100k.cache_info().hits >= 1
