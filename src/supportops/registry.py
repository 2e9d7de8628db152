"""Import every domain's models, job handlers and event handlers, so that the metadata and the
registries are complete wherever the app, the worker or the migrations start."""

from __future__ import annotations

from supportops.auth import models as auth_models
from supportops.db.base import Base
from supportops.jobs import models as job_models
from supportops.notifications import models as notification_models
from supportops.routing import assignment as routing_assignment
from supportops.routing import escalation as routing_escalation
from supportops.routing import models as routing_models
from supportops.sla import admin as sla_admin
from supportops.sla import handlers as sla_handlers
from supportops.sla import models as sla_models
from supportops.tickets import models as ticket_models
from supportops.tickets import service as ticket_service
from supportops.triage import handlers as triage_handlers
from supportops.triage import models as triage_models

LOADED = (
    auth_models,
    job_models,
    ticket_models,
    ticket_service,
    sla_models,
    sla_handlers,
    sla_admin,
    notification_models,
    routing_models,
    routing_escalation,
    routing_assignment,
    triage_models,
    triage_handlers,
)

metadata = Base.metadata
