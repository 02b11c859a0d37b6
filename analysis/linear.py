"""Classifying one post at a time without scikit-learn's per-call overhead.

The shipped topic and sentiment models are linear: hashed counts → TF-IDF → (a polarity margin) → LinearSVC →
sigmoid calibration (→ prior shift). Batched, scikit-learn runs that chain fast; for a single post, input
validation, sparse-matrix construction and calibration bookkeeping cost about 1.5 ms per model, ten times
the arithmetic. Posts often arrive one or a few at a time (``enrich``, a crawl's last partial batch, the
alerting loop's small batches: calls of up to 64 rows take this path), so this module reads the fitted weights
out of such a pipeline once and evaluates the same chain for one text with a few numpy operations on the post's
few hundred non-zero features: the features come from the pipeline's own ``analysis.hashing.HashedNgrams``
step, and every weight a bucket needs sits in one row of a table laid out at load.

When the C extension ``analysis._native`` is built (analysis.hashing.native), one call to it hashes the text
and computes the weighted features' dot products with the table; the few remaining steps (intercepts,
calibration, prior shift) stay here. It computes exactly what the pipeline computes (tests compare both on
real texts to 1e-9, with and without the extension). Any pipeline of
another shape — an isotonic calibration, a sentence encoder, a future step — is not compiled:
``compile_linear`` returns None and the caller keeps using the pipeline itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from analysis.hashing import HashedNgrams, native, orders_mask


class NotCompilable(Exception):
    """The pipeline has a step this module does not evaluate; use the pipeline itself."""


@dataclass
class _Tfidf:
    idf: np.ndarray | None
    sublinear: bool
    l2: bool

    @classmethod
    def of(cls, step: Any) -> _Tfidf:
        if not isinstance(step, TfidfTransformer) or step.norm not in ("l2", None):
            raise NotCompilable(f"text weighting step {type(step).__name__}")
        idf = np.asarray(step.idf_, dtype=np.float64) if step.use_idf else None
        return cls(idf, bool(step.sublinear_tf), step.norm == "l2")

    def __call__(self, counts: np.ndarray, idf: np.ndarray | None) -> np.ndarray:
        """The weighted, normalised values of one text's buckets; ``idf`` is this step's idf of those buckets."""
        values = np.log(counts) + 1.0 if self.sublinear else counts.copy()
        if idf is not None:
            values *= idf
        if self.l2:
            norm = np.sqrt(values @ values)
            if norm > 0:
                values /= norm
        return values


@dataclass
class _Linear:
    """A fitted LinearSVC's decision function over given columns (one score per class, or one if binary)."""

    coef: np.ndarray  # (n_scores, n_features)
    intercept: np.ndarray

    @classmethod
    def of(cls, svm: Any) -> _Linear:
        if not isinstance(svm, LinearSVC):
            raise NotCompilable(f"classifier {type(svm).__name__}")
        # No copy when the weights are already float64 (see model_dir._ready_for_prediction).
        return cls(np.asarray(svm.coef_, dtype=np.float64), np.asarray(svm.intercept_, dtype=np.float64))

    def __call__(self, values: np.ndarray, coef: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """Scores of one text: ``coef`` holds this model's weights of the text's buckets, one row each."""
        scores = values @ coef + self.intercept
        if extra is not None:  # dense columns appended after the sparse block (a FeatureUnion's later parts)
            width = self.coef.shape[1] - len(extra)
            scores += self.coef[:, width:] @ extra
        return scores


@dataclass
class _SigmoidCalibration:
    """CalibratedClassifierCV(method="sigmoid", ensemble=False) around a LinearSVC."""

    linear: _Linear
    a: np.ndarray
    b: np.ndarray
    columns: np.ndarray  # which probability column each calibrator fills
    n_classes: int

    @classmethod
    def of(cls, calibrated: Any) -> _SigmoidCalibration:
        if not isinstance(calibrated, CalibratedClassifierCV) or len(calibrated.calibrated_classifiers_) != 1:
            raise NotCompilable("calibration other than one sigmoid-calibrated classifier")
        inner = calibrated.calibrated_classifiers_[0]
        if inner.method != "sigmoid":
            raise NotCompilable(f"{inner.method} calibration")
        classes = list(calibrated.classes_)
        columns = np.array([classes.index(c) for c in inner.estimator.classes_])
        if len(classes) == 2:
            columns = np.array([1])  # binary: one score, for the second class
        return cls(
            _Linear.of(inner.estimator),
            np.array([c.a_ for c in inner.calibrators], dtype=np.float64),
            np.array([c.b_ for c in inner.calibrators], dtype=np.float64),
            columns,
            len(classes),
        )

    def __call__(self, values: np.ndarray, coef: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        return self.probabilities(self.linear(values, coef, extra))

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities of the classifier's decision scores."""
        proba = np.zeros(self.n_classes)
        proba[self.columns] = expit(-(self.a * scores + self.b))
        if self.n_classes == 2:
            proba[0] = 1.0 - proba[1]
        else:
            total = proba.sum()
            proba = proba / total if total != 0 else np.full(self.n_classes, 1.0 / self.n_classes)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba


class LinearFastPath:
    """One text's class probabilities from a compiled linear pipeline; columns in the pipeline's ``classes_`` order."""

    def __init__(self, pipeline: Pipeline) -> None:
        steps = [step for _, step in pipeline.steps]
        if len(steps) != 3 or not isinstance(steps[0], HashedNgrams):
            raise NotCompilable("not hashed features → weighting → classifier")
        self.features: HashedNgrams = steps[0]
        self.margin: tuple[_Tfidf, _Linear, float] | None = None
        weighting = steps[1]
        if isinstance(weighting, FeatureUnion):
            weighting = self._union(weighting)
        self.tfidf = _Tfidf.of(weighting)
        classifier = steps[2]
        self.shift: np.ndarray | None = None
        from analysis.sentiment import PriorShift

        if isinstance(classifier, PriorShift):
            shift = classifier.shift or {}
            self.shift = np.exp([shift.get(str(c), 0.0) for c in classifier.classes_]) if shift else None
            classifier = classifier.estimator_
        self.calibration = _SigmoidCalibration.of(classifier)
        self._lay_out_table()

    def _union(self, union: FeatureUnion) -> Any:
        """FeatureUnion([("tfidf", TfidfTransformer), ("polarity", PolarityMargin | "drop")]): its TF-IDF step."""
        from analysis.sentiment import PolarityMargin

        parts = dict(union.transformer_list)
        if set(parts) != {"tfidf", "polarity"} or [n for n, _ in union.transformer_list] != ["tfidf", "polarity"]:
            raise NotCompilable("feature union of another shape")
        if union.transformer_weights:
            raise NotCompilable("weighted feature union")
        polarity = parts["polarity"]
        if isinstance(polarity, PolarityMargin) and polarity.scorer is not None:
            scorer = polarity.scorer
            if not isinstance(scorer, Pipeline) or len(scorer.steps) != 2:
                raise NotCompilable("polarity scorer of another shape")
            linear = _Linear.of(scorer.steps[1][1])
            if linear.coef.shape[0] != 1:
                raise NotCompilable("polarity scorer with more than two classes")
            self.margin = (_Tfidf.of(scorer.steps[0][1]), linear, float(polarity.weight))
        elif polarity != "drop":
            raise NotCompilable(f"polarity part {type(polarity).__name__}")
        return parts["tfidf"]

    def _lay_out_table(self) -> None:
        """Every per-bucket weight this path reads, side by side: one row per hash bucket.

        A post touches a few hundred random buckets of tables far larger than the CPU caches. Read from
        separate arrays (idf, each class's weights, the polarity scorer's idf and weights), every bucket
        costs several cache misses; from one row-major table it costs one or two.
        """
        n = self.features.n_features
        blocks: list[np.ndarray] = []

        def place(block: np.ndarray) -> int:
            start = sum(b.shape[1] for b in blocks)
            blocks.append(block)
            return start

        self._idf = place(self.tfidf.idf[:, None]) if self.tfidf.idf is not None else None
        coef = self.calibration.linear.coef
        start = place(coef[:, :n].T)
        self._coef = slice(start, start + coef.shape[0])
        if self.margin is not None:
            weighting, scorer, _ = self.margin
            self._margin_idf = place(weighting.idf[:, None]) if weighting.idf is not None else None
            self._margin_coef = place(scorer.coef[:, :n].T)
        self.table = np.ascontiguousarray(np.hstack(blocks), dtype=np.float64)
        self._native_scorer = self._native_layout()

    def _native_layout(self) -> Any:
        """The extension's scorer over this table (None without the extension): same columns, same steps."""
        ext = native()
        if ext is None or self.features.parts is None:
            return None
        coef = self.calibration.linear.coef
        margin = self.margin
        self._extra_coef = coef[:, self.features.n_features:]  # the dense columns after the hashed ones
        return ext.Scorer(
            self.table, self.features.bits,
            -1 if self._idf is None else self._idf, self.tfidf.sublinear, self.tfidf.l2,
            self._coef.start, coef.shape[0],
            -1 if margin is None or self._margin_idf is None else self._margin_idf,
            margin is not None and margin[0].sublinear, margin is not None and margin[0].l2,
            -1 if margin is None else self._margin_coef)

    def _scores_native(self, text: str) -> np.ndarray:
        parts = self.features.parts(text)  # type: ignore[misc]
        raw = self._native_scorer.scores(parts.chars, orders_mask(tuple(parts.char_orders)), parts.words,
                                         parts.word_bigrams, parts.extra)
        n = self._coef.stop - self._coef.start
        scores = np.array(raw[:n]) + self.calibration.linear.intercept
        if self.margin is not None:
            _, scorer, weight = self.margin
            scores += self._extra_coef @ (weight * (raw[n] + scorer.intercept))
        return scores

    @property
    def native(self) -> bool:
        """Whether the C extension classifies here (then it beats the batched pipeline at any batch size)."""
        return self._native_scorer is not None

    def predict_proba_one(self, text: str) -> np.ndarray:
        if self._native_scorer is not None:
            proba = self.calibration.probabilities(self._scores_native(text))
        else:
            proba = self._proba_numpy(text)
        if self.shift is not None:
            proba = proba * self.shift
            proba /= proba.sum()
        return proba

    def _proba_numpy(self, text: str) -> np.ndarray:
        indices, counts = self.features.counts(text)
        rows = self.table[indices]
        values = self.tfidf(counts, rows[:, self._idf] if self._idf is not None else None)
        extra = None
        if self.margin is not None:
            weighting, scorer, weight = self.margin
            margin_idf = rows[:, self._margin_idf] if self._margin_idf is not None else None
            extra = weight * scorer(weighting(counts, margin_idf), rows[:, self._margin_coef : self._margin_coef + 1])
        return self.calibration(values, rows[:, self._coef], extra)


def compile_linear(pipeline: Any) -> LinearFastPath | None:
    """The fast single-text path of a fitted pipeline, or None when its shape is not one this module knows."""
    if not isinstance(pipeline, Pipeline):
        return None
    try:
        return LinearFastPath(pipeline)
    except NotCompilable:
        return None
