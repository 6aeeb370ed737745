"""The production front (deploy/nginx.conf) keeps slow clients away from gunicorn.

Starts gunicorn and Debian's nginx on loopback with the shipped configuration (only the
ports changed), opens 50 connections that send half a request and stop, and asks for
/healthz. Everything is started and stopped here, and every wait has a deadline.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.database import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SLOW_CLIENTS = 50
ANSWER_WITHIN = 1.0


@dataclass(frozen=True)
class Front:
    nginx_port: int
    gunicorn_port: int


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_health(port: int, process: subprocess.Popen[bytes], within: float = 60.0) -> None:
    """Until /healthz answers: gunicorn listens before its worker has loaded the app."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"/healthz on {port} did not answer within {within} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def nginx_config(directory: Path, nginx_port: int, gunicorn_port: int) -> Path:
    site = SITE.read_text(encoding="utf-8")
    assert "server 127.0.0.1:8000;" in site and "listen 80;" in site
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{gunicorn_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    site = site.replace("listen [::]:80;", "")
    (directory / "pufa.conf").write_text(site, encoding="utf-8")
    # What /etc/nginx/nginx.conf gives the site on a Debian box, in a private directory.
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx.conf"
    main.write_text(
        f"""{user}
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
{temp}
    include {directory / "pufa.conf"};
}}
""",
        encoding="utf-8",
    )
    return main


@pytest.fixture(scope="module")
def front(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing (apt-get install -y nginx; .ci/run does)")
        pytest.skip("nginx is not installed")
    directory = tmp_path_factory.mktemp("front")
    gunicorn_port, nginx_port = free_port(), free_port()
    env = {
        **os.environ,
        "PUFA_ENV": "test",
        "PUFA_INSTANCE_DIR": str(directory / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "PUFA_PROXY_COUNT": "1",
        "PUFA_LOG_LEVEL": "ERROR",
    }
    bind = ["--bind", f"127.0.0.1:{gunicorn_port}", "service.wsgi:app"]
    # Few threads on purpose: what matters is that slow clients never reach them.
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", *bind],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx = None
    try:
        wait_for_health(gunicorn_port, gunicorn)
        main = nginx_config(directory, nginx_port, gunicorn_port)
        options = ["-p", str(directory), "-e", str(directory / "error.log"), "-c", str(main)]
        checked = subprocess.run(
            [NGINX, "-t", *options],
            capture_output=True,
            timeout=30,
        )
        assert checked.returncode == 0, checked.stderr.decode()
        nginx = subprocess.Popen(
            [NGINX, *options, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_health(nginx_port, nginx)
        # Warm: each of gunicorn's threads has answered once (and holds a database
        # connection), so the timings below measure waiting, not a cold start.
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda _: healthz_seconds(nginx_port, within=10.0), range(8)))
        yield Front(nginx_port=nginx_port, gunicorn_port=gunicorn_port)
    finally:
        if nginx is not None:
            stop(nginx)
        stop(gunicorn)


def slow_clients(port: int, count: int) -> list[socket.socket]:
    """Connections that each send part of a request and then nothing: half stop inside
    the headers, half promise a body and never send it."""
    opened = []
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if n % 2:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: pufa.example.test\r\nX-Slow: ")
        else:
            sock.sendall(
                b"POST /api/v1/people HTTP/1.1\r\nHost: pufa.example.test\r\n"
                b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"
            )
        opened.append(sock)
    return opened


def healthz_seconds(port: int, within: float = ANSWER_WITHIN) -> float:
    """How long /healthz took to answer 200; ``within`` or more means it did not."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=within)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    except TimeoutError:
        return within
    finally:
        connection.close()
    return time.monotonic() - started


def test_fifty_slow_clients_leave_healthz_answering_within_a_second_behind_nginx(
    front: Front,
) -> None:
    clients = slow_clients(front.nginx_port, SLOW_CLIENTS)
    try:
        time.sleep(0.2)  # let nginx take them all in
        timings = [healthz_seconds(front.nginx_port) for _ in range(5)]
    finally:
        for sock in clients:
            sock.close()
    assert max(timings) < ANSWER_WITHIN, timings


def test_the_same_slow_clients_straight_at_gunicorn_stall_it(front: Front) -> None:
    # Why the front is needed: without it, eight such clients hold all four threads.
    clients = slow_clients(front.gunicorn_port, 8)
    try:
        time.sleep(0.2)
        stalled = healthz_seconds(front.gunicorn_port)
    finally:
        for sock in clients:
            sock.close()
    assert stalled >= ANSWER_WITHIN
