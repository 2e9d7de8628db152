"""Who takes a ticket: skills-based, least-loaded and round-robin assignment; pure (no database, no clock).

A ticket's needs (channel, skills at a minimum proficiency, language, seconds waited) meet the agents'
routing state in an :class:`AgentPool`. An agent is *available* on a channel when online, on shift
and below capacity there, and *qualified* for a ticket when also covering every required skill at
its minimum and speaking the ticket's language, if one is asked. Each strategy picks one qualified
agent, deterministically:

- ``skills``: highest total proficiency in the skills the ticket asked for (as asked, even when
  widening relaxed the filter), then fewest open tickets on all channels, then longest since the
  last assignment (never assigned first), then lowest id;
- ``least-loaded``: lowest open/capacity ratio on the ticket's channel, then longest since the last
  assignment, then lowest id;
- ``round-robin``: longest since the last assignment (never assigned first), then lowest id.

A :class:`Widening` relaxes the requirement the longer a ticket waits: the step whose
``after_seconds`` the wait has reached lowers the minimums, or drops the skills (and, if it says so,
the language). Every :class:`Decision` carries a reason a person can read, naming the step that
applied when there is more than one.

Cost, for n agents, s required skills and k qualified agents: building a pool is
O(n · (skills + languages + channels)) and keeps, per skill and level, the agents at or above it,
per language its speakers and per channel the agents available now. A decision intersects s + 2 of
those sets, starting from the smallest (m elements), and ranks the result: O(s · m + k). Explaining
a refusal intersects the agents who cover the skills with the language, presence, shift and channel
sets: O(s · m + covered), all of it in set operations. Assigning, releasing and presence or shift
changes update the index in O(channels of that agent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
from math import isfinite

from supportops.kit.clock import utc
from supportops.kit.errors import Conflict, InvalidInput, NotFound

MAX_PROFICIENCY = 5
_NEVER = float("-inf")


class Presence(StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


class Strategy(StrEnum):
    skills = "skills"
    least_loaded = "least-loaded"
    round_robin = "round-robin"


def _check_levels(levels: Mapping[str, int], *, name: str) -> None:
    for skill, level in levels.items():
        if not 1 <= level <= MAX_PROFICIENCY:
            raise InvalidInput(f"{name}: {skill} must be 1 to {MAX_PROFICIENCY}, not {level}", field=name)


def _check_counts(counts: Mapping[str, int], *, name: str) -> None:
    for channel, count in counts.items():
        if count < 0:
            raise InvalidInput(f"{name}: {channel} must not be negative, not {count}", field=name)


@dataclass(frozen=True)
class AgentState:
    """One agent as routing sees it: what they can do, what they hold, whether they can take more."""

    id: int
    name: str
    skills: Mapping[str, int]
    """Skill to proficiency, 1 (novice) to 5 (expert)."""
    languages: frozenset[str] = frozenset()
    capacity: Mapping[str, int] = field(default_factory=dict)
    """Channel to the most tickets held open at once; a channel not listed is not served."""
    open_tickets: Mapping[str, int] = field(default_factory=dict)
    presence: Presence = Presence.online
    on_shift: bool = True
    last_assigned_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_levels(self.skills, name="skills")
        _check_counts(self.capacity, name="capacity")
        _check_counts(self.open_tickets, name="open_tickets")


@dataclass(frozen=True)
class TicketNeeds:
    """What a ticket asks of its agent, and how long it has waited for one."""

    id: int
    channel: str
    skills: Mapping[str, int] = field(default_factory=dict)
    """Skill to the minimum proficiency required."""
    language: str | None = None
    waited_seconds: float = 0.0

    def __post_init__(self) -> None:
        _check_levels(self.skills, name="skills")
        if not (isfinite(self.waited_seconds) and self.waited_seconds >= 0):
            raise InvalidInput("waited_seconds must be a finite number >= 0", field="waited_seconds")


@dataclass(frozen=True)
class WideningStep:
    """From ``after_seconds`` of waiting on: minimums lowered by ``lower_by`` (never below 1), or
    the skills dropped; the language is kept unless ``drop_language``."""

    after_seconds: float
    lower_by: int = 0
    drop_skills: bool = False
    drop_language: bool = False

    def describe(self) -> str:
        parts: list[str] = []
        if self.drop_skills:
            parts.append("skills dropped")
        elif self.lower_by:
            parts.append(f"minimums lowered by {self.lower_by}")
        if self.drop_language:
            parts.append("language dropped")
        elif self.drop_skills:
            parts.append("language kept")
        return ", ".join(parts) or "as asked"

    def relaxes(self, earlier: WideningStep) -> bool:
        return (
            (self.drop_skills or self.lower_by >= earlier.lower_by)
            and self.drop_skills >= earlier.drop_skills
            and self.drop_language >= earlier.drop_language
        )


@dataclass(frozen=True)
class Widening:
    """Steps by time waited, each at least as lenient as the one before, so that a ticket that
    waited longer is never harder to place than a newer one with the same needs."""

    steps: tuple[WideningStep, ...]

    def __post_init__(self) -> None:
        if not self.steps or self.steps[0].after_seconds != 0:
            raise InvalidInput("the first widening step must start at 0 seconds", field="steps")
        for earlier, later in pairwise(self.steps):
            if not later.after_seconds > earlier.after_seconds:
                raise InvalidInput("widening steps must start at increasing times", field="steps")
            if not later.relaxes(earlier):
                raise InvalidInput("each widening step must be at least as lenient as the one before")
        for step in self.steps:
            if not 0 <= step.lower_by < MAX_PROFICIENCY:
                raise InvalidInput(f"lower_by must be 0 to {MAX_PROFICIENCY - 1}", field="steps")

    def step_at(self, waited_seconds: float) -> int:
        """Index of the step that applies after this wait: the last one it has reached."""
        index = 0
        for number, step in enumerate(self.steps):
            if waited_seconds >= step.after_seconds:
                index = number
        return index


AS_ASKED = Widening((WideningStep(0),))
DEFAULT_WIDENING = Widening(
    (WideningStep(0), WideningStep(300, lower_by=1), WideningStep(900, drop_skills=True))
)


@dataclass(frozen=True)
class Decision:
    agent_id: int | None
    """None when no agent qualifies; the reason says where the candidates ran out."""
    strategy: Strategy
    reason: str
    step: int
    """1-based number of the widening step that applied."""


@dataclass(frozen=True)
class Requirement:
    """The skills and language a ticket needs under one widening step."""

    skills: Mapping[str, int]
    language: str | None

    @classmethod
    def under(cls, needs: TicketNeeds, step: WideningStep) -> Requirement:
        skills = (
            {}
            if step.drop_skills
            else {skill: max(1, least - step.lower_by) for skill, least in needs.skills.items()}
        )
        return cls(skills=skills, language=None if step.drop_language else needs.language)

    def accepts(self, agent: AgentState) -> bool:
        """Qualified by skills and language (availability aside)."""
        if self.language is not None and self.language not in agent.languages:
            return False
        return all(agent.skills.get(skill, 0) >= least for skill, least in self.skills.items())


@dataclass(slots=True, eq=False)
class _Agent:
    """The pool's mutable record of one agent; hashed by identity, so the indexes hold the
    records themselves and a decision needs no lookups."""

    id: int
    name: str
    skills: Mapping[str, int]
    languages: frozenset[str]
    capacity: Mapping[str, int]
    open: dict[str, int]
    open_total: int
    presence: Presence
    on_shift: bool
    last: float
    """Epoch seconds of the last assignment; minus infinity when never assigned."""

    def working(self) -> bool:
        return self.presence is Presence.online and self.on_shift

    def used(self, channel: str) -> int:
        return self.open.get(channel, 0)

    def free_on(self, channel: str) -> bool:
        return self.used(channel) < self.capacity.get(channel, 0)


_NOBODY: set[_Agent] = set()


def _toggle(members: set[_Agent], agent: _Agent, present: bool) -> None:
    if present:
        members.add(agent)
    else:
        members.discard(agent)


class AgentPool:
    """Agents indexed for routing: built once, kept current by :meth:`assign`, :meth:`release`,
    :meth:`set_presence` and :meth:`set_on_shift` (each O(channels of that agent))."""

    def __init__(self, agents: Iterable[AgentState]) -> None:
        self._agents: dict[int, _Agent] = {}
        self._at_level: dict[str, list[set[_Agent]]] = {}
        self._speakers: dict[str, set[_Agent]] = {}
        self._available: dict[str, set[_Agent]] = {}
        self._serving: dict[str, set[_Agent]] = {}
        self._online: set[_Agent] = set()
        self._on_shift: set[_Agent] = set()
        for state in agents:
            self._add(state)

    def __len__(self) -> int:
        return len(self._agents)

    def _add(self, state: AgentState) -> None:
        if state.id in self._agents:
            raise InvalidInput(f"agent {state.id} is listed twice", field="agents")
        last = _NEVER if state.last_assigned_at is None else utc(state.last_assigned_at).timestamp()
        agent = _Agent(
            id=state.id,
            name=state.name,
            skills=dict(state.skills),
            languages=state.languages,
            capacity=dict(state.capacity),
            open=dict(state.open_tickets),
            open_total=sum(state.open_tickets.values()),
            presence=state.presence,
            on_shift=state.on_shift,
            last=last,
        )
        self._agents[agent.id] = agent
        for skill, level in agent.skills.items():
            levels = self._at_level.setdefault(skill, [set() for _ in range(MAX_PROFICIENCY + 1)])
            for at_least in range(1, level + 1):
                levels[at_least].add(agent)
        for language in agent.languages:
            self._speakers.setdefault(language, set()).add(agent)
        for channel in agent.capacity:
            self._serving.setdefault(channel, set()).add(agent)
        self._refresh_status(agent)

    def _refresh_status(self, agent: _Agent) -> None:
        _toggle(self._online, agent, agent.presence is Presence.online)
        _toggle(self._on_shift, agent, agent.on_shift)
        self._refresh(agent, agent.capacity)

    def _refresh(self, agent: _Agent, channels: Iterable[str]) -> None:
        working = agent.working()
        for channel in channels:
            if channel not in agent.capacity:
                continue
            available = self._available.setdefault(channel, set())
            _toggle(available, agent, working and agent.free_on(channel))

    def _get(self, agent_id: int) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} is not in the pool")
        return agent

    def state(self, agent_id: int) -> AgentState:
        """A snapshot of one agent as the pool holds it now."""
        agent = self._get(agent_id)
        return AgentState(
            id=agent.id,
            name=agent.name,
            skills=dict(agent.skills),
            languages=agent.languages,
            capacity=dict(agent.capacity),
            open_tickets=dict(agent.open),
            presence=agent.presence,
            on_shift=agent.on_shift,
            last_assigned_at=None if agent.last == _NEVER else datetime.fromtimestamp(agent.last, UTC),
        )

    def assign(self, agent_id: int, channel: str, *, at: datetime) -> None:
        """Record an assignment made at ``at``; capacity is not enforced here, so that a lead's
        manual assignment past it is recorded as it happened."""
        agent = self._get(agent_id)
        agent.open[channel] = agent.used(channel) + 1
        agent.open_total += 1
        agent.last = utc(at).timestamp()
        self._refresh(agent, (channel,))

    def release(self, agent_id: int, channel: str) -> None:
        """One of the agent's tickets on ``channel`` was solved or moved away."""
        agent = self._get(agent_id)
        if agent.used(channel) == 0:
            raise Conflict(f"{agent.name} holds no open {channel} ticket to release")
        agent.open[channel] -= 1
        agent.open_total -= 1
        self._refresh(agent, (channel,))

    def set_presence(self, agent_id: int, presence: Presence) -> None:
        agent = self._get(agent_id)
        agent.presence = presence
        self._refresh_status(agent)

    def set_on_shift(self, agent_id: int, on_shift: bool) -> None:
        agent = self._get(agent_id)
        agent.on_shift = on_shift
        self._refresh_status(agent)

    def _skill_sets(self, requirement: Requirement) -> list[set[_Agent]]:
        sets: list[set[_Agent]] = []
        for skill, least in requirement.skills.items():
            levels = self._at_level.get(skill)
            sets.append(levels[least] if levels is not None else _NOBODY)
        return sets

    def _qualified(self, requirement: Requirement, channel: str) -> set[_Agent]:
        sets = [self._available.get(channel, _NOBODY), *self._skill_sets(requirement)]
        if requirement.language is not None:
            sets.append(self._speakers.get(requirement.language, _NOBODY))
        sets.sort(key=len)
        return sets[0].intersection(*sets[1:])

    def _covering(self, requirement: Requirement) -> set[_Agent]:
        sets = self._skill_sets(requirement)
        if not sets:
            return set(self._agents.values())
        sets.sort(key=len)
        return sets[0].intersection(*sets[1:])


# --- ranking and reasons ------------------------------------------------------------------------

Rank = Callable[[_Agent], tuple[float, ...]]


def _skills_rank(needs: TicketNeeds) -> Rank:
    asked = tuple(needs.skills)
    zeros = (0,) * len(asked)

    def rank(agent: _Agent) -> tuple[float, ...]:
        total = sum(map(agent.skills.get, asked, zeros))
        return (-total, agent.open_total, agent.last, agent.id)

    return rank


def _load_rank(needs: TicketNeeds) -> Rank:
    channel = needs.channel

    def rank(agent: _Agent) -> tuple[float, ...]:
        return (agent.used(channel) / agent.capacity[channel], agent.last, agent.id)

    return rank


def _rotation_rank(needs: TicketNeeds) -> Rank:
    return lambda agent: (agent.last, agent.id)


def _skills_text(agent: _Agent, needs: TicketNeeds) -> str:
    if not needs.skills:
        return "no skills asked"
    parts: list[str] = []
    for skill, least in needs.skills.items():
        level = agent.skills.get(skill)
        if level is None:
            parts.append(f"{skill} none (asked {least})")
        elif level < least:
            parts.append(f"{skill} {level}/{MAX_PROFICIENCY} (asked {least})")
        else:
            parts.append(f"{skill} {level}/{MAX_PROFICIENCY}")
    return ("skill " if len(parts) == 1 else "skills ") + ", ".join(parts)


def _slots_text(agent: _Agent, channel: str) -> str:
    return f"{agent.used(channel)} of {agent.capacity[channel]} {channel} slots used"


def _last_text(agent: _Agent) -> str:
    if agent.last == _NEVER:
        return "never assigned"
    return f"last assigned {datetime.fromtimestamp(agent.last, UTC).isoformat(timespec='seconds')}"


def _skills_why(agent: _Agent, needs: TicketNeeds) -> str:
    return f"{_skills_text(agent, needs)}, {_slots_text(agent, needs.channel)}"


def _load_why(agent: _Agent, needs: TicketNeeds) -> str:
    return f"least loaded, {_slots_text(agent, needs.channel)}, {_skills_text(agent, needs)}"


def _rotation_why(agent: _Agent, needs: TicketNeeds) -> str:
    return (
        f"next in rotation ({_last_text(agent)}), {_skills_text(agent, needs)}, "
        f"{_slots_text(agent, needs.channel)}"
    )


@dataclass(frozen=True)
class _Ranking:
    rank: Callable[[TicketNeeds], Rank]
    why: Callable[[_Agent, TicketNeeds], str]


_RANKINGS: Mapping[Strategy, _Ranking] = {
    Strategy.skills: _Ranking(_skills_rank, _skills_why),
    Strategy.least_loaded: _Ranking(_load_rank, _load_why),
    Strategy.round_robin: _Ranking(_rotation_rank, _rotation_why),
}


def _ask_text(requirement: Requirement) -> str:
    return ", ".join(f"{skill}>={least}" for skill, least in requirement.skills.items())


def _group(count: int, kind: str, verb_phrase: tuple[str, str]) -> str:
    """Counted agents and what they do, in agreement: "1 online agent covers ...", "3 online
    agents on shift cover ..."; the word "agent" in ``kind`` is pluralised."""
    singular, plural = verb_phrase
    noun = kind.replace("agent", "agent" if count == 1 else "agents")
    return f"{count} {noun} {singular if count == 1 else plural}"


def _refusal(pool: AgentPool, requirement: Requirement, channel: str) -> str:
    """Where the candidates ran out: skills, language, presence, shift, then capacity. Set
    intersections on the pool's indexes, so explaining costs about as much as deciding."""
    if not pool._agents:
        return "no agent: the pool has no agents"
    covered = pool._covering(requirement)
    ask = _ask_text(requirement)
    if not covered:
        return f"no agent: nobody covers {ask}"
    phrase = (f"covers {ask}", f"cover {ask}") if ask else ("is in the pool", "are in the pool")
    language = requirement.language
    if language is not None:
        speakers = covered & pool._speakers.get(language, _NOBODY)
        if not speakers:
            return f"no agent: {_group(len(covered), 'agent', phrase)} but none speaks {language}"
        covered = speakers
        phrase = (f"{phrase[0]} and speaks {language}", f"{phrase[1]} and speak {language}")
    online = covered & pool._online
    if not online:
        return f"no agent: {_group(len(covered), 'agent', phrase)} but none is online"
    on_shift = online & pool._on_shift
    if not on_shift:
        return f"no agent: {_group(len(online), 'online agent', phrase)} but none is on shift"
    group = _group(len(on_shift), "online agent on shift", phrase)
    if on_shift.isdisjoint(pool._serving.get(channel, _NOBODY)):
        return f"no agent: {group} but none takes {channel} tickets"
    full = "it is" if len(on_shift) == 1 else "all are"
    return f"no agent: {group} but {full} at capacity for {channel}"


def _step_note(widening: Widening, index: int, waited_seconds: float) -> str:
    if len(widening.steps) == 1:
        return ""
    step = widening.steps[index]
    return f"; step {index + 1} of {len(widening.steps)} (waited {waited_seconds:.0f} s): {step.describe()}"


def _decide(needs: TicketNeeds, pool: AgentPool, strategy: Strategy, widening: Widening) -> Decision:
    index = widening.step_at(needs.waited_seconds)
    requirement = Requirement.under(needs, widening.steps[index])
    note = _step_note(widening, index, needs.waited_seconds)
    qualified = pool._qualified(requirement, needs.channel)
    if not qualified:
        return Decision(None, strategy, _refusal(pool, requirement, needs.channel) + note, index + 1)
    ranking = _RANKINGS[strategy]
    chosen = min(qualified, key=ranking.rank(needs))
    reason = f"assigned to {chosen.name}: {ranking.why(chosen, needs)}{note}"
    return Decision(chosen.id, strategy, reason, index + 1)


def _as_pool(agents: AgentPool | Iterable[AgentState]) -> AgentPool:
    return agents if isinstance(agents, AgentPool) else AgentPool(agents)


def skills_based(
    needs: TicketNeeds, agents: AgentPool | Iterable[AgentState], *, widening: Widening = AS_ASKED
) -> Decision:
    """The most proficient qualified agent: best total proficiency, then fewest open tickets,
    then longest since the last assignment, then lowest id."""
    return _decide(needs, _as_pool(agents), Strategy.skills, widening)


def least_loaded(
    needs: TicketNeeds, agents: AgentPool | Iterable[AgentState], *, widening: Widening = AS_ASKED
) -> Decision:
    """The qualified agent with the lowest open/capacity ratio on the ticket's channel."""
    return _decide(needs, _as_pool(agents), Strategy.least_loaded, widening)


def round_robin(
    needs: TicketNeeds, agents: AgentPool | Iterable[AgentState], *, widening: Widening = AS_ASKED
) -> Decision:
    """The qualified agent assigned least recently (never assigned first), ties by lowest id."""
    return _decide(needs, _as_pool(agents), Strategy.round_robin, widening)


def route(
    needs: TicketNeeds,
    agents: AgentPool | Iterable[AgentState],
    strategy: Strategy,
    widening: Widening = AS_ASKED,
) -> Decision:
    """Apply the widening step the ticket's wait has reached, then ``strategy``. Passing agents
    rather than a pool builds a throwaway pool (O(n)); keep a pool for repeated decisions."""
    return _decide(needs, _as_pool(agents), strategy, widening)
