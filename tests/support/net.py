"""Free ports, a threaded HTTP server base, and scheduled faults shared by the local stand-ins."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def free_port() -> int:
    """A port nobody listens on right now (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def real_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Fault:
    """Answer requests wrongly: a status (with headers/body), or bytes that are not HTTP at all.

    Active while ``calls`` remain (None: unlimited) and the clock is before ``until`` (None: no end).
    ``targets`` limits it to some Slack methods or paths; ``after_effect`` does the work first and
    then fails, the ambiguous case where the sender cannot know that its request arrived.
    """

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"Internal Server Error"
    content_type: str = "text/plain; charset=utf-8"
    garbage: bool = False
    calls: int | None = None
    until: datetime | None = None
    targets: tuple[str, ...] | None = None
    after_effect: bool = False
    hits: int = 0

    def applies(self, target: str, now: datetime) -> bool:
        if self.targets is not None and target not in self.targets:
            return False
        if self.until is not None and now >= self.until:
            return False
        return self.calls is None or self.calls > 0


class FaultPlan:
    """The faults a server will show, in order; thread-safe."""

    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, target: str) -> Fault | None:
        """The fault to show for this request, counting it; None to answer normally."""
        now = self._clock()
        with self._lock:
            for fault in self._faults:
                if fault.applies(target, now):
                    fault.hits += 1
                    if fault.calls is not None:
                        fault.calls -= 1
                    return fault
        return None


class LocalHttpServer:
    """A ThreadingHTTPServer on 127.0.0.1 and a free port, as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self._handler = handler
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() or use it in a with block")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        server.daemon_threads = True
        server.owner = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class JsonHandler(BaseHTTPRequestHandler):
    """Request handler helpers: the owning server object, JSON replies, faults, quiet logs."""

    protocol_version = "HTTP/1.1"

    @property
    def owner(self) -> Any:
        return self.server.owner  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        return

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes | dict[str, Any] | list[Any], headers: Iterable[tuple[str, str]] = (),
              content_type: str = "application/json; charset=utf-8") -> None:
        import json

        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def reply_fault(self, fault: Fault) -> None:
        if fault.garbage:
            self.wfile.write(b"\x00\x17yuqing-test garbage, not HTTP \xff\xfe\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
            return
        self.reply(fault.status, fault.body, headers=fault.headers.items(), content_type=fault.content_type)
