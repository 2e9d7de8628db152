"""`supportops serve --workers N`: each HTTP process listens on a socket of its own, connections
spread over all of them, a process that dies is replaced, and a taken address is refused."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from supportops.cli import serving

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists() or not hasattr(socket, "SO_REUSEPORT"),
    reason="the processes' sockets are read from Linux's /proc",
)

ESTABLISHED, LISTEN = "01", "0A"
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:  # the process ended meanwhile
        pass
    return inodes


def _tcp_on_port(port: int) -> dict[str, str]:
    """inode -> state of the IPv4 sockets whose local port is ``port``."""
    states = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            states[fields[9]] = fields[3]
    return states


def _http_processes(server: int, port: int) -> dict[int, dict[str, int]]:
    """The server's children that listen on ``port``, with how many sockets they hold per state."""
    states = _tcp_on_port(port)
    found: dict[int, dict[str, int]] = {}
    for pid in _children(server):
        held = [states[i] for i in _socket_inodes(pid) if i in states]
        if LISTEN in held:
            found[pid] = {state: held.count(state) for state in set(held)}
    return found


def _serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "supportops.cli.main", "serve", "--port", str(port), "--workers", "2"]


def _wait_until(predicate: Callable[[], T], what: str, seconds: float = 60) -> T:
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.1)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def served_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "served.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@contextlib.contextmanager
def _two_processes(served_url: str, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments
        [*_serve_command(port), "--no-worker"],
        env={**os.environ, "SUPPORTOPS_DATABASE_URL": served_url, **env},
    )
    try:
        _wait_until(
            lambda: server.poll() is not None or _healthy(f"http://127.0.0.1:{port}"), "serve to answer"
        )
        assert server.poll() is None, "serve ended"
        _wait_until(lambda: len(_http_processes(server.pid, port)) == 2, "two HTTP processes listening")
        yield server, port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


@pytest.fixture
def two_processes(served_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    with _two_processes(served_url) as served:
        yield served


def _replaced(server: subprocess.Popen[bytes], port: int, victim: int) -> set[int]:
    """The HTTP processes once ``victim`` is gone and another listens in its place."""
    return _wait_until(
        lambda: (lambda found: found if len(found) == 2 and victim not in found else None)(
            set(_http_processes(server.pid, port))
        ),
        "a new HTTP process",
    )


def _open_served_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` keep-alive connections opened together, each answered once (so accepted)."""
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for conn in connections:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    for conn in connections:
        conn.settimeout(10)
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
    return connections


def test_connections_opened_together_spread_over_the_processes(
    two_processes: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = two_processes
    connections = _open_served_connections(port, 64)
    try:
        held = _http_processes(server.pid, port)
    finally:
        for conn in connections:
            conn.close()
    counts = sorted(states.get(ESTABLISHED, 0) for states in held.values())
    # By a hash of the addresses: 32 each on average, fewer than 16 in one about once in 30,000 runs.
    # On one shared socket the first process to wake took them all (64 and 0). A process closes a
    # connection left idle for 5 s, which on a busy machine can happen to the first ones answered
    # before the count is taken (63 seen once): a few may be missing, not more.
    assert len(counts) == 2 and sum(counts) >= 56 and counts[0] >= 16, counts

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    assert not _children(server.pid)


def test_a_process_that_dies_is_replaced(two_processes: tuple[subprocess.Popen[bytes], int]) -> None:
    server, port = two_processes
    first = set(_http_processes(server.pid, port))
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    now = _replaced(server, port, victim)
    assert now & first == first - {victim}
    connections = _open_served_connections(port, 16)  # both processes answer
    for conn in connections:
        conn.close()


def test_a_process_whose_event_loop_stops_running_is_replaced(served_url: str) -> None:
    with _two_processes(served_url, SUPPORTOPS_HTTP_HANG_SECONDS="3") as (server, port):
        first = set(_http_processes(server.pid, port))
        time.sleep(4)  # serving and beating: none is taken for hung
        assert set(_http_processes(server.pid, port)) == first
        victim = min(first)
        os.kill(victim, signal.SIGSTOP)  # alive, holding its socket, running nothing
        stopped = time.monotonic()
        now = _replaced(server, port, victim)
        assert time.monotonic() - stopped >= 2.5
        assert now & first == first - {victim}
        with pytest.raises(ProcessLookupError):  # killed and reaped, not left stopped
            os.kill(victim, 0)
        connections = _open_served_connections(port, 16)
        for conn in connections:
            conn.close()


def test_a_taken_address_is_refused_with_a_clear_error(served_url: str) -> None:
    port = _free_port()
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        env = {**os.environ, "SUPPORTOPS_DATABASE_URL": served_url}
        result = subprocess.run(  # noqa: S603 - this interpreter, our arguments
            [*_serve_command(port), "--no-worker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2  # the command line's usage-error code
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_processes_that_cannot_start_stop_the_server() -> None:
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(serving.ProcessesFailed, match="ended right after starting 3 times"):
        serving.serve(
            "supportops.no_such_module:app", host="127.0.0.1", port=port, workers=2, log_level="critical"
        )
    assert time.monotonic() - started < 60
    # The address is free again.
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))
