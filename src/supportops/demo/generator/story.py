"""One ticket's story, from intake through escalations and replies to resolution, reopens and
auto-close, and the generator that tells one per arrival in creation order."""

from __future__ import annotations

import contextlib
import random
from collections import deque

from supportops.auth.enums import Tier
from supportops.demo import catalog
from supportops.demo.generator.customers import _NpsWaves
from supportops.demo.generator.people import _World
from supportops.demo.generator.roster import _Roster
from supportops.demo.generator.rows import _Batch, _dt, _Ids, _js, _ts
from supportops.demo.generator.shape import (
    _DAY,
    _HOUR,
    _MIN,
    CATEGORY_BY_RANK,
    CHANNEL_WEIGHTS,
    CSAT_CHANCE,
    CSAT_COMMENT_CHANCE,
    CSAT_WEIGHTS,
    ENGINEERING_MEDIAN,
    ESCALATION,
    EXCHANGE_WEIGHTS,
    FIRST_RESPONSE_MEDIAN,
    FOLLOW_UP_CHANCE,
    FORGOTTEN_WITHIN,
    HASTY_REOPEN_CHANCE,
    L2_GROUP_FOR,
    ON_HOLD_CHANCE,
    PICKUP_MEDIAN,
    PRIORITY_CHANGE_CHANCE,
    PRIORITY_WEIGHTS,
    REOPEN_CHANCE,
    REPLY_MEDIAN,
    STALL_CHANCE,
    UNTOUCHED_CHANCE,
    _cumulative,
)
from supportops.demo.generator.ticket import _Closed, _Horizon, _TicketRows
from supportops.jobs.enums import JobStatus
from supportops.tickets.enums import AuthorKind, Status
from supportops.tickets.service import AUTO_CLOSE_JOB


class _Ticket(_TicketRows):
    """Simulates one ticket through the services' rules, recording rows as it goes."""

    def simulate(self) -> None:
        with contextlib.suppress(_Horizon):
            self._story()
        if self.status == Status.resolved:
            self._after_resolution()
        if self.status != Status.closed:
            self._stop_timers()
        self._surveys()

    def _stop_timers(self) -> None:
        """Log the work of agents whose shift has ended since they last worked on the ticket (the
        rest are still at it at ``now``)."""
        for agent in list(self.sessions):
            ends = self.sessions[agent].ends
            if ends <= self.g.now:
                self.t = max(self.t, ends)
                self._log_time(agent)

    def _story(self) -> None:
        g, rng, w = self.g, self.g.rng, self.g.world
        l1 = w.group_ids["L1 Support"]
        fast = self.channel in ("chat", "phone")

        # intake
        agent: int
        if self.follow_up is not None:
            group = self.follow_up.group_id
            self._create(None, None, group)
            self._message(
                self.requester, AuthorKind.customer, self._customer_body(self._pick(catalog.FOLLOW_UPS))
            )
        elif self.channel == "phone":
            # out of hours the call goes to voicemail and whoever is on shift next calls back
            agent, when = g.roster.pick(rng, l1, self.t, wait=self.rank >= 2)
            self._create(agent, agent, l1)
            self._agent_act(agent, when + rng.randint(2 * _MIN, 10 * _MIN))
            self._message(
                agent, AuthorKind.agent, self._fill(self._pick(catalog.CALL_SUMMARIES)), public=False
            )
        else:
            routed = rng.random() < (0.8 if self.channel in ("email", "api") else 0.9)
            creator = None if self.channel == "email" else self.requester
            self._create(creator, None, l1 if routed or self.channel == "chat" else None)
            if self.channel == "email":
                self._at(self.t + rng.randint(5, 90))
                self._message(None, AuthorKind.system, self._fill(catalog.AUTO_ACK))
        forgettable = self.created >= g.now - FORGOTTEN_WITHIN
        if rng.random() < UNTOUCHED_CHANCE and forgettable:
            return

        # triage and assignment: a lead assigns someone on shift, or whoever answers first takes it
        lead = rng.choice(w.leads)
        if self.group is None:
            self._staff_delay(30 * _MIN)
            self._update(lead, group=l1)
            self._set_status(lead, Status.triaged)
        group = self.group
        assert group is not None
        taker: int | None = None
        if self.assignee is not None:
            taker = self.assignee
        elif fast:
            taker = self._group_act(group, self.t)
        elif rng.random() < 0.35:
            taker = self._group_act(group, self._delay(PICKUP_MEDIAN[self.rank] // 3))
            self._update(lead, assignee=taker)

        # plan
        escalate_l2 = escalate_l3 = False
        if self.follow_up is None and w.group_tier[group] == Tier.L1:
            p2, p3 = ESCALATION[self.category]
            escalate_l2 = rng.random() < p2
            escalate_l3 = escalate_l2 and rng.random() < p3
        on_hold = rng.random() < ON_HOLD_CHANCE.get(self.category, 0.0)
        exchanges = rng.choices(range(5), weights=EXCHANGE_WEIGHTS)[0]
        if fast:
            exchanges = max(exchanges, rng.choice((0, 0, 1, 2)))
        before = rng.randint(0, exchanges) if escalate_l2 else exchanges
        stall = rng.random() < STALL_CHANCE and forgettable

        # first response
        if self.channel == "chat":
            self._at(self.t + max(20, int(90 * rng.lognormvariate(0.0, 0.8))))
        elif self.channel == "phone":
            self._at(self.t + rng.randint(1 * _MIN, 5 * _MIN))
        elif taker is None:
            taker = self._group_act(group, self._delay(FIRST_RESPONSE_MEDIAN[self.rank]))
        else:
            self._staff_delay(FIRST_RESPONSE_MEDIAN[self.rank], agent=taker)
        assert taker is not None
        agent = taker
        if rng.random() < PRIORITY_CHANGE_CHANCE:
            new_rank = min(4, max(0, self.rank + rng.choice((-1, 1))))
            self._update(agent, priority=g.priority_label[new_rank])
        if before == 0 and not (escalate_l2 or on_hold):
            self._resolve(agent, first_reply=True)
            return
        if before > 0 and rng.random() < 0.7:
            self._message(
                agent,
                AuthorKind.agent,
                self._agent_body(agent, self._pick(self.text.questions)),
                status=Status.pending,
            )
        else:
            self._message(agent, AuthorKind.agent, self._agent_body(agent, self._pick(catalog.ACKS)))
        if stall:
            return
        if not self._exchanges(agent, before, fast=fast):
            return

        # L1 → L2
        if escalate_l2:
            agent = self._escalate_to_l2(agent, lead)
            if not self._exchanges(agent, exchanges - before, fast=False):
                return
            if escalate_l3:
                agent = self._engineering(agent)
                if self.status == Status.resolved:
                    return

        if on_hold:
            self._staff_delay(REPLY_MEDIAN[self.rank], agent=agent)
            self._message(
                agent,
                AuthorKind.agent,
                self._agent_body(agent, self._pick(catalog.ON_HOLD)),
                status=Status.on_hold,
            )
            self._agent_act(agent, self.t + rng.randint(1 * _DAY, 5 * _DAY))
            self._message(
                agent,
                AuthorKind.agent,
                self._agent_body(agent, self._pick(catalog.ON_HOLD_BACK)),
                status=Status.in_progress,
            )
        if rng.random() < 0.12:
            self._at(self.t + rng.randint(10 * _MIN, 2 * _HOUR))
            self._message(agent, AuthorKind.agent, self._fill(self._pick(catalog.NOTES)), public=False)
        self._resolve(agent)

    def _exchanges(self, agent: int, count: int, *, fast: bool) -> bool:
        """Question and answer rounds; False when the ticket was resolved for lack of a reply."""
        rng = self.g.rng
        for _ in range(count):
            if self.status != Status.pending:
                if fast:
                    self._at(self.t + max(20, int(150 * rng.lognormvariate(0.0, 0.7))))
                else:
                    self._staff_delay(REPLY_MEDIAN[self.rank], agent=agent)
                ask = Status.pending if not fast and rng.random() < 0.8 else None
                self._message(
                    agent,
                    AuthorKind.agent,
                    self._agent_body(agent, self._pick(self.text.questions)),
                    status=ask,
                )
            if self.status == Status.pending and rng.random() < 0.07:
                # the customer never answers: solved for lack of a reply after a few days
                self._agent_act(agent, self._business(self.t + rng.randint(3 * _DAY, 6 * _DAY)))
                self._message(
                    agent,
                    AuthorKind.agent,
                    self._agent_body(agent, self._pick(catalog.PENDING_TIMEOUTS)),
                    status=Status.resolved,
                )
                self._log_time(agent)
                return False
            if fast:
                self._at(self.t + max(20, int(120 * rng.lognormvariate(0.0, 0.8))))
            else:
                self._customer_delay()
            self._message(
                self.requester, AuthorKind.customer, self._customer_body(self._pick(self.text.answers))
            )
            if not fast and rng.random() < 0.25:
                self._at(self.t + rng.randint(5 * _MIN, 90 * _MIN))
                self._message(agent, AuthorKind.agent, self._fill(self._pick(catalog.NOTES)), public=False)
            if not fast and rng.random() < 0.06:
                self._customer_delay(20 * _HOUR)
                self._message(
                    self.requester, AuthorKind.customer, self._customer_body(self._pick(catalog.CHASERS))
                )
        return True

    def _escalate_to_l2(self, agent: int, lead: int) -> int:
        rng, w = self.g.rng, self.g.world
        l2 = w.group_ids[L2_GROUP_FOR.get(self.category, "L2 Specialists")]
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2, agent=agent)
        self._message(agent, AuthorKind.agent, self._handoff_note(catalog.HANDOFF_L2), public=False)
        self._log_time(agent)
        via_escalated = rng.random() < 0.7
        if via_escalated:
            self._set_status(agent, Status.escalated)
        specialist = self._group_act(l2, self._delay(PICKUP_MEDIAN[self.rank]))
        self._update(rng.choice((lead, specialist)), group=l2, assignee=specialist)
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2, agent=specialist)
        if self.status == Status.escalated:
            self._message(
                specialist,
                AuthorKind.agent,
                self._agent_body(specialist, self._pick(catalog.UPDATES)),
                status=Status.in_progress,
            )
        else:
            self._message(
                specialist, AuthorKind.agent, self._agent_body(specialist, self._pick(catalog.UPDATES))
            )
        return specialist

    def _engineering(self, specialist: int) -> int:
        rng, w = self.g.rng, self.g.world
        l3 = w.group_ids["L3 Engineering"]
        back_to = self.group
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2, agent=specialist)
        self._message(specialist, AuthorKind.agent, self._handoff_note(catalog.HANDOFF_L3), public=False)
        self._log_time(specialist)
        self._set_status(specialist, Status.escalated)
        pickup = max(5 * _MIN, int(PICKUP_MEDIAN[self.rank] * rng.lognormvariate(0, 0.8)))
        engineer = self._group_act(l3, self.t + pickup)
        self._update(engineer, group=l3, assignee=engineer)
        self._set_status(engineer, Status.engineering)
        work = int(ENGINEERING_MEDIAN[self.rank] * rng.lognormvariate(0.0, 0.8))
        self._agent_act(engineer, self.t + work)
        self._message(
            engineer, AuthorKind.agent, self._fill(self._pick(catalog.ENGINEERING_NOTES)), public=False
        )
        if rng.random() < 0.45:
            self._log_time(engineer)
            self._message(
                engineer,
                AuthorKind.agent,
                self._agent_body(engineer, self._pick(self.text.resolutions)),
                status=Status.resolved,
            )
            return engineer
        self._log_time(engineer)
        self._update(engineer, group=back_to, assignee=specialist)
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2, agent=specialist)
        self._set_status(specialist, Status.in_progress)
        return specialist

    def _resolve(self, agent: int, *, first_reply: bool = False) -> None:
        rng = self.g.rng
        if not first_reply:
            if self.channel == "chat":
                self._at(self.t + rng.randint(1 * _MIN, 6 * _MIN))
            else:
                self._staff_delay(REPLY_MEDIAN[self.rank], agent=agent)
        if not first_reply and rng.random() < 0.05:
            self._log_time(agent)
            self._set_status(self.requester, Status.resolved)  # the customer marks it solved
            return
        body = self._agent_body(agent, self._pick(self.text.resolutions))
        self._message(agent, AuthorKind.agent, body, status=Status.resolved)
        self._log_time(agent)

    def _after_resolution(self) -> None:
        """Reopens by customer reply, and the auto-close N days later."""
        g, rng = self.g, self.g.rng
        try:
            while self.reopens < 2:
                resolved_at = self.resolved_at
                assert resolved_at is not None and self.assignee is not None
                hasty = resolved_at - self.created < _HOUR and self.category in ("bug", "integration")
                chance = HASTY_REOPEN_CHANCE if hasty else REOPEN_CHANCE
                if rng.random() >= chance:
                    break
                self._at(resolved_at + rng.randint(_HOUR, int(3.5 * _DAY)))
                self._message(
                    self.requester, AuthorKind.customer, self._customer_body(self._pick(catalog.REOPENS))
                )
                self.reopens += 1
                agent = self.assignee
                self._staff_delay(REPLY_MEDIAN[self.rank], agent=agent)
                self._message(agent, AuthorKind.agent, self._agent_body(agent, self._pick(catalog.ACKS)))
                if rng.random() < 0.5 and not self._exchanges(agent, 1, fast=False):
                    continue
                self._resolve(agent)
        except _Horizon:
            pass
        if self.status != Status.resolved:
            return
        resolved_at = self.resolved_at
        assert resolved_at is not None
        close_at = resolved_at + g.auto_close_days * _DAY
        if close_at <= g.now:
            self.t = max(self.t, close_at)
            self._set_status(None, Status.closed)
        else:
            resolved = _dt(resolved_at).isoformat()
            g.batch.jobs.append(
                {
                    "kind": AUTO_CLOSE_JOB,
                    "payload": _js({"ticket_id": self.id, "resolved_at": resolved}),
                    "status": JobStatus.queued.value,
                    "run_at": _ts(close_at),
                    "attempts": 0,
                    "max_attempts": 8,
                    "dedupe_key": f"{AUTO_CLOSE_JOB}:{self.id}:{resolved}",
                    "locked_by": None,
                    "locked_until": None,
                    "last_error": None,
                    "created_at": _ts(resolved_at),
                    "finished_at": None,
                }
            )

    def _surveys(self) -> None:
        """A satisfaction survey for every resolution, sent as it happens. About 40% are answered
        within three days (and before the customer reopened the ticket, if they did); answers after
        ``now`` have not come in yet."""
        g, rng = self.g, self.g.rng
        for i, resolved_at in enumerate(self.resolutions):
            reopened = self.reopened_at[i] if i < len(self.reopened_at) else None
            answered: int | None = None
            score: int | None = None
            comment = ""
            if rng.random() < CSAT_CHANCE:
                # a reopen comes at least an hour after the resolution
                latest = 3 * _DAY if reopened is None else min(3 * _DAY, reopened - resolved_at - 1)
                at = resolved_at + rng.randint(10 * _MIN, latest)
                if at <= g.now:
                    if i > 0:
                        mood = "reopened"
                    elif self._slow(resolved_at):
                        mood = "slow"
                    else:
                        mood = "good"
                    answered, score = at, rng.choices(range(1, 6), weights=CSAT_WEIGHTS[mood])[0]
                    if rng.random() < CSAT_COMMENT_CHANCE:
                        if self.assignee is not None:
                            self.slots["agent"] = g.world.staff[self.assignee].first
                        comment = self._fill(self._pick(catalog.CSAT_COMMENTS[_band(score)]))
            g.batch.csat_surveys.append(
                {
                    "id": g.ids.take("csat_surveys"),
                    "ticket_id": self.id,
                    "requester_id": self.requester,
                    "resolved_at": _ts(resolved_at),
                    "sent_at": _ts(resolved_at),
                    "answered_at": _ts(answered) if answered is not None else None,
                    "score": score,
                    "comment": comment,
                    "source": "demo",
                }
            )

    def unhappy(self) -> bool:
        """Reopened, or slow (not solved within five days, or it needed engineering): it colours
        the customer's answer to the next relationship survey."""
        solved = self.resolved_at if self.resolved_at is not None else self.g.now
        return self.reopens > 0 or self._slow(solved)

    def _slow(self, resolved_at: int) -> bool:
        return resolved_at - self.created > 5 * _DAY or self.reached_l3


def _band(score: int) -> str:
    return "positive" if score >= 4 else "neutral" if score == 3 else "negative"


class _Generator:
    def __init__(
        self,
        *,
        rng: random.Random,
        world: _World,
        roster: _Roster,
        nps: _NpsWaves,
        ids: _Ids,
        now: int,
        priority_label: tuple[str, ...],
        auto_close_days: int,
    ) -> None:
        self.rng = rng
        self.world = world
        self.roster = roster
        self.nps = nps
        self.ids = ids
        self.now = now
        self.priority_label = priority_label
        self.auto_close_days = auto_close_days
        self.priority_cum = _cumulative(PRIORITY_WEIGHTS)
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cum = _cumulative(list(CHANNEL_WEIGHTS.values()))
        self.category_cum = [(list(c), _cumulative(list(c.values()))) for c in CATEGORY_BY_RANK]
        self.batch = _Batch()
        self.closed: deque[_Closed] = deque(maxlen=2000)

    def _follow_up_of(self, created: int) -> _Closed | None:
        if not self.closed or self.rng.random() >= FOLLOW_UP_CHANCE:
            return None
        for _ in range(3):
            index = self.rng.randrange(len(self.closed))
            candidate = self.closed[index]
            if candidate.closed_at < created:
                del self.closed[index]
                return candidate
        return None

    def ticket(self, created: int) -> None:
        sim = _Ticket(self, created, self._follow_up_of(created))
        sim.simulate()
        batch = self.batch
        batch.tickets.append(sim.row())
        batch.messages.extend(sim.messages)
        batch.events.extend(sim.events)
        batch.time_entries.extend(sim.time_entries)
        self.nps.note(created, sim.customer_index, sim.unhappy())
        if sim.closed_at is not None:
            self.closed.append(
                _Closed(
                    closed_at=sim.closed_at,
                    ticket_id=sim.id,
                    requester=sim.requester,
                    customer_index=sim.customer_index,
                    subject=sim.subject,
                    category=sim.category,
                    rank=sim.rank,
                    channel=sim.channel,
                    group_id=sim.group,
                    tags=sim.tags,
                )
            )
