"""Livelihood topic classification (民生议题): which of the taxonomy's topics a post is about.

The taxonomy (config/taxonomy.yaml) names 11 livelihood topics and a fallback (非民生). The model is an
ordinary scikit-learn Pipeline: hashed word unigrams plus character 1-2-grams of the tokenizer's
output, TF-IDF, and a linear SVM with sigmoid-calibrated probabilities. Features come from
``analysis.tokenizer.tokenize``, whose cache means a post tokenized for indexing is not segmented twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from analysis.calibration import CalibrationFolds
from analysis.hashing import FeatureParts, HashedNgrams
from analysis.model_dir import read_model_dir, retrain_hint
from analysis.model_topics import RETRAIN_SHIPPED_TOPIC, SHIPPED_TOPIC_MODEL, disagreement
from analysis.severity import reported, reports_harm
from analysis.text_model import PersistedTextModel, as_text
from analysis.tokenizer import PhraseIndex, tokenize
from yuqing.paths import config_dir
from yuqing.settings import load_taxonomy_file

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
        self._phrases = PhraseIndex((word, f"kw={topic}") for topic, words in self.keywords.items() for word in words)

    def __getstate__(self) -> dict[str, Any]:
        return {"keywords": self.keywords}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.keywords = state["keywords"]
        self._index()

    def __call__(self, text: str) -> FeatureParts:
        tokens = tokenize(text)[:MAX_TOKENS]
        hits = [feature for _, feature in self._phrases.find(tokens)]
        return FeatureParts(chars="".join(tokens), char_orders=(1, 2), words=tokens, extra=hits)


def build_pipeline(c: float = 1.0, calibration_folds: int | CalibrationFolds = 5, taxonomy: Taxonomy | None = None) -> Pipeline:
    """The shipped kind of topic model, untrained; keyword features come from ``taxonomy`` (default: config)."""
    taxonomy = taxonomy or load_taxonomy()
    keywords = {t.id: list(t.keywords) for t in taxonomy.topics}
    svm = LinearSVC(C=c, class_weight="balanced", random_state=0)  # (same data, same model)
    return Pipeline(
        [
            ("features", HashedNgrams(TopicFeatures(keywords), bits=N_FEATURE_BITS)),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("clf", CalibratedClassifierCV(svm, method="sigmoid", cv=calibration_folds, ensemble=False)),
        ]
    )


@dataclass(frozen=True)
class Topic:
    """One livelihood topic of the taxonomy, its seed keywords, the words that report its incidents and the words
    that name its matter where the model's first choice (``subjects_outrank``) is known to be wrong."""

    id: str
    label_en: str
    unit: str
    keywords: tuple[str, ...]
    incidents: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    subjects_outrank: tuple[str, ...] = ()
    subjects_unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """The topic taxonomy: topics in file order plus the fallback label for everything else."""

    version: int
    fallback: str
    topics: tuple[Topic, ...]
    source: str = ""
    incident_weight: float = 0.6
    incident_exceptions: tuple[str, ...] = ()
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
    """The taxonomy file as the topic model uses it (phrases lower-cased).

    Validated by ``yuqing.settings.Taxonomy``, the same model ``yuqing config check`` uses, so a malformed file
    raises ``ConfigError`` (a ValueError) naming the file, the key and the fix.
    """
    path = Path(path) if path else config_dir() / "taxonomy.yaml"
    spec = load_taxonomy_file(path)
    topics = tuple(
        Topic(t.id, t.label_en, t.unit, tuple(k.lower() for k in t.keywords), tuple(k.lower() for k in t.incidents),
              tuple(k.lower() for k in t.subjects), tuple(t.subjects_outrank or [spec.fallback]),
              tuple(k.lower() for k in t.subjects_unless))
        for t in spec.topics
    )
    return Taxonomy(spec.version, spec.fallback, topics, source=str(path), incident_weight=spec.incident_weight,
                    incident_exceptions=tuple(k.lower() for k in spec.incident_exceptions))


class IncidentRule:
    """News of an incident lands in the incident's topic (issue 4: fires, explosions, collapses, traffic
    accidents, earthquakes and floods, food poisoning), even where the model learnt little about that topic.

    A text *reports* an incident when one of a topic's ``incidents`` words is a whole word of the segmented
    text (or a run of its words), outside a title in 《》 and outside the taxonomy's ``incident_exceptions``
    (金融海啸, 人事地震…), and is not a warning or a fear (``analysis.severity.reported``: "存在火灾隐患",
    "以免发生火灾" and "未发生火灾" do not count). If the model's first choice is not among the reported
    incidents' topics, the most probable of those is mixed in as an expert's vote of weight w
    (``incident_weight``): p' = (1 - w)·p + w·[that topic]. With w > 0.5 it ranks first and the model's
    ranking of the rest is kept, so food poisoning in a school canteen is 食品药品安全 first, 就学 second.

    Only the opening (``INCIDENT_OPENING`` characters: a headline, or a title and the first sentence) is read:
    news states its incident there, while a long citizen letter about housing or a work injury mentions an
    old fire or a traffic accident in passing. Reading whole texts moved 36 of the 1,720 held-out zhengwu
    messages off their topic; reading 40 characters, 2, both arguably rightly (问题疫苗 → 食品药品安全, a
    landslide that cut a road → 防灾减灾救灾).

    Where the model's first choice is the fallback (非民生), the rule also needs the text to report harm
    (``analysis.severity.reports_harm``: deaths, injuries, damage, a magnitude): a concert "冒台风", a game
    company or a share price after an earthquake stay non-livelihood. ``python -m benchmarks.analysis_quality``
    scores the rule on 292 hand-labelled THUCNews headlines that contain an
    incident word (benchmarks/data/incident_headlines.csv).

    A topic's ``subjects`` are words that name its matter where the training data taught the model otherwise: the
    zhengwu labels file subway and bus questions under 城乡建设 (→ 住房保障) and lifts under 商贸旅游 (→ 非民生), and
    the Weibo posts without a seed keyword taught COVID posts as 非民生. When one is a whole word of the opening and
    the model's first choice is one the topic ``subjects_outrank`` (by default the fallback), the topic gets the same
    vote. Unlike an incident word, a subject needs no harm and counts in a warning or a fear too ("担心被感染" is
    still about the epidemic), and it never overrules another choice ("地铁施工噪音" stays 生态环境). A topic's
    ``subjects_unless`` words beside it in the opening show the subject is a backdrop, not the matter: the epidemic
    in a share-price or a swine-fever story (疫情加剧市场风险, 羊痘疫情), a subway line that sells a flat (地铁小户型).
    """

    def __init__(self, taxonomy: Taxonomy, labels: Sequence[str]) -> None:
        known = set(labels)
        self.index = {label: i for i, label in enumerate(labels)}
        self.phrases = PhraseIndex((word, t.id) for t in taxonomy.topics if t.id in known for word in t.incidents)
        self.subjects = PhraseIndex((word, t.id) for t in taxonomy.topics if t.id in known for word in t.subjects)
        self.unless = PhraseIndex((word, t.id) for t in taxonomy.topics if t.id in known for word in t.subjects_unless)
        # topic → the model's first choices its subject words overrule (columns)
        self.outranks = {t.id: {self.index[o] for o in t.subjects_outrank if o in known}
                         for t in taxonomy.topics if t.id in known and t.subjects}
        self.weight = taxonomy.incident_weight
        self.fallback = self.index.get(taxonomy.fallback)
        # A cheap first test: does the opening hold any incident or subject word at all?
        words = sorted(self.phrases.phrases | self.subjects.phrases, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, words))) if words else None
        exceptions = sorted(taxonomy.incident_exceptions, key=len, reverse=True)
        self.exceptions = re.compile("|".join(map(re.escape, exceptions))) if exceptions else None

    def _opening(self, text: str) -> str | None:
        """The (lower-cased) opening as the rule reads it, or None when it holds no incident or subject word."""
        text = text[:INCIDENT_OPENING]
        if self.pattern is None or self.pattern.search(text) is None:
            return None  # most posts: one regex search
        text = _BOOK_TITLE.sub(" ", text)
        return self.exceptions.sub(" ", text) if self.exceptions is not None else text

    def reported(self, text: str) -> dict[str, str]:
        """Topics whose incidents the (lower-cased) opening of a text reports → the word that shows it."""
        found: dict[str, str] = {}
        opening = self._opening(text)
        if opening is None or not self.phrases:
            return found
        text = opening
        checked: dict[str, bool] = {}
        for word, topic in self.phrases.find(tokenize(text)):
            if word not in checked:  # a warning or a fear at every place the word occurs does not count
                checked[word] = any(reported(text, m.start(), m.end()) for m in re.finditer(re.escape(word), text))
            if checked[word]:
                found.setdefault(topic, word)
        return found

    def named(self, text: str) -> dict[str, str]:
        """Topics whose subjects the (lower-cased) opening of a text names → the word that shows it."""
        opening = self._opening(text)
        if opening is None or not self.subjects:
            return {}
        tokens = tokenize(opening)
        backdrop = {topic for _, topic in self.unless.find(tokens)} if self.unless else set()
        found: dict[str, str] = {}
        for word, topic in self.subjects.find(tokens):
            if topic not in backdrop:
                found.setdefault(topic, word)
        return found

    def apply(self, text: str, probs: np.ndarray) -> np.ndarray:
        """``probs`` (one row, in label order) with the rule applied; the same row when it does not fire."""
        top = int(probs.argmax())
        found = self.reported(text)
        if found:
            columns = [self.index[t] for t in found]
            if top in columns:
                return probs
            if top != self.fallback or reports_harm(text):
                return self._vote(probs, max(columns, key=lambda c: probs[c]))
        columns = [self.index[t] for t in self.named(text) if top in self.outranks[t]]
        return self._vote(probs, max(columns, key=lambda c: probs[c])) if columns else probs

    def _vote(self, probs: np.ndarray, column: int) -> np.ndarray:
        """The expert's vote for ``column`` mixed in: p' = (1 - w)·p + w·[column]."""
        out = probs * (1.0 - self.weight)
        out[column] += self.weight
        return out


# How much of a text the incident rule reads (see IncidentRule).
INCIDENT_OPENING = 40
# A title of a book, film or game (《暴雨》) names no incident.
_BOOK_TITLE = re.compile(r"《[^》]{0,40}》")


class TopicModel(PersistedTextModel):
    """A trained topic classifier: ``predict``, ``predict_proba`` and ``top_k`` over raw texts."""

    kind = "topic"
    default_dir = SHIPPED_TOPIC_MODEL

    def __init__(self, pipeline: Any, meta: dict[str, Any], path: Path | None = None,
                 taxonomy: Taxonomy | None = None) -> None:
        super().__init__(pipeline, meta, path)
        taxonomy = taxonomy or load_taxonomy()
        # Read from the current config, not the model: a rule, not something learnt, so editing the incident
        # words in config/taxonomy.yaml needs no retraining. None switches it off (benchmarks compare both).
        self.incidents: IncidentRule | None = IncidentRule(taxonomy, self.labels)
        # Topics are learnt: a topic added to the taxonomy is never predicted, and one removed from it would be
        # predicted and then routed nowhere, so its probability goes to the taxonomy's fallback.
        self.disagreement = disagreement(self.labels, taxonomy.labels)
        where = path or self.default_dir
        retrain = (RETRAIN_SHIPPED_TOPIC if where.resolve() == self.default_dir.resolve()
                   else retrain_hint(self.kind, where, meta))
        # Said by whoever loads the model (the analyze command on stderr, the enricher in the service's log).
        self.taxonomy_warnings = self.disagreement.warnings(where, taxonomy.source, taxonomy.fallback, retrain)
        self._removed_columns: list[int] = []
        if self.disagreement.removed and taxonomy.fallback in self.labels:
            self._removed_columns = [self.labels.index(t) for t in self.disagreement.removed]
            self._fallback_column = self.labels.index(taxonomy.fallback)

    def fallback_label(self) -> str:
        return str(self.meta.get("fallback", "非民生"))

    def predict_proba(self, texts: Sequence[Any]) -> np.ndarray:
        """The model's probabilities, topics taxonomy.yaml no longer has folded into its fallback, with the incident
        rule applied (see ``IncidentRule``)."""
        probs = super().predict_proba(texts)
        if self._removed_columns:
            probs[:, self._fallback_column] += probs[:, self._removed_columns].sum(axis=1)
            probs[:, self._removed_columns] = 0.0
        rule = self.incidents
        if rule is not None and rule.pattern is not None:
            for i, text in enumerate(texts):
                probs[i] = rule.apply(as_text(text)[:INCIDENT_OPENING].lower(), probs[i])
        return probs

    def top_k(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable topics with their probabilities, best first."""
        probs = self.predict_proba([text])[0]
        order = probs.argsort()[::-1][:k]
        return [(self.labels[i], float(probs[i])) for i in order]

    @classmethod
    def load(cls, path: Path | str | None = None, taxonomy_file: Path | None = None) -> TopicModel:
        """The shipped model, or one trained with ``yuqing train topic`` at ``path``, with the taxonomy in use
        (``taxonomy_file``; by default the configuration's)."""
        where = Path(path) if path else cls.default_dir
        pipeline, meta = read_model_dir(where, cls.kind)
        return cls(pipeline, meta, where, load_taxonomy(taxonomy_file))

