"""Fixtures for the analysis tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analysis import hashing


@pytest.fixture(params=["native", "numpy"])
def hashing_implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test once with the C extension analysis._native and once with numpy alone.

    Models compiled inside the test pick the implementation in force; the extension must be built (the test
    command's `pip install -e .` builds it), so its absence fails here instead of passing on numpy alone.
    """
    monkeypatch.setenv("YUQING_NATIVE", "1" if request.param == "native" else "0")
    hashing.native.cache_clear()
    if request.param == "native" and hashing.native() is None:
        pytest.fail("analysis._native is not built (or is stale): run `pip install -e .` in the project directory")
    yield request.param
    monkeypatch.undo()
    hashing.native.cache_clear()
