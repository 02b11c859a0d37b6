"""Fixtures for the analysis tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analysis import hashing


def built_extension() -> object:
    """The extension module, or a failure that says why it is missing and how to see the build's error."""
    hashing.native.cache_clear()
    if hashing.native() is None:
        pytest.fail("analysis._native is not built or is stale, so these tests cannot check it. Building it needs a "
                    "C compiler and Python's headers (Debian: gcc, python3-dev; scripts/setup.sh installs them); "
                    "`pip install -v -e .` in the project directory rebuilds it and shows why it failed.")
    return hashing.native()


@pytest.fixture(params=["native", "numpy"])
def hashing_implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test once with the C extension analysis._native and once with numpy alone.

    Models compiled inside the test pick the implementation in force; the extension must be built (the test
    command's `pip install -e .` builds it), so its absence fails here instead of passing on numpy alone.
    """
    monkeypatch.setenv("YUQING_NATIVE", "1" if request.param == "native" else "0")
    hashing.native.cache_clear()
    if request.param == "native":
        built_extension()
    yield request.param
    monkeypatch.undo()
    hashing.native.cache_clear()
