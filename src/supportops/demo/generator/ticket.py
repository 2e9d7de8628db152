"""One ticket's state and the steps the ticket services take (create, message, update, status,
time), each recording the rows those services would write; the story in ``story`` is told with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supportops.auth.enums import Tier
from supportops.demo import catalog
from supportops.demo.generator.roster import NEVER
from supportops.demo.generator.rows import _MESSAGE_DATA, _dt, _js, _ts, _ts_of
from supportops.demo.generator.shape import (
    _DAY,
    _EPOCH,
    _HOUR,
    _MIN,
    MAX_ENTRY,
    TOUCH_MEDIAN,
    TOUCH_SIGMA,
    URGENT_WAIT,
)
from supportops.tickets import counters, lifecycle
from supportops.tickets.enums import AuthorKind, Status

if TYPE_CHECKING:
    from supportops.demo.generator.story import _Generator


class _Horizon(Exception):
    """The next step would happen after ``now``: the ticket's history stops here."""


@dataclass
class _Closed:
    closed_at: int
    ticket_id: int
    requester: int
    customer_index: int
    subject: str
    category: str
    rank: int
    channel: str
    group_id: int | None
    tags: list[str]


@dataclass
class _Session:
    """An agent's unlogged work on one ticket within one stretch online."""

    ends: int
    """When the stretch online ends; a touch after it starts a new session."""
    seconds: int = 0
    last: int = 0
    """The time of the session's latest message."""


_UNSET: Any = object()


class _TicketRows:
    """One ticket's state and the service steps that record its rows; :class:`_Ticket` adds the story."""

    def __init__(self, gen: _Generator, created: int, follow_up: _Closed | None) -> None:
        g = self.g = gen
        rng = g.rng
        w = g.world
        self.id = g.ids.take("tickets")
        self.t = created
        self.created = created
        self.events: list[dict[str, Any]] = []
        self.logged: list[counters.LoggedEvent] = []
        self.messages: list[dict[str, Any]] = []
        self.time_entries: list[dict[str, Any]] = []
        self._when = (-1, _EPOCH)
        self.status = Status.new
        self.assignee: int | None = None
        self.group: int | None = None
        self.closed_at: int | None = None
        self.resolved_at: int | None = None
        self.reopens = 0
        self.reached_l3 = False
        self.resolutions: list[int] = []
        """Each time the ticket became resolved; ``reopened_at`` pairs with all but the last."""
        self.reopened_at: list[int] = []
        self.sessions: dict[int, _Session] = {}
        """Per agent, their work on the ticket not yet logged as a time entry."""
        self.next_touch: dict[int, int] = {}
        """Per agent, the seconds their next message will take, drawn when it was scheduled."""
        self.created_by: int | None = None
        self.follow_up = follow_up
        if follow_up is not None:
            self.customer_index = follow_up.customer_index
            self.rank = follow_up.rank
            self.category = follow_up.category
            self.channel = follow_up.channel
        else:
            self.customer_index = rng.choices(range(len(w.customer_ids)), cum_weights=w.customer_weights)[0]
            self.rank = rng.choices(range(5), cum_weights=g.priority_cum)[0]
            names, cum = g.category_cum[self.rank]
            self.category = rng.choices(names, cum_weights=cum)[0]
            self.channel = rng.choices(g.channels, cum_weights=g.channel_cum)[0]
        self.requester = w.customer_ids[self.customer_index]
        self.org = w.customer_org[self.customer_index]
        plan = w.org_plan.get(self.org, "free") if self.org is not None else "free"
        self.priority = g.priority_label[self.rank]
        words = catalog.CATEGORIES[self.category]
        self.text = words
        self.slots: dict[str, Any] = {
            "product": catalog.PRODUCT,
            "feature": rng.choice(catalog.FEATURES),
            "integration": rng.choice(catalog.INTEGRATIONS),
            "browser": rng.choice(catalog.BROWSERS),
            "error": rng.choice(catalog.ERRORS),
            "month": catalog.MONTHS[_dt(created).month - 1],
            "n": rng.randint(2, 500),
            "plan": plan,
            "invoice": f"INV-{rng.randint(10000, 99999)}",
            "release": f"{rng.randint(3, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "first": w.customer_first[self.customer_index],
            "agent": "",
            "hypothesis": "",
        }
        if follow_up is not None:
            self.subject = f"Follow-up: {follow_up.subject}"[:255]
            self.description = f"Follow-up to closed ticket #{follow_up.ticket_id}."
            self.tags = list(follow_up.tags)
        else:
            subject = rng.choice(words.subjects).format_map(self.slots)
            self.subject = (subject[:1].upper() + subject[1:])[:255]
            self.description = rng.choice(words.descriptions).format_map(self.slots)
            tags = set(rng.sample(words.tags, k=min(len(words.tags), rng.randint(1, 2))))
            if plan == "enterprise":
                tags.add("enterprise")
            self.tags = sorted(tags)
        self.slots["subject"] = self.subject.lower()
        self.severity: str | None = None
        if follow_up is None:
            if self.rank == 0:
                self.severity = "SEV1" if self.category == "outage" else "SEV2"
            elif self.rank == 1 and self.category in ("bug", "outage", "integration"):
                self.severity = rng.choice(("SEV2", "SEV3"))
            elif self.rank == 2 and self.category == "bug" and rng.random() < 0.3:
                self.severity = "SEV3"

    # -- time ----------------------------------------------------------------------------------

    def _at(self, t: int) -> int:
        t = max(t, self.t)
        if t > self.g.now:
            raise _Horizon
        self.t = t
        return t

    def _staff_delay(self, median: int, *, sigma: float = 0.9, agent: int | None = None) -> int:
        """When staff act next: lognormal around the median. ``agent`` acts on shift (P1 and P2
        only if it starts within ``URGENT_WAIT``); a lead (no ``agent``) acts in business hours on
        P3-P5."""
        t = self._delay(median, sigma=sigma)
        if agent is not None:
            return self._agent_act(agent, t)
        if self.rank >= 2:
            t = self._business(t)
        return self._at(t)

    def _delay(self, median: int, *, sigma: float = 0.9) -> int:
        """``t`` plus a lognormal wait around ``median``, at least half a minute."""
        return self.t + max(30, int(median * self.g.rng.lognormvariate(0.0, sigma)))

    def _agent_act(self, agent: int, t: int) -> int:
        """Move to when ``agent`` does their next piece of work on the ticket, at ``t`` or later:
        on shift, late enough in the stretch online for the work of this session and the coming
        touch to have been done in it. P1 and P2 wait at most ``URGENT_WAIT`` for the shift; after
        that the agent works on call."""
        g = self.g
        if t > g.now:
            raise _Horizon
        work = self.next_touch.get(agent)
        if work is None:
            work = self.next_touch[agent] = self._touch_seconds(agent)
        session = self.sessions.get(agent)
        when, begin, end = g.roster.stretch(agent, t)
        if self.rank < 2 and when - t > URGENT_WAIT:
            return self._at(t)
        # a call or chat may begin before its ticket does; other work on a ticket may not
        created = self.created if self.channel not in ("chat", "phone") else 0
        for _ in range(20):
            if when >= NEVER:
                break
            done = session.seconds if session is not None and session.ends == end else 0
            need = min(done + work, MAX_ENTRY)
            at = max(when, begin + need, created + need)
            if when > t:
                at = max(at, when + g.rng.randint(2 * _MIN, 15 * _MIN))
            if at < end:
                return self._at(at)
            when, begin, end = g.roster.stretch(agent, end)
        return self._at(when)

    def _group_act(self, group: int, t: int) -> int:
        """Move to about ``t`` and return an agent of ``group`` online then to do the next piece of
        work. Nobody online: P3-P5 wait for the group's next covered slot (or, when the group is on
        shift at the moment, are done before it leaves); P1 and P2 go to anyone in the group, who
        works on call unless their shift is about to start."""
        g = self.g
        if t > g.now:
            raise _Horizon
        if self.rank >= 2:
            # the queue is worked before the group's last agent goes home
            until = g.roster.covered_until(group, self.t)
            if until is not None and t >= until:
                t = self.t + g.rng.randrange(max(1, until - self.t))
        agent, when = g.roster.pick(g.rng, group, t, wait=self.rank >= 2)
        self._agent_act(agent, when)
        return agent

    def _touch_seconds(self, agent: int) -> int:
        tier = self.g.world.staff[agent].tier
        median = TOUCH_MEDIAN[tier] if tier is not None else TOUCH_MEDIAN[Tier.L1]
        return max(60, int(median * self.g.rng.lognormvariate(0.0, TOUCH_SIGMA)))

    def _touch(self, agent: int) -> None:
        """Count an agent's message toward their session on the ticket. A session is the agent's
        work within one stretch online; a touch after that stretch ended logs the old one first."""
        session = self.sessions.get(agent)
        t = self.t
        if session is not None and t >= session.ends:
            self._log_time(agent)
            session = None
        work = self.next_touch.pop(agent, None)
        if work is None:
            work = self._touch_seconds(agent)
        if session is None:
            when, _, end = self.g.roster.stretch(agent, t)
            session = self.sessions[agent] = _Session(ends=end if when == t else t + 30 * _MIN)
        session.seconds += work
        session.last = t

    def _customer_delay(self, median: int = 4 * _HOUR) -> int:
        return self._at(self.t + max(60, int(median * self.g.rng.lognormvariate(0.0, 1.1))))

    def _business(self, t: int) -> int:
        day, second = divmod(t, _DAY)
        weekday = (day + 3) % 7
        hour = second // _HOUR
        if weekday < 5 and 7 <= hour < 19:
            return t
        if weekday >= 5 or hour >= 19:
            day += 1
            while (day + 3) % 7 >= 5:
                day += 1
        return day * _DAY + 7 * _HOUR + self.g.rng.randrange(2 * _HOUR)

    # -- what the services write ---------------------------------------------------------------

    def _event(
        self,
        actor: int | None,
        kind: str,
        *,
        public: bool = False,
        field: str | None = None,
        old: Any = None,
        new: Any = None,
        data: dict[str, Any] | None = None,
        data_json: str | None = None,
    ) -> None:
        t = self.t
        if self._when[0] != t:
            self._when = (t, _dt(t))
        self.logged.append(counters.LoggedEvent(kind, self._when[1], field, old, new, data))
        self.events.append(
            {
                "id": self.g.ids.take("ticket_events"),
                "ticket_id": self.id,
                "at": _ts(t),
                "actor_id": actor,
                "kind": kind,
                "public": public,
                "field": field,
                "old_value": _js(old),
                "new_value": _js(new),
                "data": data_json or _js(data),
            }
        )

    def _set_status(self, actor: int | None, target: Status) -> None:
        problem = lifecycle.why_not(self.status, target, has_assignee=self.assignee is not None)
        if problem is not None:
            raise AssertionError(f"demo ticket {self.id}: {problem}")
        old = self.status
        self.status = target
        self._event(actor, "change", field="status", old=old.value, new=target.value, public=True)
        if target == Status.closed:
            self.closed_at = self.t
        elif target == Status.resolved:
            self.resolved_at = self.t
            self.resolutions.append(self.t)
        elif old == Status.resolved:
            self.reopened_at.append(self.t)

    def _create(self, creator: int | None, assignee: int | None, group: int | None) -> None:
        self.assignee, self.group = assignee, group
        self.reached_l3 = group is not None and self.g.world.group_tier[group] == "L3"
        self._event(
            creator,
            "created",
            public=True,
            data={
                "channel": self.channel,
                "priority": self.priority,
                "assignee_id": assignee,
                "group_id": group,
                "group_tier": self.g.world.group_tier[group] if group is not None else None,
                "follow_up_of_id": self.follow_up.ticket_id if self.follow_up else None,
            },
        )
        self.created_by = creator
        if assignee is not None:
            self._set_status(creator, Status.assigned)

    def _message(
        self,
        author: int | None,
        kind: AuthorKind,
        body: str,
        *,
        public: bool = True,
        status: Status | None = None,
    ) -> None:
        message_id = self.g.ids.take("messages")
        self.messages.append(
            {
                "id": message_id,
                "ticket_id": self.id,
                "author_id": author,
                "author_kind": kind.value,
                "public": public,
                "channel": self.channel,
                "body": body,
                "created_at": _ts(self.t),
            }
        )
        data, data_json = _MESSAGE_DATA[(public, kind)]
        self._event(author, "message", new=message_id, public=public, data=data, data_json=data_json)
        if kind == AuthorKind.agent and author is not None:
            self._touch(author)
        current = self.status
        if public and kind == AuthorKind.customer:
            move = lifecycle.after_customer_reply(current, has_assignee=self.assignee is not None)
            if move is not None:
                self._set_status(author, move)
        elif public and kind == AuthorKind.agent:
            if self.assignee is None and author is not None and self._may_take(author):
                self.assignee = author
                self._event(author, "change", field="assignee_id", old=None, new=author)
            move = lifecycle.after_agent_reply(current) if self.assignee is not None else None
            if move is not None and status is None:
                self._set_status(author, move)
        if status is not None and status != self.status:
            self._set_status(author, status)

    def _may_take(self, agent: int) -> bool:
        return self.group is None or agent in self.g.world.group_agents[self.group]

    def _update(
        self,
        actor: int | None,
        *,
        priority: str | None = None,
        group: Any = _UNSET,
        assignee: Any = _UNSET,
    ) -> None:
        """update_ticket: simple fields, then the group, then the assignee (and its status move)."""
        if priority is not None and priority != self.priority:
            old_priority, self.priority = self.priority, priority
            self._event(actor, "change", field="priority", old=old_priority, new=priority, public=True)
        if group is not _UNSET and group != self.group:
            old_group, self.group = self.group, group
            tier = self.g.world.group_tier[group] if group is not None else None
            self.reached_l3 = self.reached_l3 or tier == "L3"
            self._event(
                actor, "change", field="group_id", old=old_group, new=group, data={"group_tier": tier}
            )
        if assignee is not _UNSET and assignee != self.assignee:
            assert assignee is None or self._may_take(assignee), "assignee outside the group"
            old_assignee, self.assignee = self.assignee, assignee
            self._event(actor, "change", field="assignee_id", old=old_assignee, new=assignee)
            move = lifecycle.after_assignment(self.status, has_assignee=assignee is not None)
            if move is not None:
                self._set_status(actor, move)

    def _log_time(self, agent: int) -> None:
        """Log ``agent``'s open session as a time entry ending at their last message in it."""
        session = self.sessions.pop(agent, None)
        if session is None or session.seconds == 0:
            return
        seconds = min(session.seconds, MAX_ENTRY)
        self.g.roster.note_work(agent, session.last - seconds, session.last)
        entry_id = self.g.ids.take("time_entries")
        self.time_entries.append(
            {
                "id": entry_id,
                "ticket_id": self.id,
                "agent_id": agent,
                "started_at": _ts(session.last - seconds),
                "seconds": seconds,
                "source": "timer",
                "note": "",
            }
        )
        self._event(agent, "time", new=entry_id, data={"seconds": seconds, "agent_id": agent})

    # -- text ----------------------------------------------------------------------------------

    def _fill(self, template: str) -> str:
        return template.format_map(self.slots)

    def _agent_body(self, agent: int, *parts: str) -> str:
        rng = self.g.rng
        self.slots["agent"] = self.g.world.staff[agent].first
        greeting = self._fill(rng.choice(catalog.GREETINGS))
        signoff = self._fill(rng.choice(catalog.SIGNOFFS))
        return "\n\n".join([greeting, *(self._fill(p) for p in parts), signoff])

    def _customer_body(self, part: str) -> str:
        signoff = self._fill(self.g.rng.choice(catalog.CUSTOMER_SIGNOFFS))
        return f"{self._fill(part)}\n\n{signoff}"

    def _pick(self, options: Sequence[str]) -> str:
        return self.g.rng.choice(options)

    def _handoff_note(self, templates: Sequence[str]) -> str:
        hypothesis = self._fill(self._pick(self.text.hypotheses))
        self.slots["hypothesis"] = hypothesis  # the engineers' notes refer back to it
        said = self.description if len(self.description) <= 160 else self.description[:157] + "..."
        return self._pick(templates).format_map(
            {**self.slots, "tried": self._pick(self.text.tried), "said": said, "hypothesis": hypothesis}
        )

    # -- the row -------------------------------------------------------------------------------

    def row(self) -> dict[str, Any]:
        folded = counters.recompute(self.logged)
        return {
            "id": self.id,
            "subject": self.subject,
            "description": self.description,
            "status": self.status.value,
            "priority": self.priority,
            "severity": self.severity,
            "channel": self.channel,
            "category": self.category,
            "tags": _js(self.tags),
            "custom_fields": "{}",
            "requester_id": self.requester,
            "organization_id": self.org,
            "assignee_id": self.assignee,
            "group_id": self.group,
            "follow_up_of_id": self.follow_up.ticket_id if self.follow_up else None,
            "created_by_id": self.created_by,
            "created_at": _ts(self.created),
            "updated_at": self.events[-1]["at"],
            "closed_at": _ts(self.closed_at) if self.closed_at is not None else None,
            "first_response_at": _ts_of(folded.first_response_at),
            "first_resolved_at": _ts_of(folded.first_resolved_at),
            "last_resolved_at": _ts_of(folded.last_resolved_at),
            "reopen_count": folded.reopen_count,
            "public_agent_replies": folded.public_agent_replies,
            "agent_stations": folded.agent_stations,
            "group_stations": folded.group_stations,
            "max_tier": folded.max_tier,
            "tier": folded.tier,
            "escalations": folded.escalations,
            "handle_seconds": folded.handle_seconds,
            "version": 1,
        }
