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
from collections.abc import Sequence
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
from analysis.letters import grievance_words
from analysis.model_dir import SHIPPED_MODELS, nested_estimators
from analysis.severity import people_harmed
from analysis.text_model import PersistedTextModel, as_text
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


class GrievanceRule:
    """A text that reports people harmed or raises a grievance is negative public opinion, even where the model, which
    learnt the feelings of Weibo writers, reads it as neutral (issue 4: a missed complaint is worse than a false alarm).

    Evidence is read from the opening the model reads (``MAX_CHARS``): people dead, injured, missing, trapped or
    poisoned that the text reports (``analysis.severity.people_harmed``: not a warning, a fear, a denial or a
    hypothesis), or a grievance word of ``analysis.letters`` (投诉, 举报, 扰民, 拖欠, 诈骗 …) in a text whose first
    line does not call itself a suggestion. Where the model's first choice is neutral, the evidence is mixed in as an
    expert's vote of weight ``GRIEVANCE_WEIGHT``: p' = (1 - w)·p + w·[negative], which with w = 0.5 ranks negative
    first. A positive reading stands: a post that praises rescuers or wishes the sick well is not turned round by
    the deaths it names (of 14 posts the rule would have turned in 2,000 COVID posts, 4 were positive ones, all
    rightly positive).

    With the default model it turns 83 of the 1,000 社会 headlines from neutral to negative (deaths, injuries, fraud:
    40 read, all right), 697 of the 4,326 board letters (40 read, all complaints), 10 of 2,000 COVID posts; on
    usual_eval out-of-fold see the sentiment model card, whose figures these are.
    """

    def __init__(self, labels: Sequence[str]) -> None:
        self.negative = labels.index("negative")
        self.neutral = labels.index("neutral")

    @classmethod
    def for_labels(cls, labels: Sequence[str]) -> GrievanceRule | None:
        """The rule for a model with these labels; None for one trained on other labels (0/1/2, positive/negative)."""
        return cls(labels) if "negative" in labels and "neutral" in labels else None

    @staticmethod
    def evidence(text: str) -> str | None:
        """Why the opening of ``text`` is negative public opinion, in words (报道伤亡: 2人死亡; 投诉用语: 扰民), or None."""
        opening = text[:MAX_CHARS]
        cues = people_harmed(opening)
        if cues is not None:
            return f"报道伤亡: {cues.describe_casualties() or '食物中毒'}"
        words = grievance_words(opening.split("\n", 1)[0], opening)
        if words:
            return f"投诉用语: {'、'.join(words)}"
        return None

    def apply(self, text: str, probs: np.ndarray) -> str | None:
        """Mix the vote into ``probs`` (one row, changed in place) where the model reads neutral and the text gives
        evidence; returns the evidence, or None where the row is left as it was."""
        if int(probs.argmax()) != self.neutral:
            return None
        reason = self.evidence(text)
        if reason is not None:
            probs *= 1.0 - GRIEVANCE_WEIGHT
            probs[self.negative] += GRIEVANCE_WEIGHT
        return reason


# The weight of the grievance rule's vote (see GrievanceRule): 0.5 puts negative first whatever the model's confidence
# in neutral, and the probability it gives negative, 0.5 + half the model's, says the model did not see it.
GRIEVANCE_WEIGHT = 0.5


class SentimentModel(PersistedTextModel):
    """A trained polarity classifier: ``predict`` gives (label, probability) per text, with the grievance rule applied
    (``GrievanceRule``); ``explain`` gives the rule's reason too."""

    kind = "sentiment"
    default_dir = SHIPPED_MODELS / "sentiment"

    def __init__(self, pipeline: Any, meta: dict[str, Any], path: Path | None = None) -> None:
        super().__init__(pipeline, meta, path)
        # A rule, not something learnt: None switches it off (the development record compares both).
        self.grievances: GrievanceRule | None = GrievanceRule.for_labels(self.labels)

    def explained_proba(self, texts: Sequence[Any]) -> tuple[np.ndarray, list[str | None]]:
        """The model's probabilities with the grievance rule applied, and per text the rule's reason (None where it
        did not change the row)."""
        probs = super().predict_proba(texts)
        reasons: list[str | None] = [None] * len(probs)
        rule = self.grievances
        if rule is not None:
            for i, text in enumerate(texts):
                reasons[i] = rule.apply(as_text(text), probs[i])
        return probs, reasons

    def predict_proba(self, texts: Sequence[Any]) -> np.ndarray:
        """Class probabilities (columns in ``self.labels`` order) with the grievance rule applied."""
        return self.explained_proba(texts)[0]

    def explain(self, texts: Sequence[Any]) -> list[tuple[str, float, str | None]]:
        """``predict``'s (label, probability) per text, with the grievance rule's reason where it decided the label."""
        cleaned = [as_text(t) for t in texts]
        probs, reasons = self.explained_proba(cleaned)
        return [(label, score, reason) for (label, score), reason in zip(self.labels_of(cleaned, probs), reasons,
                                                                         strict=True)]

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
