"""SLA policies as data: conditions, per-priority targets, pause rules, and the built-in defaults.

Policies form an ordered list; the first active one whose conditions match a ticket applies. When
none matches (or none exists) the built-in policy applies: the first seed's matrix for the P1-P5
scheme, the second seed's table for the P0-P3 preset, around the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supportops.config import PriorityScheme
from supportops.sla.calendar import Calendar
from supportops.sla.clocks import DEFAULT_WARN_SHARE, Metric, PauseRules, Target
from supportops.tickets.enums import PRIORITIES, StatusCategory

MAX_TARGET_MINUTES = 366 * 24 * 60


class ConditionField(StrEnum):
    priority = "priority"
    severity = "severity"
    channel = "channel"
    category = "category"
    tags = "tags"
    organization_id = "organization_id"
    group_id = "group_id"
    plan = "plan"
    """The plan of the requester's organization."""


class Operator(StrEnum):
    is_ = "is"
    is_not = "is_not"
    in_ = "in"
    not_in = "not_in"
    includes = "includes"
    """For tags: the ticket has this tag."""
    excludes = "excludes"


Scalar = str | int | None


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    field: ConditionField
    operator: Operator
    value: Scalar | list[str | int]

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Self:
        listed = isinstance(self.value, list)
        if self.operator in (Operator.in_, Operator.not_in) and not listed:
            raise ValueError(f"operator {self.operator.value!r} needs a list of values")
        if self.operator not in (Operator.in_, Operator.not_in) and listed:
            raise ValueError(f"operator {self.operator.value!r} takes one value, not a list")
        tag_ops = (Operator.includes, Operator.excludes)
        if (self.field == ConditionField.tags) != (self.operator in tag_ops):
            raise ValueError("tags take 'includes' or 'excludes'; other fields take is, is_not, in, not_in")
        return self

    def holds(self, facts: Mapping[str, Any]) -> bool:
        actual = facts.get(self.field.value)
        match self.operator:
            case Operator.is_:
                return bool(actual == self.value)
            case Operator.is_not:
                return bool(actual != self.value)
            case Operator.in_:
                return actual in self.value  # type: ignore[operator]
            case Operator.not_in:
                return actual not in self.value  # type: ignore[operator]
            case Operator.includes:
                return self.value in (actual or ())
            case Operator.excludes:
                return self.value not in (actual or ())


class Conditions(BaseModel):
    """Every ``all`` condition holds, and at least one ``any`` condition when there are some."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    all: list[Condition] = Field(default_factory=list, max_length=50)
    any: list[Condition] = Field(default_factory=list, max_length=50)

    def uses(self, field: ConditionField) -> bool:
        return any(c.field == field for c in (*self.all, *self.any))

    def match(self, facts: Mapping[str, Any]) -> bool:
        if not all(c.holds(facts) for c in self.all):
            return False
        return not self.any or any(c.holds(facts) for c in self.any)


class TargetSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    minutes: float = Field(gt=0, le=MAX_TARGET_MINUTES)
    business: bool = True
    """Business time of the policy's calendar, or calendar time around the clock."""

    def target(self) -> Target:
        return Target(self.minutes, self.business)


Targets = dict[str, dict[Metric, TargetSpec]]


class BreachActions(BaseModel):
    """What a warning or a breach does besides being recorded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notify: bool = True
    """Notify the assignee and the leads of the ticket's group, at the warning and at the breach."""
    raise_priority: bool = False
    """Move the ticket one priority up (never above the most urgent)."""
    escalate: bool = False
    """Hand the ticket to the least loaded group of the next tier, with a note saying why."""


def _check_pauses(pauses: dict[Metric, list[StatusCategory]]) -> None:
    for metric, categories in pauses.items():
        if StatusCategory.solved in categories:
            raise ValueError(
                f"pauses.{metric.value}: a solved ticket runs no clock; 'solved' cannot pause it"
            )


class PolicyRules(BaseModel):
    """What a policy decides; the stored policy adds its name, position and calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conditions: Conditions = Field(default_factory=Conditions)
    targets: Targets
    pauses: dict[Metric, list[StatusCategory]] = Field(
        default_factory=lambda: {Metric.resolution: [StatusCategory.pending]}
    )
    warn_share: float = Field(default=DEFAULT_WARN_SHARE, gt=0, lt=1)
    breach_actions: BreachActions = Field(default_factory=BreachActions)

    @model_validator(mode="after")
    def _valid_pauses(self) -> Self:
        _check_pauses(self.pauses)
        return self

    def pause_rules(self) -> PauseRules:
        return {metric: frozenset(categories) for metric, categories in self.pauses.items()}

    def target_for(self, priority: str, metric: Metric) -> Target | None:
        spec = self.targets.get(priority, {}).get(metric)
        return spec.target() if spec is not None else None


def unknown_priorities(targets: Targets, scheme: PriorityScheme) -> list[str]:
    return sorted(set(targets) - set(PRIORITIES[scheme]))


# --- built-in defaults and presets ------------------------------------------------------------

# (first response, resolution) in minutes, from the two seed documents.
SEED_MATRICES: dict[PriorityScheme, dict[str, tuple[int, int]]] = {
    "p1-p5": {"P1": (15, 240), "P2": (60, 480), "P3": (240, 1440), "P4": (480, 4320), "P5": (1440, 7200)},
    "p0-p3": {"P0": (30, 120), "P1": (60, 240), "P2": (240, 1440), "P3": (480, 2880)},
}
# Periodic updates are asked of the two most urgent priorities only.
PERIODIC_UPDATE_MINUTES: dict[PriorityScheme, dict[str, int]] = {
    "p1-p5": {"P1": 60, "P2": 240},
    "p0-p3": {"P0": 60, "P1": 240},
}

AROUND_THE_CLOCK = Calendar.model_validate(
    {
        "timezone": "UTC",
        "week": {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
)


def preset_targets(scheme: PriorityScheme, *, business: bool = False) -> Targets:
    """The seed matrix of a scheme: next response as first response; periodic updates for the top two."""
    targets: Targets = {}
    for priority, (response, resolution) in SEED_MATRICES[scheme].items():
        row = {
            Metric.first_response: TargetSpec(minutes=response, business=business),
            Metric.next_response: TargetSpec(minutes=response, business=business),
            Metric.resolution: TargetSpec(minutes=resolution, business=business),
        }
        periodic = PERIODIC_UPDATE_MINUTES[scheme].get(priority)
        if periodic is not None:
            row[Metric.periodic_update] = TargetSpec(minutes=periodic, business=business)
        targets[priority] = row
    return targets


@cache
def built_in_rules(scheme: PriorityScheme) -> PolicyRules:
    return PolicyRules(targets=preset_targets(scheme))
