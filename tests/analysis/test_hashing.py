"""The feature hash is what analysis.hashing's docstring defines, feature by feature, and counts add up."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import mmh3
import numpy as np
import pytest

from analysis.hashing import (
    FMIX_1,
    FMIX_2,
    MASK64,
    MULT,
    SALT_CHAR,
    SALT_EXTRA,
    SALT_WORD,
    SALT_WORD_BIGRAM,
    FeatureParts,
    HashedNgrams,
)
from tests.analysis.conftest import built_extension


def _fmix64(k: int) -> int:
    k ^= k >> 33
    k = (k * FMIX_1) & MASK64
    k ^= k >> 33
    k = (k * FMIX_2) & MASK64
    return k ^ (k >> 33)


def _word(w: str) -> int:
    return mmh3.hash(w) & 0xFFFFFFFF


def _reference(parts: FeatureParts, bits: int) -> Counter[int]:
    """One feature at a time, in plain integers: the specification, not the vectorised code."""
    keys = []
    for n in parts.char_orders:
        for i in range(len(parts.chars) - n + 1):
            k = ord(parts.chars[i])
            for j in range(1, n):
                k = (k * MULT[j] + ord(parts.chars[i + j])) & MASK64
            keys.append(k ^ SALT_CHAR[n])
    keys += [_word(w) ^ SALT_WORD for w in parts.words]
    if parts.word_bigrams:
        keys += [((_word(a) * MULT[0] + _word(b)) & MASK64) ^ SALT_WORD_BIGRAM
                 for a, b in zip(parts.words, parts.words[1:], strict=False)]
    keys += [_word(s) ^ SALT_EXTRA for s in parts.extra]
    return Counter(_fmix64(k) >> (64 - bits) for k in keys)


PARTS = [
    FeatureParts("小区门口的搅拌站天天半夜施工", (1, 2, 3), ["小区", "门口", "搅拌站", "半夜", "施工"], True),
    FeatureParts("医院排队3个小时!医生态度恶劣", (1, 2), ["医院", "排队", "医生"], False, ["kw=就医", "kw=就医"]),
    FeatureParts("a", (1, 2, 3), [], True),
    FeatureParts("", (1,), ["只有词"], True),
    FeatureParts("表情😀和\ud800孤立代理", (1, 2, 3, 4), ["表情"], True),
    FeatureParts(),
    FeatureParts("黑作坊用地沟油炸油条", (1, 2), ["黑作坊", "用", "地沟油", "炸", "油条"], extra=["kw=食品药品安全"]),
]


@pytest.mark.parametrize("bits", [4, 18, 32])
@pytest.mark.parametrize("parts", PARTS)
def test_counts_follow_the_specification(parts: FeatureParts, bits: int, hashing_implementation: str) -> None:
    hasher = HashedNgrams(lambda _text: parts, bits=bits)
    indices, counts = hasher.counts("ignored")
    expected = _reference(parts, bits)
    assert indices.tolist() == sorted(expected)
    assert counts.tolist() == [float(expected[i]) for i in sorted(expected)]


def test_transform_rows_are_the_counts_of_each_text(hashing_implementation: str) -> None:
    hasher = HashedNgrams(lambda text: FeatureParts(text, (1, 2), list(text)), bits=5)  # 32 buckets: collisions
    texts = ["火灾造成三人受伤", "", "食物中毒"]
    matrix = hasher.transform(texts)
    assert matrix.shape == (3, 32)
    for row, text in enumerate(texts):
        indices, counts = hasher.counts(text)
        dense = np.zeros(32)
        dense[indices] = counts
        np.testing.assert_array_equal(matrix[row].toarray().ravel(), dense)
    assert matrix[0].sum() == 8 + 7 + 8  # every occurrence counted once, shared buckets add up


def test_one_string_instead_of_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="wrap it in a list"):
        HashedNgrams(lambda text: FeatureParts(text, (1,)), bits=4).transform("一条微博")


@pytest.mark.parametrize("orders", [(5,), (0, 1)])
def test_orders_outside_the_defined_range_are_refused(orders: tuple[int, ...], hashing_implementation: str) -> None:
    with pytest.raises(ValueError, match="orders must lie in 1..4"):
        HashedNgrams(lambda text: FeatureParts(text, orders), bits=4).counts("五个字以上")


def test_words_given_as_utf8_bytes_hash_as_their_text(hashing_implementation: str) -> None:
    as_bytes = HashedNgrams(lambda text: FeatureParts(text, (1,), ["学校".encode()]), bits=18).counts("字")  # type: ignore[list-item]
    as_text = HashedNgrams(lambda text: FeatureParts(text, (1,), ["学校"]), bits=18).counts("字")
    assert as_bytes[0].tolist() == as_text[0].tolist()


def test_words_that_are_neither_text_nor_bytes_are_refused(hashing_implementation: str) -> None:
    with pytest.raises(TypeError):
        HashedNgrams(lambda text: FeatureParts(text, (1,), [3]), bits=4).counts("字")  # type: ignore[list-item]


def test_a_stale_extension_is_not_used(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """An extension built from an older analysis/_native.c (another VERSION) would hash differently: numpy runs."""
    from analysis import hashing

    _native = built_extension()

    monkeypatch.setattr(_native, "VERSION", hashing.NATIVE_VERSION + 1)
    hashing.native.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="analysis.hashing"):
            assert hashing.native() is None
        assert "stale build" in caplog.text and "pip install -e ." in caplog.text
    finally:
        monkeypatch.undo()
        hashing.native.cache_clear()
    assert hashing.native() is _native


def test_the_extension_refuses_a_table_of_another_shape() -> None:
    _native: Any = built_extension()

    table = np.zeros((16, 3))
    with pytest.raises(ValueError, match="16 rows; 5-bit hashing needs 32"):
        _native.Scorer(table, 5, 0, True, True, 1, 2, -1, False, False, -1)
    with pytest.raises(ValueError, match="weight column 2 \\(span 2\\) lies outside a table of 3 columns"):
        _native.Scorer(table, 4, 0, True, True, 2, 2, -1, False, False, -1)
    with pytest.raises(ValueError, match="float64"):
        _native.Scorer(np.zeros((16, 3), dtype=np.float32), 4, 0, True, True, 1, 2, -1, False, False, -1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _native.Scorer(np.zeros((3, 16)).T, 4, 0, True, True, 1, 2, -1, False, False, -1)



def test_missing_values_are_empty_texts_and_numbers_are_their_digits(hashing_implementation: str) -> None:
    hasher = HashedNgrams(lambda text: FeatureParts(text, (1,)), bits=8)
    matrix = hasher.transform([None, 42, "42"])
    assert matrix[0].nnz == 0  # not the word "None"
    np.testing.assert_array_equal(matrix[1].toarray(), matrix[2].toarray())


def test_a_refused_reinitialisation_leaves_the_scorer_as_it_was() -> None:
    """A failed __init__ on a working Scorer used to keep the bad bits and columns: the next call read outside
    the table and crashed the interpreter."""
    _native: Any = built_extension()
    table = np.arange(48, dtype=np.float64).reshape(16, 3)
    scorer = _native.Scorer(table, 4, 0, True, True, 1, 2, -1, False, False, -1)
    before = scorer.scores("小区门口的搅拌站", 3, ["搅拌站"], True, [])
    with pytest.raises(ValueError, match="30-bit hashing"):
        scorer.__init__(table, 30, 0, True, True, 1, 2, -1, False, False, -1)
    with pytest.raises(ValueError, match="weight column"):
        scorer.__init__(table, 4, 0, True, True, 1, 10**9, -1, False, False, -1)
    with pytest.raises(TypeError):
        scorer.__init__(table, 30, 0, True, True, 1, 2, -1, False, False, "x")
    assert scorer.scores("小区门口的搅拌站", 3, ["搅拌站"], True, []) == before


@pytest.mark.parametrize("columns", [
    (0, 1, 2, -1, sys.maxsize),  # margin weight column far outside: col + span used to overflow
    (0, sys.maxsize, 1, -1, -1),  # weight columns
    (sys.maxsize, 1, 2, -1, -1),  # idf column
])
def test_columns_outside_the_table_are_refused_however_large(columns: tuple[int, ...]) -> None:
    _native: Any = built_extension()
    idf, coef, n_coef, m_idf, m_coef = columns
    with pytest.raises(ValueError, match="lies outside a table of 3 columns"):
        _native.Scorer(np.zeros((16, 3)), 4, idf, True, True, coef, n_coef, m_idf, False, False, m_coef)


@pytest.mark.parametrize("bits", [0, -1, 64])
def test_table_sizes_the_hash_cannot_address_are_refused(bits: int, hashing_implementation: str) -> None:
    with pytest.raises(ValueError, match="bits must lie in 1..63"):
        HashedNgrams(lambda text: FeatureParts(text, (1,)), bits=bits).counts("字")


def test_counts_are_writable_arrays_in_both(hashing_implementation: str) -> None:
    indices, counts = HashedNgrams(lambda text: FeatureParts(text, (1, 2)), bits=8).counts("学校食堂")
    counts *= 2  # read-only arrays (numpy over bytes) would raise here
    indices += 0
    assert counts.sum() == 2 * (4 + 3)


def test_a_word_with_a_lone_surrogate_raises_instead_of_crashing(hashing_implementation: str) -> None:
    """mmh3 crashes the interpreter on a str holding a lone surrogate; both implementations raise instead."""
    with pytest.raises(UnicodeEncodeError):
        HashedNgrams(lambda text: FeatureParts(text, (1,), ["a\udcc3"]), bits=8).counts("字")
