"""The ops report: every metric of DOMAIN.md over a period, against its target, with breakdowns,
time series, distributions, the tier split, findings and the capacity plan.

Attribution (docs/metrics.md): the period is ``[start, end)`` in UTC, seen as of ``as_of``.
Volume counts by creation time; first response by the time of the response; CSAT and NPS by
rating time; TTR, FCR, reopen, escalation and AHT take the tickets whose last resolution falls in
the period and that are solved at ``as_of``; the backlog is the tickets open at ``end``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from supportops.auth.models import Group, Organization, User
from supportops.knowledge.models import Article, ArticleVersion, ArticleVote, KbSearch, SelfServiceEvent
from supportops.knowledge.service import FRESH_DAYS
from supportops.metrics.business import BusinessMinutes
from supportops.metrics.capacity import capacity_plan
from supportops.metrics.costs import cost_inputs
from supportops.metrics.facts import TicketFacts, facts_at
from supportops.metrics.periods import Period
from supportops.metrics.snapshot import CLOCK_METRICS, Snapshot, Store, store_for
from supportops.metrics.stats import Ranked, dense_codes, percentile, ratio
from supportops.metrics.targets import targets
from supportops.routing.reports import TARGET_BANDS
from supportops.sla.calendar.model import Calendar
from supportops.sla.models import SlaClock, SlaEvent
from supportops.surveys.models import NpsSurvey

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

TIER_BANDS = {"L0": (0.30, 0.50), **TARGET_BANDS}
"""L0's band is DOMAIN.md's deflection target; the others are the tier report's."""
BACKLOG_BUCKETS = (("0-1d", 0.0, 1.0), ("1-3d", 1.0, 3.0), ("3-7d", 3.0, 7.0), (">7d", 7.0, np.inf))
FRT_EDGES = (0, 15, 60, 240, 480, 1440, None)
TTR_EDGES = (0, 60, 240, 480, 1440, 4320, 10080, None)
SLA_METRICS = ("first_response", "next_response", "periodic_update", "resolution")
DIMENSIONS = ("priority", "channel", "group", "tier", "agent", "organization", "category")
NO_VALUE = "(none)"
_DAY = 86_400.0
_WEEK = 7 * _DAY
_MONDAY = 3 * _DAY  # the epoch was a Thursday


def _iso(value: datetime | float) -> str:
    if isinstance(value, float | int):
        value = datetime.fromtimestamp(float(value), UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


def _durations(values: FloatArray) -> dict[str, Any]:
    return {
        "median_minutes": _round(percentile(values, 50)),
        "p90_minutes": _round(percentile(values, 90)),
        "count": len(values),
    }


@dataclass
class _Sets:
    """Masks over the loaded tickets."""

    created: Mask
    responded: Mask
    resolved: Mask
    backlog: Mask


def _sets(facts: TicketFacts, period: Period) -> _Sets:
    start, end, as_of = period.start.timestamp(), period.end.timestamp(), period.as_of.timestamp()
    exists = facts.created <= as_of
    with np.errstate(invalid="ignore"):
        created = exists & (facts.created >= start) & (facts.created < end)
        responded = (
            (facts.first_response >= start) & (facts.first_response < end) & (facts.first_response <= as_of)
        )
        resolved = (
            exists
            & facts.solved_at_as_of
            & (facts.last_resolved >= start)
            & (facts.last_resolved < end)
            & (facts.last_resolved <= as_of)
        )
    backlog = (facts.created < end) & ~facts.solved_at_end
    return _Sets(created, responded & exists, resolved, backlog)


class ReportBuilder:
    def __init__(
        self,
        session: Session,
        period: Period,
        calendar: Calendar | None,
        calendar_name: str | None,
        snapshot: Snapshot,
    ) -> None:
        self.session = session
        self.snapshot = snapshot
        self.period = period
        self.calendar = calendar
        self.calendar_name = calendar_name or ("around the clock" if calendar is None else "custom")
        self.business = BusinessMinutes(calendar)
        self.start = period.start
        self.end = period.end
        self.as_of = period.as_of
        self.until = min(period.end, period.as_of)
        """Events that count must have happened before the period's end and by as_of."""

    # -- inputs ---------------------------------------------------------------------------------

    def _ratings(self, facts: TicketFacts) -> tuple[FloatArray, IntArray, IntArray]:
        """CSAT answers in the period by as_of: when, the score, and the ticket's index."""
        snap = self.snapshot
        start, end, as_of = self.start.timestamp(), self.end.timestamp(), self.as_of.timestamp()
        inside = (snap.rating_at >= start) & (snap.rating_at < end) & (snap.rating_at <= as_of)
        tickets = snap.rating_ticket[inside]
        index = np.searchsorted(facts.id, tickets)
        known = (index < len(facts.id)) & (facts.id[np.minimum(index, len(facts.id) - 1)] == tickets)
        return snap.rating_at[inside][known], snap.rating_score[inside][known], index[known]

    def _nps(self) -> dict[str, Any]:
        score = NpsSurvey.score
        stmt = select(
            func.count(),
            func.count().filter(score >= 9),
            func.count().filter(and_(score >= 7, score <= 8)),
            func.count().filter(score <= 6),
        ).where(
            score.is_not(None),
            NpsSurvey.answered_at >= self.start,
            NpsSurvey.answered_at < self.end,
            NpsSurvey.answered_at <= self.as_of,
        )
        total, promoters, passives, detractors = self.session.execute(stmt).one()
        value = None if total == 0 else 100.0 * (promoters - detractors) / total
        return {
            "value": _round(value),
            "count": total,
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
        }

    def _self_service(self) -> dict[str, int]:
        stmt = (
            select(SelfServiceEvent.outcome, func.count())
            .where(
                SelfServiceEvent.at >= self.start,
                SelfServiceEvent.at < self.end,
                SelfServiceEvent.at <= self.as_of,
            )
            .group_by(SelfServiceEvent.outcome)
        )
        counts = dict(self.session.execute(stmt).all())
        return {"resolved": int(counts.get("resolved", 0)), "indirect": int(counts.get("indirect", 0))}

    def _knowledge(self) -> dict[str, dict[str, Any]]:
        """Article effectiveness (votes cast in the period), search success (searches made in the
        period) and content freshness (articles published at ``to``, reviewed in the 90 days before)."""
        until = min(self.end, self.as_of)
        votes = self.session.execute(
            select(func.count(), func.count().filter(ArticleVote.helpful.is_(True))).where(
                ArticleVote.at >= self.start, ArticleVote.at < until
            )
        ).one()
        found = KbSearch.clicked_article_id.is_not(None) | KbSearch.outcome.in_(["self_service", "indirect"])
        searches = self.session.execute(
            select(
                func.count(),
                func.count().filter(found & (KbSearch.outcome.is_(None) | (KbSearch.outcome != "ticket"))),
            ).where(KbSearch.at >= self.start, KbSearch.at < until)
        ).one()
        last_version = (
            select(ArticleVersion.article_id, func.max(ArticleVersion.created_at).label("at"))
            .where(ArticleVersion.created_at < self.end)
            .group_by(ArticleVersion.article_id)
            .subquery()
        )
        rows = self.session.execute(
            select(Article.reviewed_at, last_version.c.at)
            .outerjoin(last_version, last_version.c.article_id == Article.id)
            .where(Article.status == "published", Article.published_at < self.end)
        ).all()
        fresh_after = self.end.timestamp() - FRESH_DAYS * _DAY
        fresh = 0
        for reviewed_at, version_at in rows:
            known = [t for t in (reviewed_at, version_at) if t is not None and t < self.end]
            fresh += bool(known) and max(known).timestamp() >= fresh_after
        return {
            "article_effectiveness": {
                "value": _round(ratio(int(votes[1]), int(votes[0]))),
                "count": int(votes[0]),
                "helpful": int(votes[1]),
            },
            "search_success": {
                "value": _round(ratio(int(searches[1]), int(searches[0]))),
                "count": int(searches[0]),
                "successful": int(searches[1]),
            },
            "content_freshness": {
                "value": _round(ratio(fresh, len(rows))),
                "count": len(rows),
                "fresh": fresh,
                "days": FRESH_DAYS,
            },
        }

    def _active_customers(self) -> int:
        stmt = select(func.count()).where(
            User.role == "customer", User.is_active.is_(True), User.created_at < self.end
        )
        return int(self.session.scalar(stmt) or 0)

    def _sla(self, facts: TicketFacts) -> dict[str, dict[str, Any]]:
        """met ÷ (met + breached) per metric, each clock counted in the period its outcome falls in.

        A clock is breached at the instant its used time reached the target, whatever happened
        later. It is met when it was fulfilled in the period and had not breached by as_of. For a
        ticket touched after as_of the fulfilment is the latest one by as_of in the append-only
        metric log, so a resolution clock that resumed later still counts as met as of then."""
        snap = self.snapshot
        start, end, as_of = self.start.timestamp(), self.end.timestamp(), self.as_of.timestamp()
        breached_at = snap.clock_breached
        with np.errstate(invalid="ignore"):
            breached = (breached_at >= start) & (breached_at < end) & (breached_at <= as_of)
            not_breached = ~(breached_at <= as_of)
            done = snap.clock_fulfilled
            met = (done >= start) & (done < end) & (done <= as_of) & not_breached
        rewound = facts.id[facts.replayed_as_of]
        if len(rewound):
            met &= ~np.isin(snap.clock_ticket, rewound)
        met_counts = np.bincount(
            snap.clock_metric[met & (snap.clock_metric >= 0)], minlength=len(CLOCK_METRICS)
        )
        breached_counts = np.bincount(
            snap.clock_metric[breached & (snap.clock_metric >= 0)], minlength=len(CLOCK_METRICS)
        )
        extra = self._met_from_log([int(t) for t in rewound]) if len(rewound) else {}
        result: dict[str, dict[str, Any]] = {}
        for i, metric in enumerate(CLOCK_METRICS):
            m = int(met_counts[i]) + extra.get(metric, 0)
            b = int(breached_counts[i])
            result[metric] = {"value": _round(ratio(m, m + b)), "count": m + b, "met": m, "breached": b}
        return result

    def _met_from_log(self, tickets: list[int]) -> dict[str, int]:
        """Clocks of these tickets met in the period as of as_of: the latest fulfilment by as_of,
        in the period, of a clock not breached by as_of. Read by ticket id (the index that stays
        small), then filtered here."""
        counts: dict[str, int] = {}
        start, end, as_of = self.start, self.end, self.as_of
        for first in range(0, len(tickets), 900):
            chunk = tickets[first : first + 900]
            done: dict[tuple[int, str, int], datetime] = {}
            events = select(SlaEvent.ticket_id, SlaEvent.metric, SlaEvent.cycle, SlaEvent.kind, SlaEvent.at)
            for ticket_id, metric, cycle, kind, at in self.session.execute(
                events.where(SlaEvent.ticket_id.in_(chunk))
            ):
                if kind == "fulfil" and at <= as_of:
                    key = (ticket_id, metric, cycle)
                    done[key] = max(done.get(key, at), at)
            clocks = select(SlaClock.ticket_id, SlaClock.metric, SlaClock.cycle, SlaClock.breached_at)
            for ticket_id, metric, cycle, breached_at in self.session.execute(
                clocks.where(SlaClock.ticket_id.in_(chunk))
            ):
                fulfilled = done.get((ticket_id, metric, cycle))
                if fulfilled is None or not start <= fulfilled < end:
                    continue
                if breached_at is None or breached_at > as_of:
                    counts[metric] = counts.get(metric, 0) + 1
        return counts

    def _utilization(self) -> dict[str, Any]:
        """Handle time logged in the period by agents with presence data, over their time online."""
        online = self._online_seconds()
        snap = self.snapshot
        inside = (snap.time_at >= self.start.timestamp()) & (snap.time_at < self.until.timestamp())
        codes, agents_of = dense_codes(snap.time_agent[inside])
        sums = np.bincount(codes, weights=snap.time_seconds[inside], minlength=len(agents_of))
        handle = {int(a): float(t) for a, t in zip(agents_of, sums, strict=True)}
        agents = [a for a, seconds in online.items() if seconds > 0]
        handled = sum(handle.get(a, 0.0) for a in agents)
        on_shift = sum(online[a] for a in agents)
        return {
            "value": _round(ratio(handled, on_shift)),
            "count": len(agents),
            "handle_hours": _round(handled / 3600, 3),
            "online_hours": _round(on_shift / 3600, 3),
        }

    def _online_seconds(self) -> dict[int, float]:
        """Seconds online per agent in [start, until): each change lasts until the agent's next one,
        the state at ``start`` carried in from the last change before it."""
        snap = self.snapshot
        start, until = self.start.timestamp(), self.until.timestamp()
        if len(snap.presence_id) == 0:
            return {}
        order = np.lexsort((snap.presence_id, snap.presence_at, snap.presence_agent))
        agent = snap.presence_agent[order]
        at = snap.presence_at[order]
        online = snap.presence_online[order].astype(bool)
        last_of_agent = np.append(agent[1:] != agent[:-1], True)
        following = np.append(at[1:], np.inf)
        ends = np.where(last_of_agent, np.inf, following)
        lasted = np.clip(np.minimum(ends, until) - np.maximum(at, start), 0.0, None)
        agents, index = np.unique(agent, return_inverse=True)
        seen = np.bincount(index[at < until], minlength=len(agents))
        totals = np.bincount(index[online], weights=lasted[online], minlength=len(agents))
        return {int(a): float(t) for a, t, n in zip(agents, totals, seen, strict=True) if n > 0}

    # -- assembly -------------------------------------------------------------------------------

    def build(
        self, *, findings: list[dict[str, Any]] | None = None, ticket_url: str | None = None
    ) -> dict[str, Any]:
        facts = facts_at(self.session, self.snapshot, end=self.end, as_of=self.as_of)
        sets = _sets(facts, self.period)
        frt_cal = (facts.first_response[sets.responded] - facts.created[sets.responded]) / 60.0
        frt_bus = self.business.between(facts.created[sets.responded], facts.first_response[sets.responded])
        ttr_cal = (facts.last_resolved[sets.resolved] - facts.created[sets.resolved]) / 60.0
        ttr_bus = self.business.between(facts.created[sets.resolved], facts.last_resolved[sets.resolved])

        resolved = int(sets.resolved.sum())
        created = int(sets.created.sum())
        fcr_hits = int(((facts.replies <= 1) & (facts.reopens == 0) & sets.resolved).sum())
        reopened = int(((facts.reopens > 0) & sets.resolved).sum())
        escalated = int(((facts.escalations > 0) & sets.resolved).sum())
        handle_minutes = float(facts.handle_seconds[sets.resolved].sum()) / 60.0

        ratings = self._ratings(facts)
        scores = ratings[1]
        good = int((scores >= 4).sum())
        self_service = self._self_service()
        costs = cost_inputs(self.session)
        active = costs.customer_base or self._active_customers()
        end_s = self.end.timestamp()
        ages = (end_s - facts.created[sets.backlog]) / _DAY
        buckets = {name: int(((ages >= lo) & (ages < hi)).sum()) for name, lo, hi in BACKLOG_BUCKETS}
        utilization = self._utilization()
        online_hours = utilization["online_hours"] or 0.0
        paid_hours = online_hours if online_hours > 0 else handle_minutes / 60.0
        total_cost = paid_hours * costs.agent_hourly_cost + costs.monthly_fixed_cost * self.period.days / 30.0
        cost_per_ticket = ratio(total_cost, resolved)
        investment = costs.self_service_monthly_investment * self.period.days / 30.0
        deflected = self_service["resolved"]
        deflection_base = deflected + created
        volume_value = None if active == 0 else created / active * 100.0 * 30.0 / self.period.days

        metrics: dict[str, Any] = {
            "csat": {"value": _round(ratio(good, len(scores))), "count": len(scores), "good": good},
            "nps": self._nps(),
            "frt": {"calendar": _durations(frt_cal), "business": _durations(frt_bus)},
            "ttr": {"calendar": _durations(ttr_cal), "business": _durations(ttr_bus)},
            "fcr": {"value": _round(ratio(fcr_hits, resolved)), "count": resolved, "numerator": fcr_hits},
            "reopen_rate": {
                "value": _round(ratio(reopened, resolved)),
                "count": resolved,
                "numerator": reopened,
            },
            "escalation_rate": {
                "value": _round(ratio(escalated, resolved)),
                "count": resolved,
                "numerator": escalated,
            },
            "deflection_rate": {
                "value": _round(ratio(deflected, deflection_base)),
                "count": deflection_base,
                "self_service": deflected,
                "indirect": self_service["indirect"],
                "tickets_created": created,
            },
            "ticket_volume": {
                "created": created,
                "count": created,
                "active_customers": active,
                "customer_base": "setting" if costs.customer_base else "accounts",
                "value": _round(volume_value),
            },
            "backlog": {
                "open_at_end": int(sets.backlog.sum()),
                "count": int(sets.backlog.sum()),
                "age_buckets": buckets,
            },
            "aht": {"minutes": _round(ratio(handle_minutes, resolved)), "count": resolved},
            "agent_utilization": utilization,
            "sla_compliance": self._sla(facts),
            "cost_per_ticket": {
                "value": _round(cost_per_ticket, 4),
                "count": resolved,
                "total_cost": _round(total_cost, 2),
                "agent_hours": _round(paid_hours, 3),
                "currency": costs.currency,
            },
            **self._knowledge(),
            "self_service_roi": {
                "value": _round(
                    None if cost_per_ticket is None else deflected * cost_per_ticket - investment, 2
                ),
                "count": deflected,
                "deflected": deflected,
                "cost_per_ticket": _round(cost_per_ticket, 4),
                "investment": _round(investment, 2),
                "currency": costs.currency,
            },
        }
        report: dict[str, Any] = {
            "generated_at": None,
            "period": {
                "from": _iso(self.start),
                "to": _iso(self.end),
                "as_of": _iso(self.as_of),
                "days": _round(self.period.days),
            },
            "calendar": {
                "name": self.calendar_name,
                "timezone": self.calendar.timezone if self.calendar is not None else "UTC",
            },
            "metrics": metrics,
            "targets": {},
            "status": {},
            "breakdowns": self._breakdowns(facts, sets, ratings),
            "series": self._series(facts, sets, ratings),
            "distributions": {
                "frt_minutes": _histogram(frt_cal, FRT_EDGES),
                "ttr_minutes": _histogram(ttr_cal, TTR_EDGES),
            },
            "tiers": self._tiers(facts, sets, deflected, created),
            "findings": findings or [],
            "capacity": self._capacity(created, metrics["aht"]["minutes"]),
        }
        if ticket_url:
            report["ticket_url"] = ticket_url
        self._judge(report)
        return report

    def _judge(self, report: dict[str, Any]) -> None:
        m = report["metrics"]
        values: dict[str, float | None] = {
            "csat": m["csat"]["value"],
            "frt": m["frt"]["calendar"]["median_minutes"],
            "ttr": m["ttr"]["calendar"]["median_minutes"],
            "fcr": m["fcr"]["value"],
            "nps": m["nps"]["value"],
            "ticket_volume": m["ticket_volume"]["value"],
            "deflection_rate": m["deflection_rate"]["value"],
            "escalation_rate": m["escalation_rate"]["value"],
            "reopen_rate": m["reopen_rate"]["value"],
            "agent_utilization": m["agent_utilization"]["value"],
            "cost_per_ticket": m["cost_per_ticket"]["value"],
            "sla_compliance": m["sla_compliance"]["resolution"]["value"],
            "article_effectiveness": m["article_effectiveness"]["value"],
            "search_success": m["search_success"]["value"],
            "content_freshness": m["content_freshness"]["value"],
        }
        bands = targets(self.session)
        for metric, value in values.items():
            target = bands[metric]
            report["targets"][metric] = target.as_dict()
            report["status"][metric] = target.status(value)
        for metric in ("aht", "backlog"):
            report["status"][metric] = "none"

    def _id_names(self, ids: IntArray, table: str) -> dict[int, str]:
        wanted = sorted({int(i) for i in np.unique(ids) if i >= 0})
        column = {"group": (Group.id, Group.name), "organization": (Organization.id, Organization.name)}.get(
            table, (User.id, User.email)
        )
        names: dict[int, str] = {}
        for first in range(0, len(wanted), 900):
            stmt = select(*column).where(column[0].in_(wanted[first : first + 900]))
            names.update({int(k): str(v) for k, v in self.session.execute(stmt).all()})
        return names

    def _dimension(self, facts: TicketFacts, name: str) -> tuple[IntArray, list[str]]:
        """Codes for every ticket and the label of each code."""
        if name in ("priority", "channel", "category", "tier"):
            column = "max_tier" if name == "tier" else name
            raw: list[str | None] = facts.labels.get(column, [])
            fallback = "L1" if name == "tier" else NO_VALUE
            labels = [fallback if v is None else str(v) for v in raw]
            distinct = sorted(set(labels))
            remap = np.array([distinct.index(v) for v in labels] or [0], dtype=np.int64)
            codes: IntArray = getattr(facts, column)
            return remap[codes] if len(labels) else np.zeros(len(codes), dtype=np.int64), distinct or [
                fallback
            ]
        ids = {"group": facts.group_id, "agent": facts.assignee_id, "organization": facts.organization_id}[
            name
        ]
        codes, uniques = dense_codes(ids)
        names = self._id_names(uniques, name)
        return codes, [NO_VALUE if i < 0 else names.get(int(i), str(int(i))) for i in uniques]

    def _breakdowns(
        self, facts: TicketFacts, sets: _Sets, ratings: tuple[FloatArray, IntArray, IntArray]
    ) -> dict[str, list[dict[str, Any]]]:
        relevant = sets.created | sets.responded | sets.resolved
        rows = np.flatnonzero(relevant)
        _, scores, rated_index = ratings
        good = scores >= 4
        sub_created = sets.created[rows]
        sub_responded = sets.responded[rows]
        sub_resolved = sets.resolved[rows]
        frt = (facts.first_response[rows] - facts.created[rows]) / 60.0
        ttr = (facts.last_resolved[rows] - facts.created[rows]) / 60.0
        fcr = (facts.replies[rows] <= 1) & (facts.reopens[rows] == 0)
        reopened = facts.reopens[rows] > 0
        escalated = facts.escalations[rows] > 0
        frt_ranked = Ranked(frt[sub_responded])
        ttr_ranked = Ranked(ttr[sub_resolved])
        result: dict[str, list[dict[str, Any]]] = {}
        for name in DIMENSIONS:
            all_codes, labels = self._dimension(facts, name)
            n = len(labels)
            codes = all_codes[rows]
            rating_codes = all_codes[rated_index]
            created = np.bincount(codes[sub_created], minlength=n)
            resolved = np.bincount(codes[sub_resolved], minlength=n)
            frt_q = frt_ranked.percentiles(codes[sub_responded], n, (50, 90))
            ttr_q = ttr_ranked.percentiles(codes[sub_resolved], n, (50, 90))
            fcr_n = np.bincount(codes[sub_resolved & fcr], minlength=n)
            reopen_n = np.bincount(codes[sub_resolved & reopened], minlength=n)
            esc_n = np.bincount(codes[sub_resolved & escalated], minlength=n)
            rated = np.bincount(rating_codes, minlength=n)
            happy = np.bincount(rating_codes[good], minlength=n)
            entries: list[dict[str, Any]] = []
            for i, label in enumerate(labels):
                r = int(resolved[i])
                if not (created[i] or r or rated[i] or frt_q[0][i] is not None):
                    continue
                entries.append(
                    {
                        "key": label,
                        "created": int(created[i]),
                        "resolved": r,
                        "frt_median_minutes": _round(frt_q[0][i]),
                        "frt_p90_minutes": _round(frt_q[1][i]),
                        "ttr_median_minutes": _round(ttr_q[0][i]),
                        "ttr_p90_minutes": _round(ttr_q[1][i]),
                        "fcr": _round(ratio(int(fcr_n[i]), r)),
                        "reopen_rate": _round(ratio(int(reopen_n[i]), r)),
                        "escalation_rate": _round(ratio(int(esc_n[i]), r)),
                        "csat": _round(ratio(int(happy[i]), int(rated[i]))),
                        "csat_count": int(rated[i]),
                    }
                )
            entries.sort(key=lambda e: (-(e["created"] + e["resolved"]), e["key"]))
            result[name] = entries
        return result

    def _series(
        self, facts: TicketFacts, sets: _Sets, ratings: tuple[FloatArray, IntArray, IntArray]
    ) -> dict[str, list[dict[str, Any]]]:
        start, end = self.start.timestamp(), self.end.timestamp()
        rated_at, scores, _ = ratings
        rated_good = scores >= 4
        frt = (facts.first_response[sets.responded] - facts.created[sets.responded]) / 60.0
        ttr = (facts.last_resolved[sets.resolved] - facts.created[sets.resolved]) / 60.0
        frt_ranked, ttr_ranked = Ranked(frt), Ranked(ttr)
        result: dict[str, list[dict[str, Any]]] = {}
        for unit in ("day", "week", "month"):
            bucket, starts = _buckets(unit, start, end)
            n = len(starts)
            created_b = bucket(facts.created[sets.created])
            resolved_b = bucket(facts.last_resolved[sets.resolved])
            responded_b = bucket(facts.first_response[sets.responded])
            frt_med = frt_ranked.percentiles(responded_b, n, (50,))[0]
            ttr_med = ttr_ranked.percentiles(resolved_b, n, (50,))[0]
            rating_b = bucket(rated_at)
            rated = np.bincount(rating_b, minlength=n)
            happy = np.bincount(rating_b[rated_good], minlength=n)
            created = np.bincount(created_b, minlength=n)
            resolved = np.bincount(resolved_b, minlength=n)
            result[unit] = [
                {
                    "start": _iso(starts[i]),
                    "created": int(created[i]),
                    "resolved": int(resolved[i]),
                    "frt_median_minutes": _round(frt_med[i]),
                    "ttr_median_minutes": _round(ttr_med[i]),
                    "csat": _round(ratio(int(happy[i]), int(rated[i]))),
                    "csat_count": int(rated[i]),
                }
                for i in range(n)
            ]
        return result

    def _tiers(self, facts: TicketFacts, sets: _Sets, deflected: int, created: int) -> list[dict[str, Any]]:
        """L0 is the deflection share; L1-L3 the share of resolved tickets by the highest tier they
        reached (a ticket no group above L1 ever had counts at L1)."""
        codes, labels = self._dimension(facts, "tier")
        counts = np.bincount(codes[sets.resolved], minlength=len(labels))
        by_tier = {label: int(counts[i]) for i, label in enumerate(labels)}
        resolved = int(sets.resolved.sum())
        rows = [
            {
                "tier": "L0",
                "count": deflected,
                "share": _round(ratio(deflected, deflected + created)),
                "band": list(TIER_BANDS["L0"]),
            }
        ]
        for tier in ("L1", "L2", "L3"):
            count = by_tier.get(tier, 0) + (by_tier.get("L0", 0) if tier == "L1" else 0)
            rows.append(
                {
                    "tier": tier,
                    "count": count,
                    "share": _round(ratio(count, resolved)),
                    "band": list(TIER_BANDS[tier]),
                }
            )
        return rows

    def _capacity(self, created: int, aht: float | None) -> dict[str, Any]:
        volume = created / self.period.days
        handle = aht if aht else 20.0
        inputs = {
            "volume": _round(volume, 3),
            "handle_minutes": _round(handle, 3),
            "hours": 8.0,
            "utilization": 0.75,
        }
        if volume <= 0:
            return {"inputs": inputs, "plan": None}
        plan = capacity_plan(
            volume=volume,
            handle_minutes=handle,
            hours=8.0,
            utilization=0.75,
            service_level_target=0.8,
            within_minutes=60.0,
            shrinkage=0.3,
        )
        return {"inputs": inputs, "plan": plan}


def _histogram(values: FloatArray, edges: tuple[int | None, ...]) -> dict[str, Any]:
    bounds = [float(e) if e is not None else np.inf for e in edges]
    counts, _ = np.histogram(values, bins=bounds) if len(values) else (np.zeros(len(bounds) - 1), None)
    return {"edges": list(edges), "counts": [int(c) for c in counts]}


def _buckets(
    unit: str, start: float, end: float
) -> tuple[Callable[[FloatArray], npt.NDArray[np.int64]], list[float]]:
    """A function from instants to bucket numbers in [0, n), and the n bucket starts (UTC)."""
    if unit == "day":
        first = np.floor(start / _DAY)
        last = np.ceil(end / _DAY)
        starts = [float(d * _DAY) for d in np.arange(first, last)]
        return (lambda t: (np.floor(t / _DAY) - first).astype(np.int64)), starts
    if unit == "week":
        first = np.floor((start + _MONDAY) / _WEEK)
        last = np.ceil((end + _MONDAY) / _WEEK)
        starts = [float(w * _WEEK - _MONDAY) for w in np.arange(first, last)]
        return (lambda t: (np.floor((t + _MONDAY) / _WEEK) - first).astype(np.int64)), starts
    first_month = np.datetime64(int(start), "s").astype("datetime64[M]")
    last_month = np.datetime64(int(np.ceil(end)) - 1, "s").astype("datetime64[M]")
    months = np.arange(first_month, last_month + 1)
    starts = [float(m.astype("datetime64[s]").astype(np.int64)) for m in months]

    def month_of(t: FloatArray) -> npt.NDArray[np.int64]:
        as_months = t.astype(np.int64).astype("datetime64[s]").astype("datetime64[M]")
        numbers: npt.NDArray[np.int64] = (as_months - first_month).astype(np.int64)
        return numbers

    return month_of, starts


def build_report(
    session: Session,
    period: Period,
    *,
    calendar: Calendar | None = None,
    calendar_name: str | None = None,
    with_findings: bool = True,
    ticket_url: str | None = None,
    now: datetime | None = None,
    store: Store | None = None,
) -> dict[str, Any]:
    """The report of ``period``. ``store`` keeps the columnar copy of the facts between reports
    (default: memory only, for this process); the findings' per-ticket facts are kept beside it."""
    store = store or store_for(None)
    snapshot = store.current(session)
    findings: list[dict[str, Any]] = []
    if with_findings:
        from supportops.metrics.findings import columns, detect_all

        found = detect_all(session, period, snapshot=snapshot, store=columns.store_for(store.folder))
        findings = [f.as_dict() for f in found]
    report = ReportBuilder(session, period, calendar, calendar_name, snapshot).build(
        findings=findings, ticket_url=ticket_url
    )
    report["generated_at"] = _iso(now or datetime.now(UTC))
    return report


def default_calendar(session: Session) -> tuple[Calendar | None, str | None]:
    """Business minutes use the calendar of the first active SLA policy, or run around the clock."""
    from supportops.sla.models import SlaCalendar, SlaPolicy

    stmt = (
        select(SlaCalendar.name, SlaCalendar.definition)
        .join(SlaPolicy, SlaPolicy.calendar_id == SlaCalendar.id)
        .where(SlaPolicy.active.is_(True))
        .order_by(SlaPolicy.position)
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None, None
    return Calendar.model_validate(row.definition), row.name
