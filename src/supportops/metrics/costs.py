"""The business inputs behind cost per ticket, self-service ROI and ticket volume, kept as an
editable setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from supportops.kit.errors import InvalidInput
from supportops.metrics.models import OpsSetting

KEY = "costs"


class CostInputs(BaseModel):
    """Cost per ticket = (agent hours on shift x hourly cost + fixed monthly costs pro rata) ÷
    tickets resolved; self-service ROI = deflected tickets x cost per ticket - the self-service
    investment over the period."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(default="USD", min_length=3, max_length=3)
    agent_hourly_cost: float = Field(default=35.0, ge=0)
    """Fully loaded cost of one agent hour on shift."""
    monthly_fixed_cost: float = Field(default=0.0, ge=0)
    """Tools, licences and overhead per month."""
    self_service_monthly_investment: float = Field(default=0.0, ge=0)
    """What the knowledge base and portal cost per month (writing, upkeep, tooling)."""
    customer_base: int | None = Field(default=None, ge=1)
    """Active customers the business serves (from billing, say): the denominator of ticket volume.
    None: the customer accounts in supportops, which counts only customers who ever wrote in."""


def cost_inputs(session: Session) -> CostInputs:
    row = session.get(OpsSetting, KEY)
    return CostInputs.model_validate(row.value) if row is not None else CostInputs()


def set_cost_inputs(session: Session, values: dict[str, Any], *, now: datetime) -> CostInputs:
    try:
        inputs = CostInputs.model_validate({**cost_inputs(session).model_dump(), **values})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "costs"
        raise InvalidInput(f"{field}: {error['msg']}", field=field) from exc
    row = session.get(OpsSetting, KEY)
    if row is None:
        session.add(OpsSetting(key=KEY, value=inputs.model_dump(), updated_at=now))
    else:
        row.value, row.updated_at = inputs.model_dump(), now
    session.flush()
    return inputs
