"""Servers the benchmarks run against: nginx serving static documents, or the emulator in its own process.

Both run in a separate process so that the client's CPU time is measured alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        location / {{ try_files $uri =404; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s")


def nginx_path() -> str | None:
    """The nginx binary, if installed."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


@contextlib.contextmanager
def nginx_serving(documents: Mapping[str, bytes]) -> Iterator[str]:
    """Serve ``documents`` (path under /api/v3 -> body) with nginx; yields the base URL."""
    binary = nginx_path()
    if binary is None:
        raise FileNotFoundError("nginx")
    with tempfile.TemporaryDirectory(prefix="plugchoice-bench-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # nginx workers drop root privileges and must read the files
        (root / "tmp").mkdir()
        for path, body in documents.items():
            target = root / "www" / "api" / "v3" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        port = free_port()
        (root / "nginx.conf").write_text(NGINX_CONF.format(root=root, port=port))
        proc = subprocess.Popen([binary, "-p", str(root), "-c", str(root / "nginx.conf")])
        try:
            _wait_for_port(port, proc)
            yield f"http://127.0.0.1:{port}/api/v3"
        finally:
            proc.terminate()
            proc.wait(10)


@contextlib.contextmanager
def emulator_process(
    chargers: int,
    *,
    token: str,
    rate_limit: int = 0,
    rate_period: float = 60.0,
    throttle: str = "fixed-window",
    rate_limit_headers: str = "always",
    rate_burst: int = 10,
    ignore_per_page: bool = False,
) -> Iterator[str]:
    """Run ``python -m plugchoice_async.testing`` in its own process; yields the base URL.

    ``rate_limit`` 0 means no limit; ``throttle``, ``rate_limit_headers`` and ``rate_burst`` as the command line's
    ``--throttle``, ``--rate-limit-headers`` and ``--rate-burst``; ``ignore_per_page`` serves 25 a page whatever
    ``per_page`` asks for (``--ignore-per-page``).
    """
    port = free_port()
    cmd = [
        sys.executable, "-m", "plugchoice_async.testing", "--chargers", str(chargers), "--port", str(port),
        "--token", token, "--rate-limit", str(rate_limit), "--rate-period", str(rate_period),
        "--throttle", throttle, "--rate-limit-headers", rate_limit_headers, "--rate-burst", str(rate_burst),
    ]  # fmt: skip
    if ignore_per_page:
        cmd.append("--ignore-per-page")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc, timeout=30)
        yield f"http://127.0.0.1:{port}/api/v3"
    finally:
        proc.terminate()
        proc.wait(10)
