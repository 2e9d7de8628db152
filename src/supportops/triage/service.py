"""Triage on creation: ordered rules first, then the classifier trained on the team's own tickets.

Rules apply in order of position, each matching rule setting its fields (a later one wins a field).
The classifier then suggests the category when no rule set one: at or above the confidence threshold
the category is set; below it the ticket is tagged ``needs-triage`` for a person. Every decision is a
``triage`` event on the ticket with the rules, the model version and the confidence.

Models are trained with sentence embeddings when :func:`embedding.current` gives an embedder. A stored
model that needs embeddings this process does not have is not used for new tickets (rules still
apply, and a warning is logged); asking it for a prediction answers with what to install.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from supportops.auth.models import AgentSkill, Group
from supportops.auth.principal import SYSTEM, Principal
from supportops.config import Settings, get_settings
from supportops.db.session import database_key, forget_now_and_at_commit
from supportops.jobs import service as jobs
from supportops.kit.errors import Conflict, InvalidInput, NotFound
from supportops.kit.text import DbId, ShortText
from supportops.sla.policy import Conditions
from supportops.tickets import service as tickets
from supportops.tickets.enums import PRIORITIES, Severity, Status
from supportops.tickets.models import Ticket
from supportops.tickets.schemas import TicketUpdate
from supportops.triage import embedding
from supportops.triage.classifier import TrainedModel, train
from supportops.triage.errors import EmbeddingsUnavailable, InvalidTriageData
from supportops.triage.models import TriageModel, TriageRule

TRAIN_JOB = "triage.train"
NEEDS_TRIAGE = "needs-triage"
CACHE_SECONDS = 2.0
MIN_TRAINING_TICKETS = 20
TRAINING_LIMIT = 15_000
"""The newest solved tickets a model learns from. Past a few thousand examples accuracy hardly moves
(BANKING77: 93.4 % from 9,000), while the training time and memory keep growing (with the sentence
embeddings, 1.8 GB at 9,000 texts): a help desk with a million solved tickets still retrains in
minutes, on its current categories."""

log = logging.getLogger(__name__)


class RuleActions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: ShortText | None = None
    priority: str | None = None
    severity: Severity | None = None
    group_id: DbId | None = None
    required_skills: dict[str, int] = Field(default_factory=dict, max_length=10)
    """Kept on the ticket as ``custom_fields.required_skills`` (``skill:level,...``) for routing."""
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    position: int = Field(ge=0, le=1_000_000)
    active: bool = True
    conditions: Conditions = Field(default_factory=Conditions)
    actions: RuleActions


class RuleRead(RuleIn):
    id: int


class ModelRead(BaseModel):
    id: int
    field: str
    version: int
    active: bool
    labels: list[str]
    metrics: dict[str, Any]
    training_size: int
    created_at: datetime


# --- rules ------------------------------------------------------------------------------------


def _check_rule(session: Session, data: RuleIn, settings: Settings, own: int | None) -> None:
    actions = data.actions
    if actions.priority is not None and actions.priority not in PRIORITIES[settings.priority_scheme]:
        raise InvalidInput(
            f"Priority {actions.priority} is not in the {settings.priority_scheme} scheme.",
            field="actions.priority",
        )
    if actions.group_id is not None and session.get(Group, actions.group_id) is None:
        raise InvalidInput(f"Group {actions.group_id} does not exist.", field="actions.group_id")
    known = set(
        session.scalars(select(AgentSkill.skill).where(AgentSkill.skill.in_(list(actions.required_skills))))
    )
    for skill, level in actions.required_skills.items():
        if skill not in known:
            raise InvalidInput(
                f"No agent has the skill {skill!r}; give it to an agent first or check the spelling.",
                field="actions.required_skills",
            )
        if not 1 <= level <= 5:
            raise InvalidInput(
                f"Skill {skill!r} needs a level from 1 to 5, not {level}.", field="actions.required_skills"
            )
    for column, value, label in (
        (TriageRule.name, data.name, "name"),
        (TriageRule.position, data.position, "position"),
    ):
        taken = session.scalar(select(TriageRule.id).where(column == value))
        if taken is not None and taken != own:
            raise Conflict(f"Another triage rule has this {label} ({value}).", field=label)


def _rule_read(row: TriageRule) -> RuleRead:
    return RuleRead.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "position": row.position,
            "active": row.active,
            "conditions": row.conditions,
            "actions": row.actions,
        }
    )


def save_rule(
    session: Session,
    *,
    actor: Principal,
    data: RuleIn,
    now: datetime,
    settings: Settings,
    rule_id: int | None = None,
) -> RuleRead:
    actor.require_admin("manage triage rules")
    _check_rule(session, data, settings, rule_id)
    values = {
        "name": data.name,
        "position": data.position,
        "active": data.active,
        "conditions": data.conditions.model_dump(mode="json"),
        "actions": data.actions.model_dump(mode="json"),
    }
    if rule_id is None:
        row = TriageRule(**values, created_at=now, updated_at=now)
        session.add(row)
    else:
        found = session.get(TriageRule, rule_id)
        if found is None:
            raise NotFound(f"Triage rule {rule_id} does not exist.")
        row = found
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = now
    session.flush()
    cache.forget(session)
    return _rule_read(row)


def list_rules(session: Session, *, actor: Principal) -> list[RuleRead]:
    actor.require_staff("read triage rules")
    return [_rule_read(r) for r in session.scalars(select(TriageRule).order_by(TriageRule.position))]


# --- models -----------------------------------------------------------------------------------


def _model_read(row: TriageModel) -> ModelRead:
    return ModelRead.model_validate(row, from_attributes=True)


def store_model(
    session: Session, *, model: TrainedModel, field: str, now: datetime, actor: Principal
) -> ModelRead:
    """Keep a trained model as the next version for its field and make it the active one."""
    version = (
        session.scalar(select(func.max(TriageModel.version)).where(TriageModel.field == field)) or 0
    ) + 1
    session.execute(update(TriageModel).where(TriageModel.field == field).values(active=False))
    row = TriageModel(
        field=field,
        version=version,
        active=True,
        labels=list(model.labels),
        metrics={
            "accuracy": model.metrics.accuracy,
            "macro_f1": model.metrics.macro_f1,
            "folds": model.metrics.folds,
        },
        training_size=model.training_size,
        data=model.to_bytes(),
        trained_by_id=actor.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    cache.forget(session)
    return _model_read(row)


def list_models(session: Session, *, actor: Principal) -> list[ModelRead]:
    actor.require_staff("read triage models")
    return [
        _model_read(r)
        for r in session.scalars(select(TriageModel).order_by(TriageModel.field, TriageModel.version.desc()))
    ]


def training_set(session: Session, field: str) -> tuple[list[str], list[str]]:
    """Subject and description of the newest ``TRAINING_LIMIT`` solved tickets, labelled with the
    field a person settled on."""
    column = _label_column(field)
    rows = session.execute(_newest_solved(select(Ticket.subject, Ticket.description, column), column))
    texts, labels = [], []
    for subject, description, label in rows:
        texts.append(f"{subject}\n{description}")
        labels.append(str(label))
    return texts, labels


def _label_column(field: str) -> Any:
    return Ticket.category if field == "category" else Ticket.priority


def _newest_solved(stmt: Select[Any], column: Any) -> Select[Any]:
    """The solved tickets that carry a label, newest first, as many as one training takes."""
    return (
        stmt.where(Ticket.status.in_([Status.resolved, Status.closed]), column.is_not(None))
        .order_by(Ticket.id.desc())
        .limit(TRAINING_LIMIT)
    )


def request_training(session: Session, *, actor: Principal, field: str, now: datetime) -> dict[str, Any]:
    """Check there is something to learn from, then train as a durable job (it takes seconds)."""
    actor.require_admin("retrain the triage model")
    if field not in ("category", "priority"):
        raise InvalidInput("A triage model predicts 'category' or 'priority'.", field="field")
    # The labels alone: the texts are read by the job that trains.
    column = _label_column(field)
    labels = Counter(str(label) for label in session.scalars(_newest_solved(select(column), column)))
    tickets = sum(labels.values())
    classes = {label for label, n in labels.items() if n >= 2}
    if tickets < MIN_TRAINING_TICKETS or len(classes) < 2:
        raise InvalidInput(
            f"Training needs at least {MIN_TRAINING_TICKETS} solved tickets with a {field} and two {field} "
            f"values with two tickets each; there are {tickets} tickets and {len(classes)} such values.",
            field="field",
        )
    jobs.enqueue(session, kind=TRAIN_JOB, payload={"field": field, "by": actor.user_id}, now=now)
    return {"status": "queued", "field": field, "tickets": tickets}


@jobs.handler(TRAIN_JOB)
def _train_job(session: Session, payload: dict[str, Any], now: datetime) -> None:
    field = str(payload["field"])
    texts, labels = training_set(session, field)
    counts = Counter(labels)
    keep = [i for i, label in enumerate(labels) if counts[label] >= 2]  # a one-off label cannot be learned
    try:
        model = train(
            [texts[i] for i in keep], [labels[i] for i in keep], seed=0, embedder=embedding.current()
        )
    except InvalidTriageData as exc:
        raise RuntimeError(f"training the {field} model failed: {exc.detail}") from exc
    actor = Principal(
        user_id=payload.get("by"), role=SYSTEM.role, name="triage", scopes=SYSTEM.scopes, is_system=True
    )
    store_model(session, model=model, field=field, now=now, actor=actor)


# --- triage on creation -----------------------------------------------------------------------


class _Cache:
    """Active rules and the active category model per database, for ``CACHE_SECONDS``.

    A model that cannot be loaded here (it needs embeddings this process lacks) is kept as its error,
    so that it is neither read again for every ticket nor silently taken for no model.
    """

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[
            Pool, tuple[float, list[TriageRule], TrainedModel | EmbeddingsUnavailable | None, int | None]
        ] = weakref.WeakKeyDictionary()
        self._models: weakref.WeakKeyDictionary[Pool, dict[int, TrainedModel | EmbeddingsUnavailable]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(
        self, session: Session
    ) -> tuple[list[TriageRule], TrainedModel | EmbeddingsUnavailable | None, int | None]:
        key = database_key(session)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1], entry[2], entry[3]
        rules = list(
            session.scalars(
                select(TriageRule).where(TriageRule.active.is_(True)).order_by(TriageRule.position)
            )
        )
        for rule in rules:
            session.expunge(rule)
        row = session.execute(
            select(TriageModel.id, TriageModel.version).where(
                TriageModel.field == "category", TriageModel.active.is_(True)
            )
        ).first()
        model = None
        if row is not None:
            with self._lock:
                loaded = self._models.setdefault(key, {})
            model = loaded.get(row.id)
            if model is None:
                data = session.scalar(select(TriageModel.data).where(TriageModel.id == row.id))
                model = loaded[row.id] = _load(bytes(data or b""), row.version)
        version = row.version if row is not None else None
        with self._lock:
            self._entries[key] = (time.monotonic() + CACHE_SECONDS, rules, model, version)
        return rules, model, version

    def forget(self, session: Session) -> None:
        forget_now_and_at_commit(session, self._entries, self._lock)


def _load(data: bytes, version: int) -> TrainedModel | EmbeddingsUnavailable:
    try:
        return TrainedModel.from_bytes(data, embedder=embedding.current())
    except EmbeddingsUnavailable as exc:
        log.warning("triage model version %s is not used: %s", version, exc.detail)
        return exc


cache = _Cache()


def _facts(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        k: fields.get(k)
        for k in ("priority", "severity", "channel", "category", "tags", "organization_id", "group_id")
    }


def triage_new_ticket(session: Session, ticket_id: int, fields: dict[str, Any], now: datetime) -> None:
    rules, loaded, version = cache.get(session)
    model = loaded if isinstance(loaded, TrainedModel) else None
    if not rules and model is None:
        return
    settings = get_settings()
    changes: dict[str, Any] = {}
    matched: list[str] = []
    facts = _facts(fields)
    for rule in rules:
        if Conditions.model_validate(rule.conditions).match(facts):
            matched.append(rule.name)
            changes.update({k: v for k, v in rule.actions.items() if v not in (None, {}, [])})
    decision: dict[str, Any] = {"rules": matched}
    if model is not None and not fields.get("category") and "category" not in changes:
        prediction = model.predict([f"{fields.get('subject', '')}\n{fields.get('description', '')}"])[0]
        applied = prediction.confidence >= settings.triage_threshold
        decision.update(
            model_version=version,
            label=prediction.label,
            confidence=round(prediction.confidence, 4),
            applied=applied,
        )
        if applied:
            changes["category"] = prediction.label
        else:
            changes["tags"] = sorted({*fields.get("tags", []), NEEDS_TRIAGE})
    if not changes and not matched and "label" not in decision:
        return
    ticket = tickets.get_ticket(session, actor=SYSTEM, ticket_id=ticket_id, for_update=True)
    update_values: dict[str, Any] = {
        k: changes[k] for k in ("category", "priority", "severity", "group_id", "tags") if k in changes
    }
    custom = dict(ticket.custom_fields or {})
    if changes.get("required_skills"):
        custom["required_skills"] = ",".join(
            f"{s}:{n}" for s, n in sorted(changes["required_skills"].items())
        )
    if changes.get("language"):
        custom["language"] = changes["language"]
    if custom != (ticket.custom_fields or {}):
        update_values["custom_fields"] = custom
    if update_values:
        tickets.update_ticket(
            session,
            actor=SYSTEM,
            ticket=ticket,
            data=TicketUpdate.model_validate(update_values),
            now=now,
            settings=settings,
        )
    tickets.record(session, actor=SYSTEM, ticket=ticket, now=now, kind="triage", data=decision)


def predict(session: Session, *, actor: Principal, text: str) -> dict[str, Any]:
    actor.require_staff("ask the triage model")
    _, model, version = cache.get(session)
    if model is None:
        raise NotFound("No triage model has been trained yet; train one from solved tickets first.")
    if isinstance(model, EmbeddingsUnavailable):
        raise EmbeddingsUnavailable(model.detail)
    p = model.predict([text])[0]
    return {
        "label": p.label,
        "confidence": p.confidence,
        "model_version": version,
        "alternatives": [{"label": a.label, "confidence": a.confidence} for a in p.alternatives],
    }
