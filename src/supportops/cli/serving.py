"""The HTTP processes of ``supportops serve``.

One process serves on its own. Several (``serve --workers N``) each listen on a socket of their
own, bound to the same address with ``SO_REUSEPORT``, and the kernel spreads new connections over
them by a hash of each connection's addresses. On one listening socket shared by all processes,
whichever process wakes first accepts every connection waiting: a client that opens its
connections together (a reverse proxy's pool of keep-alive connections, a load test) ends up with
all of them in one process while the others idle. docs/benchmarks.md has the measurements.

The parent process only supervises. It holds the address (bound, never listening, so that no
connection waits on it, and so that a second server cannot start on the same port), starts another
HTTP process when one dies, and on SIGINT or SIGTERM stops them all. A process that keeps ending
right after it started is not started again: the server stops with an error instead of looping.
Each HTTP process's event loop notes the time every second in memory it shares with the supervisor;
a process whose loop has not run for ``hang_seconds`` (stuck in a handler that never returns, or
stopped) is killed and replaced like one that died. Only Linux spreads connections over sockets
bound with ``SO_REUSEPORT`` (the BSDs and macOS accept the option without balancing); elsewhere the
processes share one socket.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("uvicorn.error")

QUICK_END_SECONDS = 10.0
"""An HTTP process that ends sooner than this after it started counts as a failed start."""
FAILED_STARTS_ALLOWED = 3
"""Failed starts in a row, over all processes, after which the server gives up."""
STOP_GRACE_SECONDS = 20.0
"""How long a stopping HTTP process may finish its requests before it is killed."""
BEAT_SECONDS = 1.0
"""How often an HTTP process's event loop notes that it runs."""
STARTUP_SECONDS = 120.0
"""How long a new HTTP process may take to start serving (and to note its first beat)."""


SPREADS_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
"""Whether the kernel spreads connections over sockets bound with ``SO_REUSEPORT``."""


class AddressInUse(Exception):
    """Something else listens on the address."""


class ProcessesFailed(Exception):
    """HTTP processes kept ending right after they started."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bind(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _BeatingServer(uvicorn.Server):
    """uvicorn's server, whose event loop writes ``time.monotonic()`` (one clock for every process
    of the machine) into ``beat`` every :data:`BEAT_SECONDS` while it serves."""

    def __init__(self, config: uvicorn.Config, beat: Synchronized[float]) -> None:
        super().__init__(config)
        self.beat = beat
        self._ticker: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self._ticker = asyncio.get_running_loop().create_task(self._beating())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        await super().shutdown(sockets)

    async def _beating(self) -> None:
        while True:
            self.beat.value = time.monotonic()
            await asyncio.sleep(BEAT_SECONDS)


def _serve_one(app: str, host: str, port: int, options: dict[str, Any], beat: Synchronized[float]) -> None:
    """One HTTP process: a listening socket of its own in the address's group, then uvicorn."""
    sock = _bind(host, port, reuse_port=True)
    _BeatingServer(uvicorn.Config(app, host=host, port=port, **options), beat).run(sockets=[sock])


class _Supervisor:
    def __init__(
        self, app: str, host: str, port: int, workers: int, options: dict[str, Any], hang_seconds: float
    ) -> None:
        self.args = (app, host, port, options)
        self.workers = workers
        self.hang_seconds = hang_seconds
        self.context = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()
        self.processes: list[BaseProcess] = []
        # id(process) -> when it started, and its last beat (0: none yet)
        self.started: dict[int, tuple[float, Synchronized[float]]] = {}
        self.failed_starts = 0

    def _start(self) -> BaseProcess:
        beat: Synchronized[float] = self.context.Value("d", 0.0, lock=False)
        process = self.context.Process(target=_serve_one, args=(*self.args, beat), name="supportops-http")
        process.start()
        self.started[id(process)] = (time.monotonic(), beat)
        return process

    def _kill_hung(self) -> None:
        """Kill each HTTP process whose event loop has not run for ``hang_seconds``; it is replaced
        as one that died."""
        if not self.hang_seconds:
            return
        now = time.monotonic()
        for process in self.processes:
            started, beating = self.started[id(process)]
            beat = beating.value
            since = now - (beat or started)
            allowed = self.hang_seconds if beat else max(self.hang_seconds, STARTUP_SECONDS)
            if since > allowed and process.is_alive():
                log.error(
                    "HTTP process %s has not run its event loop for %.0f s; killing it", process.pid, since
                )
                process.kill()
                process.join()

    def _replace_ended(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive() or self.stopping.is_set():
                continue
            lived = time.monotonic() - self.started.pop(id(process))[0]
            self.failed_starts = self.failed_starts + 1 if lived < QUICK_END_SECONDS else 0
            if self.failed_starts >= FAILED_STARTS_ALLOWED:
                raise ProcessesFailed(
                    f"HTTP processes ended right after starting {self.failed_starts} times in a row "
                    f"(the last with exit code {process.exitcode}); see the messages above"
                )
            log.warning(
                "HTTP process %s ended with exit code %s; starting another", process.pid, process.exitcode
            )
            self.processes[index] = self._start()

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("HTTP process %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()

    def run(self) -> None:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping.set()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._start() for _ in range(self.workers)]
            while not self.stopping.wait(0.5):
                self._kill_hung()
                self._replace_ended()
        finally:
            self.stopping.set()
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(
    app: str, *, host: str, port: int, workers: int, hang_seconds: float = 60.0, **options: Any
) -> None:
    """Serve the ASGI application factory ``app`` ("module:function") with ``workers`` processes
    until SIGINT or SIGTERM. With several processes on Linux, one whose event loop has not run for
    ``hang_seconds`` (0: never) is replaced. Raises :class:`AddressInUse` when the address is taken
    and :class:`ProcessesFailed` when the HTTP processes cannot stay up."""
    options = {"factory": True, **options}
    if workers == 1 or not SPREADS_CONNECTIONS:
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    try:
        # Bound without SO_REUSEPORT first, so that a server already listening here (another
        # supportops among them) is refused rather than joined.
        _bind(host, port, reuse_port=False).close()
        holder = _bind(host, port, reuse_port=True)
    except OSError as exc:
        raise AddressInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    uvicorn.Config(app, **options)  # configures logging: the supervisor's messages come out as uvicorn's
    try:
        _Supervisor(app, host, port, workers, options, hang_seconds).run()
    finally:
        holder.close()
