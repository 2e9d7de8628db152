"""HTTP for triage: rules (admins write), models (admins retrain), predictions (staff)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from supportops.auth.deps import CurrentCtx
from supportops.triage import service
from supportops.triage.service import ModelRead, RuleIn, RuleRead

router = APIRouter(prefix="/triage", tags=["triage"])
RuleId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: Literal["category", "priority"] = "category"


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)


@router.get("/rules")
def list_rules(ctx: CurrentCtx) -> list[RuleRead]:
    with ctx.read() as session:
        return service.list_rules(session, actor=ctx.principal)


@router.post("/rules", status_code=status.HTTP_201_CREATED)
def create_rule(data: RuleIn, ctx: CurrentCtx) -> RuleRead:
    """Conditions (all/any over priority, severity, channel, category, tags, organization, group)
    and the fields to set: category, priority, severity, group, required skills, language."""
    with ctx.write() as session:
        return service.save_rule(session, actor=ctx.principal, data=data, now=ctx.now, settings=ctx.settings)


@router.put("/rules/{rule_id}")
def replace_rule(rule_id: RuleId, data: RuleIn, ctx: CurrentCtx) -> RuleRead:
    with ctx.write() as session:
        return service.save_rule(
            session, actor=ctx.principal, data=data, now=ctx.now, settings=ctx.settings, rule_id=rule_id
        )


@router.get("/models")
def list_models(ctx: CurrentCtx) -> list[ModelRead]:
    with ctx.read() as session:
        return service.list_models(session, actor=ctx.principal)


@router.post("/models", status_code=status.HTTP_202_ACCEPTED)
def retrain(data: TrainRequest, ctx: CurrentCtx) -> dict[str, Any]:
    """Retrain from the team's solved tickets, as a background job; the new version becomes active."""
    with ctx.write() as session:
        return service.request_training(session, actor=ctx.principal, field=data.field, now=ctx.now)


@router.post("/predict")
def predict(data: PredictRequest, ctx: CurrentCtx) -> dict[str, Any]:
    with ctx.read() as session:
        return service.predict(session, actor=ctx.principal, text=data.text)
