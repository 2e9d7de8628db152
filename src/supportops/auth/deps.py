"""Request dependencies: who is calling (bearer token or browser session) and the unit of work."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from supportops.auth import service
from supportops.auth.passwords import digest
from supportops.auth.principal import VISITOR, Principal
from supportops.config import Settings
from supportops.db.batching import WriteBatcher
from supportops.db.session import Database
from supportops.kit.clock import Clock
from supportops.kit.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "supportops_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenCache:
    """Principals of recently seen API tokens, for a few seconds, so that a request costs one
    database round trip instead of two. Revoking a token through this process forgets it at once;
    other processes notice a revocation or a role change within ``ttl`` seconds."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Principal, datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token_hash: str, now: datetime) -> Principal | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            fresh_until, principal, expires_at = entry
            if fresh_until < time.monotonic() or (expires_at is not None and expires_at <= now):
                del self._entries[token_hash]
                return None
            return principal

    def put(self, token_hash: str, principal: Principal, expires_at: datetime | None) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries[token_hash] = (time.monotonic() + self.ttl, principal, expires_at)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_all(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class AppState:
    db: Database
    clock: Clock
    settings: Settings
    writer: WriteBatcher
    token_cache: TokenCache = field(default_factory=lambda: TokenCache(ttl=0))
    ready: threading.Event = field(default_factory=threading.Event)
    """Set once the process has warmed up (``/readyz`` answers 200 from then on)."""


async def app_state(request: Request) -> AppState:
    """Async so that resolving it costs no hop to the thread pool."""
    state: AppState = request.app.state.supportops
    return state


@dataclass(frozen=True)
class Ctx:
    """What a route needs: the caller, the time, and transactions it commits before responding."""

    principal: Principal
    state: AppState
    csrf_token: str | None = None

    @property
    def now(self) -> datetime:
        return self.state.clock.now()

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.state.db.unit_of_work(write=True) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.state.db.unit_of_work(write=False) as session:
            yield session

    @contextmanager
    def rows(self) -> Iterator[Connection]:
        """A reading unit of work without an ORM session (see ``Database.rows``)."""
        with self.state.db.rows() as connection:
            yield connection


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("Use 'Authorization: Bearer <token>' with an API token.")
    return value.strip()


def authenticate(request: Request, state: AppState) -> tuple[Principal, str | None]:
    now = state.clock.now()
    token = _bearer(request)
    if token is not None:
        token_hash = digest(token)
        cached = state.token_cache.get(token_hash, now)
        if cached is not None:
            return cached, None
    with state.db.unit_of_work(write=False) as session:
        if token is not None:
            found = service.authenticate_token_with_expiry(session, secret=token, now=now)
            state.token_cache.put(token_hash, found.principal, found.expires_at)
            return found.principal, None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            identity = service.authenticate_session(session, secret=cookie, now=now)
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent, identity.csrf_token):
                    raise Forbidden("Missing or wrong CSRF token; reload the page and try again.")
            return identity.principal, identity.csrf_token
    raise Unauthenticated("Sign in, or send an API token as 'Authorization: Bearer <token>'.")


async def current_ctx(request: Request) -> Ctx:
    """Runs on the event loop: a cached token needs no I/O, and a lookup is one indexed read. The app
    state is read here rather than through a sub-dependency: every call routes through this one, and
    each level of dependencies costs the request a resolution of its own."""
    state: AppState = request.app.state.supportops
    principal, csrf = authenticate(request, state)
    return Ctx(principal=principal, state=state, csrf_token=csrf)


async def visitor_ctx(request: Request) -> Ctx:
    """Who is calling, where a signed-out portal visitor may call too: with no credentials at all the
    caller is :data:`VISITOR`; credentials that are sent must be valid."""
    state: AppState = request.app.state.supportops
    if request.headers.get("authorization") is None and not request.cookies.get(SESSION_COOKIE):
        return Ctx(principal=VISITOR, state=state)
    principal, csrf = authenticate(request, state)
    return Ctx(principal=principal, state=state, csrf_token=csrf)


CurrentCtx = Annotated[Ctx, Depends(current_ctx)]
VisitorCtx = Annotated[Ctx, Depends(visitor_ctx)]
State = Annotated[AppState, Depends(app_state)]
