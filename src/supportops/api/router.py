"""Assemble the /api/v1 router from each domain's routes. Every route authenticates."""

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

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(tickets)
api_router.include_router(accounts)
api_router.include_router(sla)
api_router.include_router(notifications)
api_router.include_router(agents)
api_router.include_router(handoffs)
api_router.include_router(reports_router)
api_router.include_router(triage)
api_router.include_router(metrics)
api_router.include_router(ticket_surveys)
api_router.include_router(knowledge)
api_router.include_router(ticket_knowledge)
api_router.include_router(macros)
api_router.include_router(ticket_macros)
api_router.include_router(surveys)  # answered through a signed link, without a login
