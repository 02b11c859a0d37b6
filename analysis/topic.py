"""Livelihood topic classification (民生议题): which of the taxonomy's topics a post is about.

The taxonomy (config/taxonomy.yaml) names 11 livelihood topics and a fallback (非民生). The model is an
ordinary scikit-learn Pipeline: hashed word unigrams plus character 1-2-grams of the tokenizer's
output, TF-IDF, and a linear SVM with sigmoid-calibrated probabilities. Features come from
``analysis.tokenizer.tokenize``, whose cache means a post tokenized for indexing is not segmented twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from analysis.hashing import FeatureParts, HashedNgrams
from analysis.tokenizer import tokenize
from analysis.training import SHIPPED_MODELS, PersistedTextModel
from yuqing.paths import config_dir

# Only the beginning of very long texts is read: a topic shows in the first few hundred words, and this
# bounds the cost of a 1 MB input.
MAX_TOKENS = 1500
N_FEATURE_BITS = 18


class TopicFeatures:
    """What the topic model reads from a text: word unigrams, character 1-2-grams and seed-keyword hits.

    Character n-grams are built from the joined content tokens (stop words removed), so text that arrives
    already tokenized without stop words (the zhengwu training set) and raw text look alike to the model.
    Each seed keyword found adds a ``kw=TOPIC`` feature: all keywords of a topic share one learnt weight,
    which carries topics that have little labelled data. The keyword lists are a snapshot taken when the
    model is built, so a later edit of the taxonomy does not silently change a trained model.
    """

    def __init__(self, keywords: dict[str, list[str]] | None = None) -> None:
        self.keywords = keywords or {}
        self._index()

    def _index(self) -> None:
        single: dict[str, list[str]] = {}
        multi: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for topic, words in self.keywords.items():
            for word in words:
                parts = tuple(tokenize(word))
                if "".join(parts) != word.lower() or not parts:
                    continue  # a keyword containing stop words cannot be seen in the token stream
                if len(parts) == 1:
                    single.setdefault(parts[0], []).append(f"kw={topic}")
                else:
                    multi.setdefault(parts[0], []).append((parts[1:], f"kw={topic}"))
        self._single = single
        self._multi = multi

    def __getstate__(self) -> dict[str, Any]:
        return {"keywords": self.keywords}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.keywords = state["keywords"]
        self._index()

    def __call__(self, text: str) -> FeatureParts:
        tokens = tokenize(text)[:MAX_TOKENS]
        single, multi = self._single, self._multi
        hits = [feature for token in tokens if token in single for feature in single[token]]
        if not multi.keys().isdisjoint(tokens):
            for i, token in enumerate(tokens):
                for rest, feature in multi.get(token, ()):
                    if tuple(tokens[i + 1 : i + 1 + len(rest)]) == rest:
                        hits.append(feature)
        return FeatureParts(chars="".join(tokens), char_orders=(1, 2), words=tokens, extra=hits)


def build_pipeline(c: float = 1.0, calibration_folds: int = 5, taxonomy: Taxonomy | None = None) -> Pipeline:
    """The shipped kind of topic model, untrained; keyword features come from ``taxonomy`` (default: config)."""
    taxonomy = taxonomy or load_taxonomy()
    keywords = {t.id: list(t.keywords) for t in taxonomy.topics}
    svm = LinearSVC(C=c, class_weight="balanced")
    return Pipeline(
        [
            ("features", HashedNgrams(TopicFeatures(keywords), bits=N_FEATURE_BITS)),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("clf", CalibratedClassifierCV(svm, method="sigmoid", cv=calibration_folds, ensemble=False)),
        ]
    )


@dataclass(frozen=True)
class Topic:
    """One livelihood topic of the taxonomy and its seed keywords."""

    id: str
    label_en: str
    unit: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """The topic taxonomy: topics in file order plus the fallback label for everything else."""

    version: int
    fallback: str
    topics: tuple[Topic, ...]
    source: str = ""
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def labels(self) -> list[str]:
        return [t.id for t in self.topics] + [self.fallback]

    def keyword_hits(self, text: str) -> dict[str, int]:
        """How many distinct seed keywords of each topic a text contains (longest keyword wins)."""
        pattern = self._pattern
        if pattern is None:
            words = sorted({k for t in self.topics for k in t.keywords}, key=len, reverse=True)
            pattern = re.compile("|".join(map(re.escape, words)))
            object.__setattr__(self, "_pattern", pattern)
        found = set(pattern.findall(text.lower()))
        hits: dict[str, int] = {}
        for topic in self.topics:
            count = sum(1 for k in topic.keywords if k in found)
            if count:
                hits[topic.id] = count
        return hits


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and validate the taxonomy; a malformed file gets a message naming the key and the fix."""
    path = Path(path) if path else config_dir() / "taxonomy.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"taxonomy file {path} not found; restore config/taxonomy.yaml from the repository") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with keys version, fallback, topics")
    for key in ("version", "fallback", "topics"):
        if key not in data:
            raise ValueError(f"{path}: missing key {key!r}; add it (see the shipped config/taxonomy.yaml)")
    topics = []
    for index, entry in enumerate(data["topics"] or []):
        where = f"{path}: topics[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping with id, label_en, unit, keywords")
        missing = [k for k in ("id", "label_en", "unit", "keywords") if k not in entry]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}; every topic needs id, label_en, unit, keywords")
        keywords = entry["keywords"]
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise ValueError(f"{where} ({entry['id']}): keywords must be a non-empty list of words")
        topics.append(
            Topic(str(entry["id"]), str(entry["label_en"]), str(entry["unit"]), tuple(k.lower() for k in keywords))
        )
    ids = [t.id for t in topics]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates or data["fallback"] in ids:
        raise ValueError(f"{path}: topic ids must be unique and differ from the fallback; repeated: {duplicates or data['fallback']}")
    return Taxonomy(int(data["version"]), str(data["fallback"]), tuple(topics), source=str(path))


class TopicModel(PersistedTextModel):
    """A trained topic classifier: ``predict``, ``predict_proba`` and ``top_k`` over raw texts."""

    kind = "topic"
    default_dir = SHIPPED_MODELS / "topic"

    def fallback_label(self) -> str:
        return str(self.meta.get("fallback", "非民生"))

    def top_k(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable topics with their probabilities, best first."""
        probs = self.predict_proba([text])[0]
        order = probs.argsort()[::-1][:k]
        return [(self.labels[i], float(probs[i])) for i in order]

    @classmethod
    def load(cls, path: Path | str | None = None) -> TopicModel:
        """The shipped model, or one trained with ``yuqing train topic`` at ``path``."""
        model = super()._load(path)
        assert isinstance(model, TopicModel)
        return model

