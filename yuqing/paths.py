"""Where the project's files live: the repository, its config, its run-time state and the shared data."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent
# An installed wheel (no repository around the package) carries a copy of config/ here (see setup.py).
PACKAGED_CONFIG = Path(__file__).resolve().parent / "default_config"


def in_source_tree() -> bool:
    """Whether the package runs from the repository (a checkout, an editable install) rather than a wheel."""
    return (REPO_ROOT / "pyproject.toml").is_file()


def config_dir() -> Path:
    """The configuration directory: ``YUQING_CONFIG_DIR``, else the repository's ``config/``, else (an installed
    wheel) the copy of it the wheel carries."""
    if "YUQING_CONFIG_DIR" in os.environ:
        return Path(os.path.abspath(os.environ["YUQING_CONFIG_DIR"]))
    if not in_source_tree() and PACKAGED_CONFIG.is_dir():
        return PACKAGED_CONFIG
    return REPO_ROOT / "config"


def config_file(name: str) -> Path:
    """A configuration file as this process reads it: messages name it, not the default ``config/``, so a deployer
    whose YUQING_CONFIG_DIR points elsewhere edits the right file."""
    return config_dir() / name


def default_state_dir() -> Path:
    """``var/`` in the repository; for an installed wheel (whose package directory is no place for a database),
    ``$XDG_STATE_HOME/yuqing`` (``~/.local/state/yuqing``)."""
    if in_source_tree():
        return REPO_ROOT / "var"
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "yuqing"


class StateDirUnusable(OSError):
    """The state directory cannot be created or written; the message says which and what to do."""


# A sandbox: a simulated run (``yuqing demo``, ``yuqing replay``) keeps its own database, indices and state, so its
# cases (timed on a simulated clock, often days ahead) never mix with the deployment's real ones.
SANDBOX_ENV = "YUQING_SANDBOX"
_SANDBOX_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}")


def sandbox() -> str | None:
    """The sandbox this process works in (``YUQING_SANDBOX``; ``yuqing --sandbox NAME``), or None: the deployment."""
    name = os.environ.get(SANDBOX_ENV) or None
    if name is not None and not _SANDBOX_NAME.fullmatch(name):
        raise StateDirUnusable(f"{name!r} is no sandbox name (--sandbox or {SANDBOX_ENV}); use lower-case letters, "
                               "digits, '-' and '_' (up to 31), e.g. demo")
    return name


def command(words: str, sandbox: str | None) -> str:
    """``yuqing WORDS`` as it must be typed to act on ``sandbox`` (None: the deployment). A hint without
    ``--sandbox`` acts on the deployment, or on the sandbox ``demo``: copied, it changed another case of the same
    number (a review, 2026-11-27)."""
    return f"yuqing --sandbox {sandbox} {words}" if sandbox else f"yuqing {words}"


def command_here(words: str) -> str:
    """``yuqing WORDS`` for the sandbox this process works in: the hint an error gives acts on the same cases when
    typed as shown (``cases ack 99`` in a sandbox suggested the deployment's `yuqing cases list`)."""
    return command(words, sandbox())


@contextlib.contextmanager
def in_sandbox(name: str) -> Iterator[str]:
    """Work in the sandbox ``name`` until the block ends (the crawler's processes started inside inherit it)."""
    before = os.environ.get(SANDBOX_ENV)
    os.environ[SANDBOX_ENV] = name
    try:
        sandbox()  # a bad name is refused here, before anything is written
        yield name
    finally:
        if before is None:
            os.environ.pop(SANDBOX_ENV, None)
        else:
            os.environ[SANDBOX_ENV] = before


def sandboxes() -> list[str]:
    """The sandboxes the deployment's state directory holds (made by a demo, a replay or a run in one)."""
    folder = home_dir() / "sandboxes"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def home_dir() -> Path:
    """The deployment's state directory, sandbox or not (the Elasticsearch node lives here)."""
    return _usable(Path(os.path.abspath(os.environ.get("YUQING_HOME", default_state_dir()))))


def state_dir() -> Path:
    """Run-time state (database file, spool, caches): ``YUQING_HOME`` or ``var/`` in the repo; in a sandbox,
    ``sandboxes/NAME`` inside it."""
    name = sandbox()
    home = home_dir()
    return _usable(home / "sandboxes" / name) if name else home


class RunLockHeld(RuntimeError):
    """A `yuqing run` holds the state directory's ``run.lock``; ``holder`` is its pid as it wrote it."""

    def __init__(self, holder: str):
        super().__init__(f"a `yuqing run` (pid {holder}) holds the run lock")
        self.holder = holder


def hold_run_lock(directory: Path) -> IO[str]:
    """Take ``run.lock`` in the state directory (held while the returned file stays open), or raise RunLockHeld:
    one `yuqing run` per state directory, and nothing that must not run beside it (`yuqing db copy`)."""
    import fcntl

    handle = (directory / "run.lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise RunLockHeld(holder) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _usable(path: Path) -> Path:
    # Absolute: the Elasticsearch node runs in its own directory and read a relative home against it
    # (YUQING_HOME=../h7 → "Missing logging config file at …/h7/elasticsearch/log4j2.properties").
    where = "YUQING_HOME" if "YUQING_HOME" in os.environ else "the default"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateDirUnusable(f"the state directory {path} ({where}) cannot be created: {exc.strerror}; point "
                               "YUQING_HOME at a directory you can write") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise StateDirUnusable(f"the state directory {path} ({where}) is not writable; point YUQING_HOME at a "
                               "directory you can write, or fix its permissions")
    return path


def shared_data_dir() -> Path:
    """The externally written data set, ``../shared/data`` beside the repository (``YUQING_SHARED_DATA``)."""
    return Path(os.environ.get("YUQING_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


class SharedDataMissing(FileNotFoundError):
    """Raised when a file from ../shared/data is needed and absent."""


def shared_data_file(relative: str) -> Path:
    """Return a file of the shared data set, or say clearly that it is absent and where it was looked for."""
    path = shared_data_dir() / relative
    if not path.exists():
        raise SharedDataMissing(
            f"shared data file {relative!r} not found at {path}; place the shared data set beside the "
            "repository as ../shared/data or point YUQING_SHARED_DATA at it"
        )
    return path


def output_file_problem(path: Path) -> str | None:
    """Why a file cannot be written at ``path`` (said before any work is done), or None when it can."""
    if path.is_dir():
        return "is a directory; give a file name inside it"
    if not path.parent.is_dir():
        return f"the directory {path.parent} does not exist; create it first"
    return None


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same path, a symbolic link or a hard link to it."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return a.resolve() == b.resolve()


@contextlib.contextmanager
def replaced_on_success(path: Path) -> Iterator[IO[str]]:
    """A text file written beside ``path`` and moved onto it only when the block ends without an error, so an
    interrupted or failed run (Ctrl-C, a full disk) leaves the previous file as it was and no half-written one.
    A device or a pipe (/dev/stdout, a FIFO) is written directly: it cannot be replaced, only written to."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8", newline="") as direct:
            yield direct
        return
    path = path.resolve() if path.is_symlink() else path  # write the file a link points to; the link stays
    # The new file gets the old one's permissions, or what the umask gives a new file (mkstemp's are private).
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~current_umask()
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


class OutputUnwritable(ValueError):
    """An output file that could not be written; the message says which and that nothing was lost."""


def write_output(path: Path | None, write: Callable[[IO[str]], None]) -> None:
    """Run ``write`` on standard output (``path`` None or ``-``) or on ``path`` through ``replaced_on_success``;
    an OSError (a full disk, no permission) becomes OutputUnwritable."""
    if path is None or str(path) == "-":
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # the reader stopped reading (| head): click ends the command quietly
        except OSError as exc:
            raise OutputUnwritable(f"cannot write to standard output: {exc.strerror or exc}; what reached it may be "
                                   "cut short. Give --out FILE to write a file instead") from exc
        return
    try:
        with replaced_on_success(path) as target:
            write(target)
    except OSError as exc:
        raise OutputUnwritable(f"cannot write {path}: {exc.strerror or exc}; nothing was written there (a file "
                               "already there is unchanged)") from exc


def current_umask() -> int:
    """The process's file-creation mask (reading it means setting it; it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
