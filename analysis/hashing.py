"""Hashed n-gram counts computed on code points: the feature step of the topic and sentiment models.

Why not scikit-learn's HashingVectorizer: it calls a Python analyzer that builds one string per n-gram and
hashes each with MurmurHash3 — several hundred Python-level calls per post, the largest part of classifying
one post at a time. Here a text's character n-grams are hashed arithmetically over its code points, a few
numpy operations per order for the whole text; words are hashed once each with MurmurHash3 (mmh3); a word
bigram combines its two word hashes; and whole-string features (seed-keyword hits) are hashed like words.

The hash of every feature is defined exactly (the tests recompute it one feature at a time in plain
Python), so a trained model means the same thing on every machine:

- character n-gram of code points c0..c(n-1): k = c0, then k = k * MULT[i] + ci for each further character,
  all modulo 2^64; the key is k XOR SALT_CHAR[n];
- word w: k = MurmurHash3_x86_32(UTF-8 of w, seed 0) as an unsigned 32-bit number; key k XOR SALT_WORD;
- word bigram (a, b): key (k(a) * MULT[0] + k(b)) XOR SALT_WORD_BIGRAM;
- whole-string feature s: key MurmurHash3_x86_32(s) XOR SALT_EXTRA;
- bucket: the top ``bits`` bits of fmix64(key), MurmurHash3's 64-bit finaliser (a bijection, so distinct
  keys share a bucket only by chance). Counts of features that share a bucket add up.

Two implementations compute this: numpy here, and the C extension ``analysis._native`` (built by
``pip install``), which also does analysis.linear's arithmetic and analysis.dedup's signature for one text. The
extension is used when it is built and of this module's version (``native()``); otherwise, or with
``YUQING_NATIVE=0`` in the environment, everything runs on numpy: the same features, and probabilities that differ
only in rounding (additions in another order; the tests compare both, the probabilities to 1e-9).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import mmh3
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin

MASK64 = (1 << 64) - 1
# Odd 64-bit constants (the golden ratio and MurmurHash3's own) and one salt per kind of feature.
MULT = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)
SALT_CHAR = {1: 0x243F6A8885A308D3, 2: 0x13198A2E03707344, 3: 0xA4093822299F31D0, 4: 0x082EFA98EC4E6C89}
SALT_WORD = 0x452821E638D01377
SALT_WORD_BIGRAM = 0xBE5466CF34E90C6C
SALT_EXTRA = 0xC0AC29B7C97C50DD
FMIX_1 = 0xFF51AFD7ED558CCD
FMIX_2 = 0xC4CEB9FE1A85EC53
MAX_CHAR_ORDER = len(MULT)

_U64 = np.uint64
_MULT = tuple(_U64(m) for m in MULT)
_SALT_CHAR = {n: _U64(s) for n, s in SALT_CHAR.items()}
_SALT_WORD, _SALT_WORD_BIGRAM, _SALT_EXTRA = _U64(SALT_WORD), _U64(SALT_WORD_BIGRAM), _U64(SALT_EXTRA)
_FMIX_1, _FMIX_2, _33 = _U64(FMIX_1), _U64(FMIX_2), _U64(33)
_LOW32 = _U64(0xFFFFFFFF)

# The version of analysis/_native.c this module was written against (its NATIVE_VERSION).
NATIVE_VERSION = 2

log = logging.getLogger(__name__)


@cache
def native() -> Any:
    """The C extension ``analysis._native`` when it is built, of the expected version and not switched off."""
    if os.environ.get("YUQING_NATIVE", "1").strip() == "0":
        return None
    try:
        from analysis import _native
    except ImportError:
        log.warning("analysis._native is not built, so the classifiers run on numpy (probabilities equal to "
                    "rounding, about a third slower). It needs a C compiler and Python's headers (Debian: gcc, "
                    "python3-dev); build it with `pip install -v -e .` in the project directory, which shows why it "
                    "failed.")
        return None
    if getattr(_native, "VERSION", None) != NATIVE_VERSION:
        log.warning("analysis._native is version %s, this code expects %s (a stale build); using numpy. Rebuild "
                    "it with `pip install -e .` in the project directory.", getattr(_native, "VERSION", None),
                    NATIVE_VERSION)
        return None
    return _native


@dataclass(frozen=True)
class FeatureParts:
    """What a model reads from one text: a string for character n-grams, words, and whole-string features."""

    chars: str = ""
    char_orders: tuple[int, ...] = ()
    words: Sequence[str] = ()
    word_bigrams: bool = False
    extra: Sequence[str] = ()


def fmix64(keys: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place on a uint64 array (which it returns)."""
    keys ^= keys >> _33
    keys *= _FMIX_1
    keys ^= keys >> _33
    keys *= _FMIX_2
    keys ^= keys >> _33
    return keys


def _utf8(value: str | bytes) -> bytes:
    # mmh3 hashes a str as its UTF-8 bytes but crashes the interpreter on a lone surrogate; encoding here
    # raises UnicodeEncodeError instead, as the extension does.
    return value.encode("utf-8") if isinstance(value, str) else value


def _string_hashes(strings: Iterable[str], count: int) -> np.ndarray:
    signed = np.fromiter((mmh3.hash(_utf8(s)) for s in strings), dtype=np.int64, count=count)
    return signed.astype(np.uint64) & _LOW32


@cache
def orders_mask(orders: tuple[int, ...]) -> int:
    """Character n-gram orders as the extension's bit mask (bit n-1: order n); ValueError outside 1..4."""
    if orders and (min(orders) < 1 or max(orders) > MAX_CHAR_ORDER):
        raise ValueError(f"character n-gram orders must lie in 1..{MAX_CHAR_ORDER}, got {orders}")
    return sum(1 << (n - 1) for n in set(orders))


def feature_keys(parts: FeatureParts) -> np.ndarray:
    """The 64-bit key of every feature occurrence of ``parts`` (before the finaliser)."""
    keys: list[np.ndarray] = []
    orders = parts.char_orders
    orders_mask(tuple(orders))  # refuses orders outside 1..MAX_CHAR_ORDER, as the extension does
    if orders and parts.chars:
        # surrogatepass: a lone surrogate (left by mis-decoded input) is one code point like any other
        codes = np.frombuffer(parts.chars.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        gram = codes
        for n in range(1, max(orders) + 1):
            if n > 1:
                gram = gram[:-1] * _MULT[n - 1] + codes[n - 1 :]
            if n in orders:
                keys.append(gram ^ _SALT_CHAR[n])
    if parts.words:
        words = _string_hashes(parts.words, len(parts.words))
        keys.append(words ^ _SALT_WORD)
        if parts.word_bigrams and len(words) > 1:
            keys.append((words[:-1] * _MULT[0] + words[1:]) ^ _SALT_WORD_BIGRAM)
    if parts.extra:
        keys.append(_string_hashes(parts.extra, len(parts.extra)) ^ _SALT_EXTRA)
    if not keys:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate(keys) if len(keys) > 1 else keys[0].copy()


def check_bits(bits: int) -> None:
    """Refuse a table size the hash cannot address (the extension refuses the same)."""
    if not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= 63:
        raise ValueError(f"bits must lie in 1..63, got {bits!r}")


def bucket_counts(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct buckets, how many keys fell in each) of 64-bit feature keys; ``keys`` is consumed."""
    check_bits(bits)
    if not len(keys):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
    buckets = fmix64(keys) >> _U64(64 - bits)
    buckets.sort()
    starts = np.empty(len(buckets), dtype=bool)
    starts[0] = True
    np.not_equal(buckets[1:], buckets[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    ends = np.empty_like(first)  # run lengths without np.diff(append=...), which costs more than the rest here
    ends[:-1] = first[1:]
    ends[-1] = len(buckets)
    return buckets[first].astype(np.intp), (ends - first).astype(np.float64)


def parts_counts(parts: FeatureParts, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct buckets, counts) of one text's ``parts``: the extension when built, else numpy."""
    ext = native()
    if ext is None:
        return bucket_counts(feature_keys(parts), bits)
    buckets, counts = ext.bucket_counts(parts.chars, orders_mask(tuple(parts.char_orders)), parts.words,
                                        parts.word_bigrams, parts.extra, bits)
    return np.frombuffer(buckets, dtype=np.int64).astype(np.intp, copy=False), np.frombuffer(counts)


class HashedNgrams(TransformerMixin, BaseEstimator):
    """Stateless transformer: texts → (n_texts, 2**bits) sparse feature counts of ``parts(text)``.

    ``parts`` says what a model reads from a text (module-level function or picklable object); the
    hashing is the same for every model.
    """

    def __init__(self, parts: Callable[[str], FeatureParts] | None = None, bits: int = 18) -> None:
        self.parts = parts
        self.bits = bits

    @property
    def n_features(self) -> int:
        return 1 << self.bits

    def fit(self, X: Any, y: Any = None) -> HashedNgrams:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # nothing is learnt

    def counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's (sorted bucket indices, counts): the non-zero entries of its row of ``transform``."""
        if self.parts is None:
            raise ValueError("HashedNgrams needs a parts function: what to read from a text")
        return parts_counts(self.parts(text), self.bits)

    def transform(self, X: Iterable[str]) -> csr_matrix:
        if isinstance(X, str):
            raise ValueError("an iterable of texts is expected, not one string; wrap it in a list")
        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for text in X:
            index, count = self.counts(text if isinstance(text, str) else "" if text is None else str(text))
            indices.append(index)
            data.append(count)
            indptr.append(indptr[-1] + len(index))
        matrix = csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, dtype=np.intp),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, self.n_features),
        )
        matrix.has_sorted_indices = True
        return matrix
