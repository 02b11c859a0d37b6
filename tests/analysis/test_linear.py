"""The single-post fast path computes what the scikit-learn pipeline computes, with the C extension and with
numpy alone, and is used for small batches (for every batch with the extension)."""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from analysis.hashing import HashedNgrams
from analysis.linear import compile_linear
from analysis.sentiment import SentimentModel, build_pipeline, sentiment_parts
from analysis.text_model import FAST_PATH_MAX_ROWS
from analysis.topic import TopicModel
from yuqing.paths import SharedDataMissing, shared_data_file


def _real_texts(limit: int) -> list[str]:
    """Government-board messages and Weibo posts from ../shared/data, half each."""
    try:
        messages = shared_data_file("zhengwu/messages_with_votes.csv")
        weibo = shared_data_file("weibo/smp2020_ewect_virus_eval.csv")
    except SharedDataMissing as exc:
        pytest.skip(str(exc))
    with messages.open(encoding="utf-8") as fh:
        texts = [f"{r['subject']}\n{r['detail']}" for r in list(csv.DictReader(fh))[: limit // 2]]
    with weibo.open(encoding="utf-8") as fh:
        texts += [r["content"] for r in list(csv.DictReader(fh))[: limit - len(texts)]]
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _real_texts(600)


@pytest.mark.parametrize("model_class", [TopicModel, SentimentModel])
def test_fast_path_equals_the_pipeline_on_real_texts(model_class: Any, texts: list[str],
                                                    hashing_implementation: str) -> None:
    model = model_class.load()
    assert model.fast_path is not None, "the shipped linear model should compile"
    assert model.fast_path.native == (hashing_implementation == "native")
    usable = [t for t in texts if any("\u4e00" <= ch <= "\u9fff" for ch in t)]
    expected = model.pipeline.predict_proba(usable)
    got = np.vstack([model.fast_path.predict_proba_one(t) for t in usable])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_one_post_goes_through_the_fast_path_and_a_large_batch_through_the_pipeline(
        texts: list[str], hashing_implementation: str) -> None:
    model = SentimentModel.load()
    expected = model.predict(texts[:3])

    class Refusing:
        classes_ = model.pipeline.classes_

        def predict_proba(self, rows: Any) -> np.ndarray:
            raise AssertionError(f"pipeline called for {len(rows)} rows")

    real = model.pipeline
    model.pipeline = Refusing()
    try:
        assert [model.predict([t])[0] for t in texts[:3]] == expected  # each alone: fast path only
        if hashing_implementation == "native":  # the extension beats the batched pipeline at any size
            assert len(model.predict(texts[: FAST_PATH_MAX_ROWS + 1])) == FAST_PATH_MAX_ROWS + 1
        else:
            with pytest.raises(AssertionError, match="pipeline called"):
                model.predict(texts[: FAST_PATH_MAX_ROWS + 1])
    finally:
        model.pipeline = real


def _virus_posts(limit: int) -> tuple[list[str], list[str]]:
    try:
        path = shared_data_file("weibo/smp2020_ewect_virus_train.csv")
    except SharedDataMissing as exc:
        pytest.skip(str(exc))
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in ("happy", "angry", "neutral")][:limit]
    return [r["content"] for r in rows], [r["label"] for r in rows]


def test_binary_model_without_polarity_scorer_compiles_exactly(hashing_implementation: str) -> None:
    """A model trained with ``yuqing train`` on two classes and no weibo_senti scorer has another shape."""
    x, y = _virus_posts(900)
    keep = [i for i, label in enumerate(y) if label != "neutral"]
    x, y = [x[i] for i in keep], [y[i] for i in keep]
    pipeline = build_pipeline(None, calibration_folds=3).fit(x, y)
    pipeline.set_params(clf__shift={"angry": 0.4})
    fast = compile_linear(pipeline)
    assert fast is not None
    probe = x[:50]
    np.testing.assert_allclose(
        np.vstack([fast.predict_proba_one(t) for t in probe]), pipeline.predict_proba(probe), rtol=0, atol=1e-9
    )


def test_other_shapes_are_not_compiled() -> None:
    x, y = _virus_posts(600)
    isotonic = Pipeline([
        ("features", HashedNgrams(sentiment_parts, bits=12)),
        ("tfidf", TfidfTransformer()),
        ("clf", CalibratedClassifierCV(LinearSVC(), method="isotonic", cv=3)),
    ]).fit(x, y)
    assert compile_linear(isotonic) is None
    sklearn_hashing = Pipeline([
        ("features", HashingVectorizer(analyzer="char", n_features=2**12, alternate_sign=False, norm=None)),
        ("tfidf", TfidfTransformer()),
        ("clf", CalibratedClassifierCV(LinearSVC(), method="sigmoid", cv=3, ensemble=False)),
    ]).fit(x, y)
    assert compile_linear(sklearn_hashing) is None  # another feature step: the pipeline classifies
    assert compile_linear(build_pipeline(None, encoder="e5")) is None  # sentence encoder: not linear
    assert compile_linear("not a pipeline") is None


def test_collisions_in_a_small_table_add_up_in_both_paths(hashing_implementation: str) -> None:
    """A 2^6-bucket model: many features share buckets, and the fast path must add them as the pipeline does."""
    x, y = _virus_posts(600)
    pipeline = Pipeline([
        ("features", HashedNgrams(sentiment_parts, bits=6)),
        ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ("clf", CalibratedClassifierCV(LinearSVC(), method="sigmoid", cv=3, ensemble=False)),
    ]).fit(x, y)
    fast = compile_linear(pipeline)
    assert fast is not None
    assert max(pipeline.steps[0][1].counts(t)[1].max() for t in x[:50]) > 1  # collisions happened
    np.testing.assert_allclose(
        np.vstack([fast.predict_proba_one(t) for t in x[:50]]), pipeline.predict_proba(x[:50]), rtol=0, atol=1e-9
    )


@pytest.mark.parametrize("model_class", [TopicModel, SentimentModel])
def test_mis_decoded_text_with_lone_surrogates_classifies_alike_in_both_paths(model_class: Any,
                                                                             hashing_implementation: str) -> None:
    """Bytes decoded with surrogateescape leave lone surrogates; hashing must take them as code points."""
    model = model_class.load()
    texts = ["\udcc3\udca9医院排队太久了，态度恶劣", "小区\ud800门口搅拌站半夜施工"]
    np.testing.assert_allclose(
        np.vstack([model.fast_path.predict_proba_one(t) for t in texts]),
        model.pipeline.predict_proba(texts), rtol=0, atol=1e-9,
    )
