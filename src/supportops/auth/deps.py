"""Request dependencies: who is calling (bearer token or browser session) and the unit of work."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from supportops.auth import service
from supportops.auth.principal import Principal
from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import Clock
from supportops.kit.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "supportops_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AppState:
    db: Database
    clock: Clock
    settings: Settings


def app_state(request: Request) -> AppState:
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
    with state.db.unit_of_work(write=False) as session:
        if token is not None:
            return service.authenticate_token(session, secret=token, now=now), None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            identity = service.authenticate_session(session, secret=cookie, now=now)
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent, identity.csrf_token):
                    raise Forbidden("Missing or wrong CSRF token; reload the page and try again.")
            return identity.principal, identity.csrf_token
    raise Unauthenticated("Sign in, or send an API token as 'Authorization: Bearer <token>'.")


def current_ctx(request: Request, state: Annotated[AppState, Depends(app_state)]) -> Ctx:
    principal, csrf = authenticate(request, state)
    return Ctx(principal=principal, state=state, csrf_token=csrf)


CurrentCtx = Annotated[Ctx, Depends(current_ctx)]
State = Annotated[AppState, Depends(app_state)]
