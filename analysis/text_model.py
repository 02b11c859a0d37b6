"""What the topic and sentiment models share once loaded: prediction with a defined answer for bad input.

A model is read from its directory by ``analysis.model_dir``; small batches are classified through
``analysis.linear``, larger ones through the scikit-learn pipeline, with the same probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from analysis.linear import compile_linear
from analysis.model_dir import SHIPPED_MODELS, read_model_dir
from analysis.tokenizer import has_chinese

# Up to this many rows per call, linear models classify through analysis.linear instead of the pipeline:
# scikit-learn's fixed per-call cost (1-2 ms a model) makes the pipeline the slower one below somewhere between
# 64 and 256 rows (``python -m benchmarks.analysis_speed`` tabulates both by rows per call).
FAST_PATH_MAX_ROWS = 64


class PersistedTextModel:
    """Shared behaviour of the topic and sentiment models: loading, checking and defined bad-input output."""

    kind: ClassVar[str] = ""
    default_dir: ClassVar[Path] = SHIPPED_MODELS

    def __init__(self, pipeline: Any, meta: dict[str, Any], path: Path | None = None) -> None:
        self.pipeline = pipeline
        self.meta = meta
        self.path = path
        self.labels: list[str] = [str(c) for c in pipeline.classes_]
        # Small batches (the crawl enriches posts one by one) skip scikit-learn's per-call overhead; the
        # fast path computes the same probabilities (analysis.linear) and is None for other model shapes.
        self.fast_path = compile_linear(pipeline)

    @classmethod
    def _load(cls, path: Path | str | None) -> PersistedTextModel:
        where = Path(path) if path else cls.default_dir
        pipeline, meta = read_model_dir(where, cls.kind)
        return cls(pipeline, meta, where)

    def fallback_label(self) -> str:
        raise NotImplementedError

    def predict_proba(self, texts: Sequence[Any]) -> np.ndarray:
        """Class probabilities (columns in ``self.labels`` order); texts without Chinese get a uniform row."""
        cleaned = [as_text(t) for t in texts]
        probs = np.full((len(cleaned), len(self.labels)), 1.0 / max(len(self.labels), 1))
        usable = [i for i, t in enumerate(cleaned) if has_chinese(t)]
        fast = self.fast_path
        if usable and fast is not None and (fast.native or len(usable) <= FAST_PATH_MAX_ROWS):
            for i in usable:
                probs[i] = fast.predict_proba_one(cleaned[i])
        elif usable:
            probs[usable] = self.pipeline.predict_proba([cleaned[i] for i in usable])
        return probs

    def predict(self, texts: Sequence[Any]) -> list[tuple[str, float]]:
        """(label, probability) per text; empty, non-Chinese or emoji-only text gets the fallback label
        with the uniform (lowest possible) probability."""
        cleaned = [as_text(t) for t in texts]
        return self.labels_of(cleaned, self.predict_proba(cleaned))

    def labels_of(self, texts: Sequence[str], probs: np.ndarray) -> list[tuple[str, float]]:
        """(label, probability) per row of ``probs``; a text without Chinese gets the fallback label."""
        fallback = self.fallback_label()
        out = []
        for text, row in zip(texts, probs, strict=True):
            if has_chinese(text):
                best = int(row.argmax())
                out.append((self.labels[best], float(row[best])))
            else:
                out.append((fallback, float(row.min())))
        return out


def as_text(value: Any) -> str:
    """Whatever arrived as a text, as a str: bytes are decoded leniently, None and NaN become empty."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and value != value:
        return ""
    return value if isinstance(value, str) else str(value)
