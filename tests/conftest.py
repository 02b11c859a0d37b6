"""Shared fixtures: a real Elasticsearch node and real databases, started once per test session.

Elasticsearch: ``YUQING_TEST_ES_URL`` names a running cluster to use; otherwise the project's own
local node is started on port 9250 (``YUQING_TEST_ES_PORT``) in a temporary home and stopped at the
end. PostgreSQL: ``YUQING_TEST_POSTGRES_URL`` (set by .ci/run, which installs and starts a server);
without it the PostgreSQL variants are skipped with that reason, and SQLite always runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from yuqing.db.session import Database, upgrade
from yuqing.es.indices import IndexLayout
from yuqing.settings import ElasticsearchSettings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def es_node() -> Iterator[str]:
    """The URL of a real Elasticsearch for this test session."""
    url = os.environ.get("YUQING_TEST_ES_URL")
    if url:
        yield url
        return
    from yuqing.es.node import LocalNode

    port = int(os.environ.get("YUQING_TEST_ES_PORT", "9250"))
    # Not under pytest's private tmp folder: as root the node runs as its own user, who must enter it.
    home = Path(tempfile.mkdtemp(prefix="yuqing-test-es-"))
    os.chmod(home, 0o755)
    node = LocalNode(ElasticsearchSettings(http_port=port, heap="512m"), home=home, port=port)
    node.start()
    try:
        yield node.url
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def es_client(es_node: str) -> Elasticsearch:
    return Elasticsearch(es_node, request_timeout=30)


@pytest.fixture
def es_layout(es_client: Elasticsearch) -> Iterator[IndexLayout]:
    """A fresh, uniquely named set of posts/events indices, removed after the test."""
    layout = IndexLayout(f"t{uuid.uuid4().hex[:10]}")
    layout.ensure(es_client)
    try:
        yield layout
    finally:
        layout.delete_all(es_client)


def _database_urls() -> list:
    urls = [pytest.param("sqlite", id="sqlite")]
    urls.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return urls


@pytest.fixture(params=_database_urls())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty workflow database: SQLite, and PostgreSQL when the test run has a server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'yuqing.db'}"
    else:
        base = os.environ.get("YUQING_TEST_POSTGRES_URL")
        if not base:
            pytest.skip("YUQING_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")
        url = _fresh_postgres_database(base)
    upgrade(url)
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


def _fresh_postgres_database(base: str) -> str:
    """Create an empty database on the test server so each test starts clean."""
    from sqlalchemy import create_engine, text

    name = f"yq_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip with the reason when it is absent."""
    from yuqing.paths import shared_data_dir

    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data set not found at {path} (place it beside the repository as ../shared/data)")
    return path
