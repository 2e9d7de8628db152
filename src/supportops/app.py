"""create_app: the one place the HTTP application is assembled."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from supportops import __version__, registry
from supportops.api import errors
from supportops.api.router import API_PREFIX, api_routers
from supportops.auth.deps import AppState, TokenCache
from supportops.config import Settings, get_settings
from supportops.db import writer
from supportops.db.batching import WriteBatcher
from supportops.db.session import Database
from supportops.jobs.worker import Worker
from supportops.kit import longlived
from supportops.kit.clock import Clock, SystemClock
from supportops.knowledge import service as kb
from supportops.surveys import jobs as survey_jobs
from supportops.web.admin import router as web_admin
from supportops.web.admin_pages import router as web_admin_pages
from supportops.web.agents import router as web_agents
from supportops.web.dashboard import router as web_dashboard
from supportops.web.kb import router as web_kb
from supportops.web.macros import router as web_macros
from supportops.web.pages import mount as mount_web
from supportops.web.queue import router as web_queue
from supportops.web.surveys import router as web_surveys
from supportops.web.timer import router as web_timer

log = logging.getLogger(__name__)


def serve_app() -> FastAPI:
    """The application of ``supportops serve`` (one per HTTP process): it warms up and then
    settles its long-lived objects (see :mod:`supportops.kit.longlived`), and hands its group
    commits to the writer process where serve started one."""
    return create_app(warm_up=True, writer_process=True)


def _settle(db: Database, ready: threading.Event) -> None:
    """Build the suggestion index before the first request needs it, then freeze what the process
    keeps for good, and say the process is ready."""
    try:
        with db.unit_of_work(write=False) as session:
            kb.warm_index(session)
    except Exception:  # the first request builds it instead
        log.exception("warming up the suggestion index failed")
    longlived.enable()
    ready.set()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    run_worker: bool | None = None,
    warm_up: bool = False,
    writer_process: bool = False,
) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    db = db or Database.from_url(settings.database_url)
    start_worker = settings.run_worker_in_serve if run_worker is None else run_worker
    assert registry.LOADED

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = Worker(db, clock=clock, poll_seconds=settings.worker_poll_seconds) if start_worker else None
        if worker is not None:
            with db.unit_of_work() as session:  # recurring jobs start with the worker
                survey_jobs.ensure_scheduled(session, now=clock.now())
            worker.start_thread()
        if warm_up:
            # A request's matrix products are small (a query against 10,000 articles): a second
            # BLAS thread saves nothing and costs a wake-up, up to 5 ms per product on a busy machine.
            threadpool_limits(limits=1, user_api="blas")
            threading.Thread(target=_settle, args=(db, state.ready), name="warm-up", daemon=True).start()
        else:
            state.ready.set()
        try:
            yield
        finally:
            state.writer.close()
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="supportops",
        version=__version__,
        description="Support operations platform: tickets, SLAs, routing, knowledge and metrics.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        # supportops exports no OpenTelemetry data; switched off, a request skips the check of
        # whether a tracer, meter or logger provider has been configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    remote = writer.RemoteWriter.from_environment(db, settings) if writer_process else None
    state = AppState(
        db=db,
        clock=clock,
        settings=settings,
        writer=remote or WriteBatcher(db),
        token_cache=TokenCache(ttl=settings.token_cache_seconds),
    )
    app.state.supportops = state
    errors.install(app)
    for router in api_routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web_admin)
    app.include_router(web_admin_pages)
    app.include_router(web_agents)
    app.include_router(web_surveys)
    app.include_router(web_timer)
    app.include_router(web_dashboard)
    app.include_router(web_kb)
    app.include_router(web_macros)
    app.include_router(web_queue)
    mount_web(app)
    return app
