"""The /api/v1 routers of every domain, in the order a request is matched against them. Every route
authenticates."""

from __future__ import annotations

from fastapi import APIRouter

from supportops.auth.routes import router as accounts
from supportops.knowledge.routes import router as knowledge
from supportops.knowledge.routes import ticket_router as ticket_knowledge
from supportops.macros.routes import router as macros
from supportops.macros.routes import ticket_router as ticket_macros
from supportops.metrics.routes import router as metrics
from supportops.notifications.routes import router as notifications
from supportops.routing.routes import handoffs, reports_router
from supportops.routing.routes import router as agents
from supportops.sla.routes import router as sla
from supportops.surveys.routes import router as surveys
from supportops.surveys.routes import ticket_router as ticket_surveys
from supportops.tickets.routes import router as tickets
from supportops.triage.routes import router as triage

API_PREFIX = "/api/v1"

# Included one by one into the app under API_PREFIX rather than through one /api/v1 router: a request
# is matched against a flat list of routers instead of a tree walked twice per request, which on
# ticket creation was a quarter of the application's time.
api_routers: tuple[APIRouter, ...] = (
    tickets,
    accounts,
    sla,
    notifications,
    agents,
    handoffs,
    reports_router,
    triage,
    metrics,
    ticket_surveys,
    knowledge,
    ticket_knowledge,
    macros,
    ticket_macros,
    surveys,  # answered through a signed link, without a login
)
