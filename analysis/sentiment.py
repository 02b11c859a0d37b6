"""Sentiment polarity of a post: negative / neutral / positive, with a calibrated probability.

An ordinary scikit-learn Pipeline: hashed character 1-3-grams and word uni/bigrams (the project tokenizer,
whose output enrichment has already cached) of the post's opening, TF-IDF, plus one extra feature, the
margin of a positive-vs-negative model trained on a large, distantly labelled Weibo corpus
(weibo_senti_100k; it has no neutral class, so it informs the direction of feeling but is not mixed into
the three-class training set). A linear SVM with sigmoid calibration makes the decision and a
per-class prior shift, tuned on a validation split, keeps the recall of negative posts high: in
public-opinion work a missed complaint costs more than a false alarm.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from analysis.calibration import CalibrationFolds
from analysis.hashing import FeatureParts, HashedNgrams
from analysis.model_dir import SHIPPED_MODELS, nested_estimators
from analysis.text_model import PersistedTextModel
from analysis.tokenizer import normalize_text, tokenize
from yuqing.settings import SHIPPED_SENTIMENT_MODELS

# Polarity shows early in a post; reading only the opening bounds the cost of news articles and 1 MB inputs.
MAX_CHARS = 160
N_FEATURE_BITS = 19
POLARITIES = ("negative", "neutral", "positive")
SHIPPED_SENTIMENT = SHIPPED_SENTIMENT_MODELS

_EMOTICON_CODE = re.compile(r"\[[^\[\]\s]{1,8}\]")


def strip_emoticon_codes(text: str) -> str:
    """Remove Weibo's ``[哈哈]``-style emoticon codes (the distant labels of weibo_senti_100k)."""
    return _EMOTICON_CODE.sub("", text)


def sentiment_parts(text: str) -> FeatureParts:
    """Character 1-3-grams of the post's normalised opening, plus its word unigrams and bigrams.

    Emoticon codes and punctuation stay in the character grams: in human-labelled posts they are some of
    the strongest cues. Words add negation and multi-character sentiment words that character trigrams
    split; they are hashed apart from the characters (analysis.hashing), so a one-character word and the
    same character never share a feature.
    """
    opening = text[: MAX_CHARS * 4]
    chars = " ".join(normalize_text(opening).split())[:MAX_CHARS]  # runs of whitespace as one space, none at the ends
    return FeatureParts(chars=chars, char_orders=(1, 2, 3), words=tokenize(opening), word_bigrams=True)


def hashed_features() -> HashedNgrams:
    """The raw count features every part of the sentiment model reads (data-independent)."""
    return HashedNgrams(sentiment_parts, bits=N_FEATURE_BITS)


def build_polarity_scorer(c: float = 0.3) -> Pipeline:
    """A positive-vs-negative model over hashed counts, trained on distantly labelled posts."""
    return Pipeline([("tfidf", TfidfTransformer(sublinear_tf=True)), ("svm", LinearSVC(C=c, random_state=0))])


class PolarityMargin(TransformerMixin, BaseEstimator):
    """Adds one column: a pre-trained polarity scorer's margin (positive > 0). Fitting leaves it unchanged."""

    def __init__(self, scorer: Any = None, weight: float = 1.0) -> None:
        self.scorer = scorer
        self.weight = weight

    def fit(self, X: Any, y: Any = None) -> PolarityMargin:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # stateless here: the scorer arrives fitted

    def transform(self, X: Any) -> csr_matrix:
        margin = self.scorer.decision_function(X) if self.scorer is not None else np.zeros(X.shape[0])
        return csr_matrix(self.weight * np.asarray(margin, dtype=float).reshape(-1, 1))


class PriorShift(ClassifierMixin, BaseEstimator):
    """A probabilistic classifier whose class probabilities are re-weighted by exp(shift) and renormalised.

    Why: trading precision for negative recall is a policy choice, tuned on validation data after fitting.
    """

    def __init__(self, estimator: Any = None, shift: dict[str, float] | None = None) -> None:
        self.estimator = estimator
        self.shift = shift

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> PriorShift:
        self.estimator_ = clone(self.estimator).fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        probs = self.estimator_.predict_proba(X)
        if self.shift:
            weights = np.exp([self.shift.get(str(c), 0.0) for c in self.classes_])
            probs = probs * weights
            probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def build_pipeline(
    polarity_scorer: Any = None, c: float = 0.5, calibration_folds: int | CalibrationFolds = 5, encoder: str | None = None
) -> Pipeline:
    """The shipped kind of sentiment model, untrained; ``polarity_scorer`` is an already fitted scorer.

    With ``encoder`` ("e5"), frozen sentence embeddings join the text features (the slower, more accurate
    ``sentiment-e5`` model; see ``analysis.encoders``).
    """
    polarity: Any = PolarityMargin(polarity_scorer) if polarity_scorer is not None else "drop"
    svm = LinearSVC(C=c, random_state=0)  # (its coordinate descent shuffles: same data, same model)
    classifier = PriorShift(CalibratedClassifierCV(svm, method="sigmoid", cv=calibration_folds, ensemble=False))
    text_steps: list[tuple[str, Any]] = [
        ("features", hashed_features()),
        ("combine", FeatureUnion([("tfidf", TfidfTransformer(sublinear_tf=True)), ("polarity", polarity)])),
    ]
    if encoder is None:
        return Pipeline([*text_steps, ("clf", classifier)])
    from analysis.encoders import SentenceEncoder

    union = FeatureUnion([("text", Pipeline(text_steps)), ("encoder", SentenceEncoder(encoder))])
    return Pipeline([("union", union), ("clf", classifier)])


def _part_of(pipeline: Any, kind: type) -> Any:
    """The first step of type ``kind`` anywhere inside a sentiment pipeline (either shape), or None."""
    return next((part for part in nested_estimators(pipeline) if isinstance(part, kind)), None)


def polarity_scorer_of(pipeline: Any) -> Any:
    """The fitted weibo_senti_100k scorer inside a sentiment pipeline, or None."""
    margin = _part_of(pipeline, PolarityMargin)
    return margin.scorer if margin is not None else None


def encoder_of(pipeline: Any) -> str | None:
    """The sentence encoder a sentiment pipeline uses, if any."""
    from analysis.encoders import SentenceEncoder

    encoder = _part_of(pipeline, SentenceEncoder)
    return encoder.name if encoder is not None else None


class SentimentModel(PersistedTextModel):
    """A trained polarity classifier: ``predict`` gives (label, probability) per text."""

    kind = "sentiment"
    default_dir = SHIPPED_MODELS / "sentiment"

    def fallback_label(self) -> str:
        """neutral; for a model trained on other labels, the one its training chose (its commonest label)."""
        if "neutral" in self.labels:
            return "neutral"
        return str(self.meta.get("fallback") or self.labels[0])

    @classmethod
    def load(cls, path: Path | str | None = None) -> SentimentModel:
        """The shipped model, a shipped one by name (``sentiment``, ``sentiment-e5``), or one trained with
        ``yuqing train sentiment`` at ``path``."""
        if isinstance(path, str) and path in SHIPPED_SENTIMENT:
            path = SHIPPED_MODELS / path
        model = super()._load(path)
        assert isinstance(model, SentimentModel)
        if encoder_of(model.pipeline):
            from analysis.encoders import check_available

            check_available()
        return model
