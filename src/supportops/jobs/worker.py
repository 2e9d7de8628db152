"""The worker loop: runs due jobs, then sleeps until the next one is due or the poll interval ends."""

from __future__ import annotations

import logging
import os
import socket
import threading

from supportops.db.session import Database
from supportops.jobs.service import next_due, run_due
from supportops.kit.clock import Clock

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    def __init__(self, db: Database, *, clock: Clock, poll_seconds: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.name = worker_name()
        self.stopping = threading.Event()

    def run_once(self) -> int:
        report = run_due(self.db, clock=self.clock, worker=self.name)
        return report.done + report.failed

    def run(self) -> None:
        log.info("worker %s started", self.name)
        while not self.stopping.is_set():
            try:
                if self.run_once():
                    continue
                wait = self.poll_seconds
                upcoming = next_due(self.db)
                if upcoming is not None:
                    wait = max(0.0, min(wait, (upcoming - self.clock.now()).total_seconds()))
            except Exception:
                log.exception("worker loop error; retrying")
                wait = self.poll_seconds
            self.stopping.wait(wait)
        log.info("worker %s stopped", self.name)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="supportops-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
