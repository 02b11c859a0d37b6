"""Sentiment recipe variants, each scored out-of-fold on SMP2020-EWECT usual_eval beside the shipped recipe.

Why: the default sentiment model misses the 0.80 macro-F1 goal, and the model card lists what was tried.
This makes that list reproducible. The reference is the shipped recipe before its distillation step (the
e5 teacher's labels of weibo_senti_100k posts, ``analysis.training.teacher_labels``), which needs sentence
embeddings of 36,000 posts; ``python -m analysis.training --shipped sentiment`` scores the distilled recipe
on the same folds. Every variant is scored exactly like the shipped recipe in
``analysis.training.cross_validated_sentiment``: 5 stratified folds (seed 42); each fold's training rows of
usual_eval are split 80/20 (the 20 % tunes the prior shift for negative recall ≥ 0.90), the 80 % join the
SMP2020 virus posts at weight 6; the held-out fold is predicted. One thing changes per variant. The hashed
features are computed once and shared, so a variant costs one fit per fold.

Run: ``python -m benchmarks.sentiment_variants [--only NAME ...]`` (about 8 minutes on 2 cores); the report
goes to var/benchmarks/sentiment_variants.md. Differences within about ±0.01 are noise on 1,830 posts.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.svm import LinearSVC

from analysis.datasets import SMP_POLARITY, smp_emotions, weibo_senti_100k
from analysis.hashing import FeatureParts, HashedNgrams
from analysis.sentiment import N_FEATURE_BITS, build_polarity_scorer, hashed_features, sentiment_parts
from analysis.training import (
    NEGATIVE_RECALL_TARGET,
    SEED,
    SENTIMENT_FOLDS,
    USUAL_WEIGHT,
    sentiment_scores,
    tune_prior_shift,
)
from benchmarks.report import run_main, table, write_report

POLARITIES = np.array(["negative", "neutral", "positive"])


def _emotions(name: str) -> tuple[list[str], np.ndarray]:
    texts, emotions = smp_emotions(name)
    return texts, np.array(emotions)


@dataclass
class Data:
    """Hashed counts of every text, computed once; labels as polarity and as emotion."""

    virus: csr_matrix
    usual: csr_matrix
    senti: csr_matrix
    virus_emotion: np.ndarray
    usual_emotion: np.ndarray
    senti_label: np.ndarray
    texts: dict[str, list[str]]

    @property
    def virus_y(self) -> np.ndarray:
        return np.array([SMP_POLARITY[e] for e in self.virus_emotion])

    @property
    def usual_y(self) -> np.ndarray:
        return np.array([SMP_POLARITY[e] for e in self.usual_emotion])


def load() -> Data:
    v1, e1 = _emotions("virus_train")
    v2, e2 = _emotions("virus_eval")
    usual, usual_e = _emotions("usual_eval")
    senti, senti_y = weibo_senti_100k()
    features = hashed_features()
    return Data(features.transform(v1 + v2).tocsr(), features.transform(usual).tocsr(),
                features.transform(senti).tocsr(), np.concatenate([e1, e2]), usual_e, np.array(senti_y),
                {"virus": v1 + v2, "usual": usual, "senti": senti})


@dataclass(frozen=True)
class Variant:
    """One change to the shipped recipe (the defaults are the shipped recipe)."""

    name: str
    change: str
    usual_weight: float = USUAL_WEIGHT
    c: float = 0.5
    polarity: bool = True
    class_weight: str | None = None
    model: str = "svm"  # "svm" (calibrated LinearSVC) or "logreg"
    calibration: str = "sigmoid"
    emotions: bool = False  # fit on the five emotions, sum their probabilities into polarity
    shift: bool = True
    senti_weight: float = 0.0  # weibo_senti_100k posts (negative/positive only) mixed into the three-class set
    binary: bool = False
    characters_only: bool = False


VARIANTS = [
    Variant("shipped", "the shipped recipe without distillation (reference)"),
    Variant("usual-weight-1", "usual_eval rows weigh as much as a COVID post", usual_weight=1.0),
    Variant("usual-weight-20", "usual_eval rows weigh 20", usual_weight=20.0),
    Variant("c-0.3", "LinearSVC C=0.3", c=0.3),
    Variant("c-1.0", "LinearSVC C=1.0", c=1.0),
    Variant("balanced", "balanced class weights", class_weight="balanced"),
    Variant("logreg", "LogisticRegression (C=10) instead of calibrated LinearSVC", model="logreg"),
    Variant("isotonic", "isotonic instead of sigmoid calibration", calibration="isotonic"),
    Variant("no-polarity", "without the weibo_senti_100k polarity margin", polarity=False),
    Variant("characters-only", "character 1-3-grams only, no word uni/bigrams", characters_only=True),
    Variant("binary", "binary term presence instead of sublinear counts", binary=True),
    Variant("emotions", "fit on the five emotions, then sum into polarity", emotions=True),
    Variant("senti-mixed", "weibo_senti_100k posts mixed in at weight 0.3", senti_weight=0.3),
    Variant("no-shift", "no prior shift (plain argmax)", shift=False),
]


def _characters_only(data: Data) -> Data:
    """The same data hashed without the word features."""
    def characters(text: str) -> FeatureParts:
        parts = sentiment_parts(text)
        return FeatureParts(chars=parts.chars, char_orders=parts.char_orders)

    hv = HashedNgrams(characters, bits=N_FEATURE_BITS)
    return Data(hv.transform(data.texts["virus"]).tocsr(), hv.transform(data.texts["usual"]).tocsr(),
                hv.transform(data.texts["senti"]).tocsr(), data.virus_emotion, data.usual_emotion,
                data.senti_label, data.texts)


def _to_polarity(probs: np.ndarray, classes: np.ndarray) -> np.ndarray:
    out = np.zeros((probs.shape[0], len(POLARITIES)))
    for j, label in enumerate(classes):
        out[:, list(POLARITIES).index(SMP_POLARITY.get(str(label), str(label)))] += probs[:, j]
    return out / out.sum(axis=1, keepdims=True)


def _fit(v: Variant, data: Data, scorer: Any, fit_rows: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Fit the variant on the virus posts + the given usual_eval rows; returns rows → polarity probabilities."""
    parts = [data.virus, data.usual[fit_rows]]
    labels = [data.virus_emotion if v.emotions else data.virus_y,
              data.usual_emotion[fit_rows] if v.emotions else data.usual_y[fit_rows]]
    weights = [np.ones(data.virus.shape[0]), np.full(len(fit_rows), v.usual_weight)]
    if v.senti_weight:
        parts.append(data.senti)
        labels.append(data.senti_label)
        weights.append(np.full(data.senti.shape[0], v.senti_weight))
    counts = vstack(parts).tocsr()
    y, w = np.concatenate(labels), np.concatenate(weights)

    def presence(m: csr_matrix) -> csr_matrix:
        if not v.binary:
            return m
        m = m.copy()
        m.data[:] = 1.0
        return m

    tfidf = TfidfTransformer(sublinear_tf=not v.binary).fit(presence(counts))

    def features(m: csr_matrix) -> csr_matrix:
        cols = [tfidf.transform(presence(m))]
        if v.polarity:
            cols.append(csr_matrix(scorer.decision_function(m).reshape(-1, 1)))
        return hstack(cols).tocsr()

    if v.model == "logreg":
        clf: Any = LogisticRegression(C=10.0, max_iter=3000, class_weight=v.class_weight)
    else:
        clf = CalibratedClassifierCV(LinearSVC(C=v.c, class_weight=v.class_weight), method=v.calibration, cv=5,
                                     ensemble=False)
    clf.fit(features(counts), y, sample_weight=w)

    def predict(rows: np.ndarray) -> np.ndarray:
        probs = clf.predict_proba(features(data.usual[rows]))
        return _to_polarity(probs, clf.classes_)

    return predict


def score(v: Variant, data: Data, scorer: Any) -> dict[str, Any]:
    """Out-of-fold polarity scores of one variant on usual_eval."""
    y = data.usual_y
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(SENTIMENT_FOLDS, shuffle=True, random_state=SEED)
    for train, test in splitter.split(np.zeros(len(y)), y):
        fit_rows, tune_rows = train_test_split(train, test_size=0.2, stratify=y[train], random_state=SEED)
        predict = _fit(v, data, scorer, fit_rows)
        shift = tune_prior_shift(predict(tune_rows), list(y[tune_rows]), list(POLARITIES)) if v.shift else {}
        weights = np.array([shift.get(c, 0.0) for c in POLARITIES])
        predicted[test] = POLARITIES[(np.log(predict(test) + 1e-12) + weights).argmax(axis=1)]
    return sentiment_scores(list(y), [str(p) for p in predicted])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", nargs="*", choices=[v.name for v in VARIANTS], help="score these variants only")
    args = parser.parse_args(argv)
    chosen = [v for v in VARIANTS if not args.only or v.name in args.only or v.name == "shipped"]
    started = time.perf_counter()
    data = load()
    chars: Data | None = None
    scorers: dict[bool, Any] = {}
    results: list[tuple[Variant, dict[str, Any]]] = []
    for v in chosen:
        if v.characters_only and chars is None:
            chars = _characters_only(data)
        d = chars if v.characters_only and chars is not None else data
        if v.characters_only not in scorers:
            scorers[v.characters_only] = build_polarity_scorer().fit(d.senti, d.senti_label)
        results.append((v, score(v, d, scorers[v.characters_only])))
        print(f"{v.name}: macro-F1 {results[-1][1]['macro_f1']:.4f}", flush=True)
    reference = results[0][1]
    rows = [[v.name, v.change, f"{r['macro_f1']:.4f}", f"{r['negative_recall']:.4f}",
             f"{r['macro_f1'] - reference['macro_f1']:+.4f}"] for v, r in results]
    body = (f"SMP2020-EWECT usual_eval (n={reference['n']}, surprise excluded), {SENTIMENT_FOLDS}-fold out-of-fold, "
            f"the protocol of the shipped recipe; goal macro-F1 ≥ 0.80 with negative recall ≥ "
            f"{NEGATIVE_RECALL_TARGET}. One change per row; Δ is against the shipped recipe without distillation "
            "in this run. "
            f"{time.perf_counter() - started:.0f} s.\n\n"
            + table(["variant", "change", "macro-F1", "negative recall", "Δ macro-F1"], rows))
    write_report("sentiment_variants", "Sentiment recipe variants", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_main(main, "sentiment_variants"))
