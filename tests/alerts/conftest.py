"""Fixtures shared by the alert tests: the shipped configuration and a prepared workflow database."""

from __future__ import annotations

import pytest

from tests.alerts.casekit import prepare, shipped_config
from yuqing.db.session import Database
from yuqing.settings import Config


@pytest.fixture(scope="module")
def config() -> Config:
    return shipped_config()


@pytest.fixture
def db(database: Database, config: Config) -> Database:
    """The migrated database with the units of config/units.yaml in it."""
    prepare(database, config)
    return database
