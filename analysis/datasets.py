"""The shared data corpora (``../shared/data``, see its README) read into labelled rows.

A corpus that is not there raises ``yuqing.paths.SharedDataMissing``, which says where it was looked for and how to
point to it. Only training and the benchmarks read these.
"""

from __future__ import annotations

import csv
import functools

from analysis.tokenizer import has_chinese, join_pretokenized
from yuqing.paths import shared_data_file


def _rows(relative: str) -> list[dict[str, str]]:
    with shared_data_file(relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# SMP2020-EWECT emotions → polarity; surprise is left out (ambiguous).
SMP_POLARITY = {"angry": "negative", "sad": "negative", "fear": "negative", "happy": "positive", "neutral": "neutral"}


def zhengwu_labelled() -> tuple[list[str], list[str], list[str]]:
    """(raw-like text, original tokens, first-level label) of the labelled messages, exact duplicates dropped."""
    seen: set[str] = set()
    texts, tokens, labels = [], [], []
    for row in _rows("zhengwu/messages_labelled_tokens.csv"):
        if row["tokens"] in seen:
            continue
        seen.add(row["tokens"])
        texts.append(join_pretokenized(row["tokens"]))
        tokens.append(row["tokens"])
        labels.append(row["label_l1"])
    return texts, tokens, labels


def zhengwu_raw_messages() -> list[str]:
    """Unlabelled citizen messages (subject + detail) from the two raw files, each message once."""
    seen: set[str] = set()
    out = []
    for name in ("zhengwu/messages_with_votes.csv", "zhengwu/messages_with_replies.csv"):
        for row in _rows(name):
            key = row["subject"] + row["detail"][:50]
            if key not in seen:
                seen.add(key)
                out.append(f"{row['subject']}\n{row['detail']}")
    return out


def thucnews(split: str) -> list[tuple[str, str]]:
    """(title, Chinese class name) of THUCNews headlines; split is 'dev' or 'test'."""
    return [(r["title"], r["label_zh"]) for r in _rows(f"news/thucnews_titles_{split}.csv")]


def smp_emotions(name: str) -> tuple[list[str], list[str]]:
    """SMP2020-EWECT posts with their emotion label; surprise is dropped as ambiguous."""
    rows = [row for row in _rows(f"weibo/smp2020_ewect_{name}.csv") if row["label"] in SMP_POLARITY]
    return [row["content"] for row in rows], [row["label"] for row in rows]


def smp_polarity(name: str) -> tuple[list[str], list[str]]:
    """SMP2020-EWECT posts mapped to polarity; surprise is dropped as ambiguous."""
    texts, emotions = smp_emotions(name)
    return texts, [SMP_POLARITY[e] for e in emotions]


def weibo_senti_100k() -> tuple[list[str], list[str]]:
    """weibo_senti_100k dev+test with the emoticon codes (its distant labels) stripped (fresh lists; the files
    are read once per process: the shipped training uses them for the polarity scorer and distillation)."""
    texts, labels = _weibo_senti_100k()
    return list(texts), list(labels)


@functools.lru_cache(maxsize=1)
def _weibo_senti_100k() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from analysis.sentiment import strip_emoticon_codes

    texts, labels = [], []
    for split in ("dev", "test"):
        for row in _rows(f"weibo/weibo_senti_100k_{split}.csv"):
            text = strip_emoticon_codes(row["review"]).strip()
            if has_chinese(text):
                texts.append(text)
                labels.append("positive" if row["label"] == "1" else "negative")
    return tuple(texts), tuple(labels)


# --------------------------------------------------------------------------------------------------


def virus_polarity() -> tuple[list[str], list[str]]:
    """SMP2020-EWECT virus_train + virus_eval mapped to polarity (COVID-19 outbreak posts)."""
    t1, y1 = smp_polarity("virus_train")
    t2, y2 = smp_polarity("virus_eval")
    return t1 + t2, y1 + y2
