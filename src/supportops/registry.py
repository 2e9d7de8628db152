"""Import every domain's models, job handlers and event handlers, so that the metadata and the
registries are complete wherever the app, the worker or the migrations start."""

from __future__ import annotations

from supportops.auth import models as auth_models
from supportops.db.base import Base
from supportops.imports import models as import_models
from supportops.jobs import models as job_models
from supportops.knowledge import models as knowledge_models
from supportops.knowledge import semantic
from supportops.macros import models as macro_models
from supportops.metrics import models as metric_models
from supportops.notifications import models as notification_models
from supportops.routing import assignment as routing_assignment
from supportops.routing import escalation as routing_escalation
from supportops.routing import models as routing_models
from supportops.sla import admin as sla_admin
from supportops.sla import handlers as sla_handlers
from supportops.sla import models as sla_models
from supportops.surveys import handlers as survey_handlers
from supportops.surveys import jobs as survey_jobs
from supportops.surveys import models as survey_models
from supportops.tickets import models as ticket_models
from supportops.tickets import service as ticket_service
from supportops.tickets import views as ticket_views
from supportops.triage import embedding as triage_embedding
from supportops.triage import handlers as triage_handlers
from supportops.triage import models as triage_models

LOADED = (
    auth_models,
    job_models,
    ticket_models,
    ticket_service,
    ticket_views,
    sla_models,
    sla_handlers,
    sla_admin,
    notification_models,
    routing_models,
    routing_escalation,
    routing_assignment,
    triage_models,
    triage_handlers,
    survey_models,
    survey_handlers,
    survey_jobs,
    knowledge_models,
    macro_models,
    metric_models,
    import_models,
)

metadata = Base.metadata


def loaded() -> tuple[object, ...]:
    """Called first in a process that runs domain code without the app (the writer process), so
    that every model and event handler is in place."""
    return LOADED


# Triage reads sentence embeddings from the knowledge base's packaged model when the optional
# ``semantic`` extra is installed (the two domains are siblings, so the application connects them).
triage_embedding.provide(semantic.embedder)
