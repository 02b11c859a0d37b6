"""Calibration folds for labels smaller than the fold count (``yuqing train`` on a CSV with a rare label).

``CalibratedClassifierCV(cv=5)`` refuses any label with fewer than five rows, and a fold whose training part
lacks a label cannot score it. Here such a label's rows are in the training part of every fold (and in the
held-out part of one), so every fold's classifier knows every label: its few calibration scores are in-sample,
a small optimism for a label that has too few rows to do better. Without such labels the folds are exactly
``cv=folds``'s (StratifiedKFold, unshuffled), so a model of ordinary data is the one it always was.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold


class CalibrationFolds:
    """A cross-validation splitter for ``CalibratedClassifierCV(cv=...)``. (No ``n_splits`` attribute on purpose:
    scikit-learn would then refuse labels with fewer rows than folds before asking this splitter.)"""

    def __init__(self, folds: int = 5) -> None:
        self.folds = folds

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.folds

    def split(self, X: Any, y: Any, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        labels = np.asarray(y)
        values, counts = np.unique(labels, return_counts=True)
        few = np.isin(labels, values[counts < self.folds])
        if not few.any():
            yield from StratifiedKFold(self.folds).split(np.zeros(len(labels)), labels)
            return
        common, sparse = np.flatnonzero(~few), np.flatnonzero(few)
        inner: list[tuple[np.ndarray, np.ndarray]] = (
            list(StratifiedKFold(self.folds).split(common, labels[common])) if common.size
            else [(np.array([], dtype=int), np.array([], dtype=int))] * self.folds
        )
        for k, (train, test) in enumerate(inner):
            yield np.concatenate([common[train], sparse]), np.concatenate([common[test], sparse[k :: self.folds]])
