"""A real ``redis-server`` for the tests: no fakeredis.

``RedisServer`` runs ``redis-server`` as a child process on a free loopback port, with no
persistence and its files in a temporary folder. A test may ``stop()`` it to see how the
code copes with Redis going away, then ``start()`` it again on the same port.

Fixtures (imported into ``tests/conftest.py``):

- ``redis_server`` (session): one server for the whole run.
- ``redis_url`` (function): that server's URL, after FLUSHALL, so each test starts empty.
- ``fresh_redis_server`` (function): a server of the test's own, free to stop and restart.

Without the ``redis-server`` binary they skip, naming what is missing; ``scripts/test``
installs the Debian package ``redis-server`` first. The fixtures are synchronous
(subprocess and sockets): no event loop is shared across pytest-asyncio's loop scopes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

REDIS_SERVER_MISSING = "redis-server is not installed: run scripts/test, which installs the Debian package redis-server"
HOST = "127.0.0.1"

_live_servers: weakref.WeakSet[RedisServer] = weakref.WeakSet()


class RedisServerError(RuntimeError):
    """``redis-server`` did not start, or did not answer as expected."""


def find_redis_server() -> str | None:
    """The ``redis-server`` binary on PATH (or Debian's ``/usr/bin/redis-server``), or ``None``."""
    found = shutil.which("redis-server")
    if found is None and os.access("/usr/bin/redis-server", os.X_OK):
        found = "/usr/bin/redis-server"
    return found


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """Send one command in RESP to the server on ``port``.

    Returns a bulk string's payload, or the whole first line (``+OK``, ``-ERR ...``) of any other reply.
    """
    request = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(arg.encode())}\r\n".encode() + arg.encode() + b"\r\n" for arg in args
    )
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request)
        reply = b""
        while True:
            head, sep, rest = reply.partition(b"\r\n")
            if sep and not head.startswith(b"$"):
                return head
            if sep and int(head[1:]) < 0:
                return b""
            if sep and len(rest) >= int(head[1:]) + 2:
                return rest[: int(head[1:])]
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"redis on port {port} closed the connection; partial reply {reply!r}")
            reply += chunk


def _server_pid(port: int, timeout: float = 0.5) -> int | None:
    """The process id of the redis-server answering on ``port`` (from INFO), or ``None`` if it answers otherwise."""
    if _command(port, "PING", timeout=timeout) != b"+PONG":
        return None
    for line in _command(port, "INFO", "server", timeout=timeout).decode(errors="replace").splitlines():
        if line.startswith("process_id:"):
            return int(line.partition(":")[2])
    return None


class RedisServer:
    """A ``redis-server`` child process on ``127.0.0.1``; ``start()``/``stop()`` may be repeated."""

    def __init__(
        self,
        workdir: Path,
        *,
        binary: str | None = None,
        port: int | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        found = binary or find_redis_server()
        if found is None:
            raise RedisServerError(REDIS_SERVER_MISSING)
        self.binary = found
        self.workdir = Path(workdir)
        self.startup_timeout = startup_timeout
        self._port = port
        self._port_fixed = port is not None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "redis-server.log"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RedisServerError("the server has not been started yet: no port chosen")
        return self._port

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> RedisServer:
        """Start the server (on the same port as before, if it ran already) and wait for PING."""
        if self.running:
            return self
        self._reap()
        self.workdir.mkdir(parents=True, exist_ok=True)
        # A port picked here may be taken by someone else before redis binds it: pick again then.
        tries = 1 if self._port_fixed else 3
        for attempt in range(1, tries + 1):
            if self._port is None:
                self._port = free_port()
            try:
                self._spawn_and_wait()
            except RedisServerError:
                if attempt == tries or "Address already in use" not in self._log_tail():
                    raise
                self._port = None
            else:
                # From now on the port stays: a restart comes back where clients expect it.
                self._port_fixed = True
                return self
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn_and_wait(self) -> None:
        port = self.port
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed by stop()/_reap()
        self._log.write(f"--- starting redis-server on {HOST}:{port}\n".encode())
        self._log.flush()
        # Every option is given here so that no config file or Debian default takes part;
        # --save "" and --appendonly no: nothing persists, a restart comes back empty.
        options = {
            "--bind": HOST,
            "--port": str(port),
            "--save": "",
            "--appendonly": "no",
            "--dir": str(self.workdir),
            "--daemonize": "no",
            "--logfile": "",  # log to stdout, which goes to log_path
        }
        self._process = subprocess.Popen(
            [self.binary, *(word for option in options.items() for word in option)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        _live_servers.add(self)
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._reap()
                raise RedisServerError(
                    f"redis-server exited with code {code} while starting on port {port}; its log:\n{self._log_tail()}"
                )
            try:
                pid = _server_pid(port)
            except OSError as exc:
                last_error = repr(exc)
            else:
                # Another server on this port may answer before ours fails to bind: only ours will do.
                if pid == self._process.pid:
                    return
                last_error = f"the server answering PING on port {port} is process {pid}, not ours"
            if time.monotonic() >= deadline:
                self.stop()
                raise RedisServerError(
                    f"redis-server did not answer PING on port {port} within {self.startup_timeout:g} s "
                    f"({last_error}); its log:\n{self._log_tail()}"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Terminate the server and wait for it; does nothing if it is not running."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._reap()

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        _live_servers.discard(self)

    def _log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def flushall(self) -> None:
        """Empty every database of the server."""
        reply = _command(self.port, "FLUSHALL")
        if reply != b"+OK":
            raise RedisServerError(f"FLUSHALL answered {reply!r}")

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<RedisServer {HOST}:{self._port} {state}>"


@atexit.register
def _stop_leftover_servers() -> None:
    """No redis-server outlives the test run, even one whose fixture never got to tear down."""
    for server in list(_live_servers):
        server.stop()


def _require_redis_server() -> str:
    binary = find_redis_server()
    if binary is None:
        pytest.skip(REDIS_SERVER_MISSING)
    return binary


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One ``redis-server`` for the whole session (use ``redis_url`` for a flushed one)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), binary=_require_redis_server())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL (``redis://127.0.0.1:PORT/0``), emptied by FLUSHALL for this test."""
    if not redis_server.running:  # a test stopped the shared server: bring it back
        redis_server.start()
    redis_server.flushall()
    return redis_server.url


@pytest.fixture
def fresh_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running ``redis-server`` of this test's own: it may ``stop()`` and ``start()`` it."""
    server = RedisServer(tmp_path / "redis", binary=_require_redis_server())
    server.start()
    try:
        yield server
    finally:
        server.stop()
