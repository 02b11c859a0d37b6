"""Problems of the machine or the environment (state directory, database URL or file, Elasticsearch URL) reach
the user as one message that says what and how to fix it — never as a Python traceback."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from yuqing.cli import main
from yuqing.db.session import upgrade


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(("url", "expected"), [
    ("not a url", "Could not parse SQLAlchemy URL"),
    ("mysql://u@h/x", "No module named"),
    ("postgresql+psycopg://u@h:notaport/x", "invalid literal for int()"),
])
def test_a_database_url_that_cannot_be_used(tmp_path: Path, url: str, expected: str) -> None:
    code, out = run({"YUQING_HOME": str(tmp_path), "YUQING_DATABASE_URL": url}, "cases", "list")
    assert code == 1 and "cannot be used" in out and expected in out and "YUQING_DATABASE_URL" in out
    assert "Traceback" not in out


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "yuqing.db").write_text("garbage", encoding="utf-8")
    env = {"YUQING_HOME": str(tmp_path), "YUQING_DATABASE_URL": f"sqlite:///{tmp_path / 'yuqing.db'}"}
    for command in (["cases", "list"], ["db", "upgrade"]):
        code, out = run(env, *command)
        assert code == 1 and "refused: file is not a database" in out, out
    assert (tmp_path / "yuqing.db").read_text(encoding="utf-8") == "garbage"  # the user's file is left alone


def test_a_database_from_a_newer_yuqing(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'yuqing.db'}"
    upgrade(url)
    with sqlite3.connect(tmp_path / "yuqing.db") as connection:
        connection.execute("update alembic_version set version_num = '0099'")
    env = {"YUQING_HOME": str(tmp_path), "YUQING_DATABASE_URL": url}
    for command in (["cases", "list"], ["db", "upgrade"]):
        code, out = run(env, *command)
        assert code == 1 and "a schema this yuqing does not know" in out and "'0099'" in out, out


def test_a_state_directory_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("", encoding="utf-8")
    env = {"YUQING_HOME": str(tmp_path / "home")}
    code, out = run(env, "cases", "list")
    assert code == 1 and "the state directory" in out and "point YUQING_HOME at a directory" in out
    code, out = run(env, "paths")
    assert code == 0 and "state        unusable:" in out and "shared data" in out


def test_an_elasticsearch_url_that_is_not_a_url(tmp_path: Path) -> None:
    code, out = run({"YUQING_HOME": str(tmp_path), "YUQING_ES_URL": "not a url"}, "events", "list")
    assert code == 1 and "the Elasticsearch URL 'not a url' cannot be used" in out


def test_es_status_exits_1_whenever_elasticsearch_does_not_answer(tmp_path: Path) -> None:
    code, out = run({"YUQING_HOME": str(tmp_path), "YUQING_ES_PORT": "9"}, "es", "status", "--json")
    assert code == 1 and '"health": null' in out
    code, out = run({"YUQING_HOME": str(tmp_path), "YUQING_ES_PORT": "9"}, "es", "status")
    assert code == 1 and "not running; start it with `yuqing es start`" in out and "None" not in out, out
    code, out = run({"YUQING_HOME": str(tmp_path), "YUQING_ES_URL": "http://127.0.0.1:9"}, "es", "status")
    assert code == 1 and "ConnectionError" in out


def test_a_password_in_the_elasticsearch_url_is_never_printed(tmp_path: Path) -> None:
    """YUQING_ES_URL=http://elastic:pw@host: the unreachable message, `es status` and a bad URL's message used to
    print the password in clear."""
    env = {"YUQING_HOME": str(tmp_path), "YUQING_ES_URL": "http://elastic:SecretEsPw@127.0.0.1:9"}
    for command in (["es", "status"], ["es", "status", "--json"], ["events", "list"]):
        code, out = run(env, *command)
        assert code == 1 and "SecretEsPw" not in out and "elastic:***@127.0.0.1:9" in out, out
    code, out = run({**env, "YUQING_ES_URL": "http://elastic:SecretEsPw@127.0.0.1:notaport"}, "events", "list")
    assert code == 1 and "cannot be used" in out and "SecretEsPw" not in out, out


def test_a_relative_state_directory_is_taken_from_where_the_command_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """YUQING_HOME=../h7: the Elasticsearch node runs in its own directory and read the relative path against it."""
    from yuqing.paths import config_dir, state_dir

    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("YUQING_HOME", "../h7")
    monkeypatch.setenv("YUQING_CONFIG_DIR", "../conf")
    assert state_dir() == tmp_path / "h7" and state_dir().is_absolute()
    assert config_dir() == tmp_path / "conf"


def test_a_sandbox_has_its_own_state_and_database_and_a_bad_name_is_refused(tmp_path: Path) -> None:
    import os

    env = {"YUQING_HOME": str(tmp_path / "home"), "YUQING_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}
    code, out = run(env, "--sandbox", "demo", "paths")
    assert code == 0 and f"state        {tmp_path / 'home' / 'sandboxes' / 'demo'}" in out
    code, out = run(env, "--sandbox", "demo", "db", "upgrade")
    assert code == 0 and (tmp_path / "home" / "sandboxes" / "demo" / "yuqing.db").is_file()
    assert not (tmp_path / "live.db").exists()  # the deployment's database is not the sandbox's
    assert "YUQING_SANDBOX" not in os.environ  # the command's sandbox ended with it
    for bad in ("../x", "Demo", "a b"):
        code, out = run(env, "--sandbox", bad, "paths")
        assert code == 2 and "is no sandbox name" in out and "--sandbox" in out


@pytest.mark.parametrize("args", [["cases", "list"], ["cases", "show", "1"], ["notifications", "list"],
                                  ["route", "explain", "1"]])
def test_a_mistyped_state_directory_is_no_empty_deployment(tmp_path: Path, args: list[str]) -> None:
    """A typo in YUQING_HOME answered '0 case(s)' from a database it had just created."""
    env = {"YUQING_HOME": str(tmp_path / "typo")}
    code, out = run(env, *args)
    assert code == 1 and f"no workflow database at {tmp_path / 'typo' / 'yuqing.db'} (from YUQING_HOME)" in out
    assert not (tmp_path / "typo" / "yuqing.db").exists()
    env = {"YUQING_HOME": str(tmp_path / "h"), "YUQING_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db"}
    code, out = run(env, *args)
    assert code == 1 and "(from YUQING_DATABASE_URL)" in out and not (tmp_path / "no").exists()


def test_a_database_url_with_a_query_is_found_and_sending_needs_no_case_yet(tmp_path: Path) -> None:
    """sqlite:///x.db?timeout=30 was looked for as a file named 'x.db?timeout=30'; notifications send, a periodic
    job, refused a fresh install that had nothing to send yet."""
    env = {"YUQING_HOME": str(tmp_path / "h"), "YUQING_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}?timeout=30"}
    assert run(env, "notifications", "send")[0] == 0  # creates the database: nothing to send
    code, out = run(env, "cases", "list")
    assert code == 0 and "0 case(s)" in out


def test_the_dashboards_on_a_port_in_use_say_so_at_once_and_on_a_free_one_serve(tmp_path: Path) -> None:
    """uvicorn printed "dashboards at …", then "[Errno 98] address already in use", and exited 3."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from datetime import UTC, datetime

    import httpx

    from crawler.state import CrawlState, RunResult
    from tests.support.net import free_port

    env = {**os.environ, "YUQING_HOME": str(tmp_path), "YUQING_DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
           "YUQING_ES_URL": f"http://127.0.0.1:{free_port()}"}
    upgrade(env["YUQING_DATABASE_URL"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out = run(env, "dashboard", "--port", str(port))
        assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in out and "choose a free port" in out
        assert "dashboards at" not in out
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "yuqing.cli", "dashboard", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
                time.sleep(0.3)
        assert page.status_code == 200 and "舆情" in page.text
        assert "尚无采集记录" in httpx.get(f"http://127.0.0.1:{port}/sources", timeout=5).text
        assert not (tmp_path / "crawler").exists()  # (the dashboards made no crawler state)
        at = datetime.now(UTC)  # a crawl of the same state directory, made meanwhile: its failure is shown
        CrawlState(tmp_path / "crawler" / "state.db").finish_run("demo_news", RunResult(
            started_at=at, finished_at=at, finish_reason="finished", parsed=0, new_items=0, errors=1, fetched_ok=0,
            last_error="HTTP 503 (http://127.0.0.1:8700/news/)"), 5)
        sources = httpx.get(f"http://127.0.0.1:{port}/sources", timeout=5).text
        # by its label in the shipped sources.yaml, as `yuqing dashboard` wires it, with the id beneath
        assert ('<tr class="source-failing"><td>A市新闻网<br><span class="muted">demo_news</span></td>' in sources
                and "HTTP 503" in sources)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_node_another_state_directory_started_is_named_as_such(es_node: str, tmp_path: Path) -> None:
    """With a mistyped YUQING_HOME, `es status` said running, `es stop` said "was not running", and the demo wrote
    into the other setup's node in silence."""
    import json
    from urllib.parse import urlsplit

    import httpx

    env = {"YUQING_HOME": str(tmp_path), "YUQING_ES_PORT": str(urlsplit(es_node).port), "YUQING_ES_URL": ""}
    code, out = run(env, "es", "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["health"] and status["pid"] is None
    assert "was not started from" in status["note"] and status["home"] in status["note"]
    code, out = run(env, "es", "stop")
    assert code == 1 and "was not started from this state directory" in out and "left running" in out
    assert httpx.get(f"{es_node}/_cluster/health", timeout=10).status_code == 200  # left running


def test_a_mistyped_sandbox_is_named_and_nothing_is_made(tmp_path: Path) -> None:
    """`--sandbox nosuch cases list` said there was no workflow database and made an empty sandbox folder; the
    dashboard made a database in it, and `events list` said no events match."""
    env = {"YUQING_HOME": str(tmp_path / "home")}
    assert run(env, "--sandbox", "demo", "db", "upgrade")[0] == 0
    for command in (["cases", "list"], ["events", "list"], ["notifications", "list"], ["dashboard"]):
        code, out = run(env, "--sandbox", "dem", *command)
        assert code == 2 and "there is no sandbox 'dem'" in out and "(existing: demo)" in out, out
        assert "make it first with `yuqing --sandbox dem demo`" in out, out  # not `yuqing demo`: that makes 'demo'
    assert sorted(p.name for p in (tmp_path / "home" / "sandboxes").iterdir()) == ["demo"]
    code, out = run(env, "--sandbox", "demo", "cases", "list")
    assert code == 0 and "0 case(s)" in out


@pytest.fixture
def fake_home() -> Iterator[Path]:
    """A state directory others can enter (as root the node's home must be: yuqing.es.node.default_home)."""
    import shutil
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="yuqing-test-home-"))
    home.chmod(0o755)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _process(home: Path, name: str) -> subprocess.Popen[bytes]:
    """A long-lived process in its own session, started from a script called ``name``."""
    (home / "bin").mkdir(exist_ok=True)
    script = home / "bin" / name
    script.write_text("#!/bin/sh\nsleep 600\n", encoding="utf-8")
    script.chmod(0o755)
    return subprocess.Popen([str(script)], start_new_session=True)


def _end(process: subprocess.Popen[bytes]) -> None:
    """End the script and its sleep (its process group, as `es stop` ends a node)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _node_files(home: Path, pid: int, port: int) -> None:
    """This home's node as `yuqing es start` leaves it: its pid file and its elasticsearch.yml."""
    (home / "elasticsearch" / "config").mkdir(parents=True)
    (home / "elasticsearch" / "node.pid").write_text(str(pid), encoding="utf-8")
    (home / "elasticsearch" / "config" / "elasticsearch.yml").write_text(
        f"cluster.name: yuqing-local\nhttp.port: {port}\ntransport.port: 0\n", encoding="utf-8")


def test_es_status_and_stop_name_the_port_this_homes_node_listens_on(fake_home: Path) -> None:
    """A review: YUQING_HOME repeated, YUQING_ES_PORT forgotten: `es status` showed running True, health None on the
    default port, exit 1, with no hint that the node listens on 9301."""
    node_port, used_port = _free_port(), _free_port()
    launcher = _process(fake_home, "elasticsearch")  # a stand-in launcher: `es start` records bin/elasticsearch's pid
    try:
        _node_files(fake_home, launcher.pid, node_port)
        env = {"YUQING_HOME": str(fake_home), "YUQING_ES_PORT": str(used_port), "YUQING_ES_URL": ""}
        code, out = run(env, "es", "status")
        assert code == 1
        assert (f"listens on port {node_port} (http.port in {fake_home / 'elasticsearch' / 'config' / 'elasticsearch.yml'}"
                f"), not on {used_port} (YUQING_ES_PORT): set YUQING_ES_PORT={node_port}, as when it was started") in out
        assert f"set YUQING_ES_PORT={node_port}" in json.loads(run(env, "es", "status", "--json")[1])["note"]
        code, out = run(env, "es", "stop")
        assert code == 0 and out.startswith("Elasticsearch stopped"), out
        assert f"it listened on port {node_port}, per its elasticsearch.yml, not on {used_port} (YUQING_ES_PORT)" in out
        assert launcher.wait(timeout=60) is not None  # this home's node is stopped, whatever the port
    finally:
        _end(launcher)


def test_a_pid_file_whose_pid_another_program_now_has_is_no_running_node(fake_home: Path) -> None:
    """After a reboot node.pid can name an unrelated process: `es status` said running and `es stop` would have sent
    that process's group SIGTERM."""
    other = _process(fake_home, "not-a-node")
    try:
        _node_files(fake_home, other.pid, _free_port())
        env = {"YUQING_HOME": str(fake_home), "YUQING_ES_PORT": str(_free_port()), "YUQING_ES_URL": ""}
        code, out = run(env, "es", "status")
        assert code == 1 and "running    False" in out and "not running; start it with" in out, out
        code, out = run(env, "es", "stop")
        assert code == 0 and "Elasticsearch was not running: no node started from" in out, out
        assert other.poll() is None  # left alone
    finally:
        _end(other)
