"""Types of the C extension analysis._native (analysis/_native.c)."""

from collections.abc import Sequence

from typing_extensions import Buffer

VERSION: int

def bucket_counts(chars: str, orders: int, words: Sequence[str | bytes], word_bigrams: bool,
                  extra: Sequence[str | bytes], bits: int) -> tuple[bytearray, bytearray]: ...

class Scorer:
    def __init__(self, table: Buffer, bits: int, idf_col: int, sublinear: bool, l2: bool, coef_col: int, n_coef: int,
                 m_idf_col: int, m_sublinear: bool, m_l2: bool, m_coef_col: int, /) -> None: ...
    def scores(self, chars: str, orders: int, words: Sequence[str | bytes], word_bigrams: bool,
               extra: Sequence[str | bytes], /) -> tuple[float, ...]: ...

def minhash(text: str, word_map: Buffer, a: Buffer, b: Buffer, min_shingles: int, /) -> bytearray | None: ...
