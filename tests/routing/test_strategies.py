"""Routing strategies: who qualifies, who wins, what the reason says, and how waiting widens it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportops.kit.errors import Conflict, InvalidInput, NotFound
from supportops.routing.strategies import (
    AS_ASKED,
    DEFAULT_WIDENING,
    AgentPool,
    AgentState,
    Presence,
    Strategy,
    TicketNeeds,
    Widening,
    WideningStep,
    least_loaded,
    round_robin,
    route,
    skills_based,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def agent(
    agent_id: int,
    name: str,
    skills: Mapping[str, int],
    *,
    capacity: int = 5,
    open_email: int = 0,
    languages: frozenset[str] = frozenset({"en"}),
    presence: Presence = Presence.online,
    on_shift: bool = True,
    last: datetime | None = None,
) -> AgentState:
    return AgentState(
        id=agent_id,
        name=name,
        skills=skills,
        languages=languages,
        capacity={"email": capacity},
        open_tickets={"email": open_email},
        presence=presence,
        on_shift=on_shift,
        last_assigned_at=last,
    )


def needs(skills: Mapping[str, int], *, language: str | None = None, waited: float = 0) -> TicketNeeds:
    return TicketNeeds(id=1, channel="email", skills=skills, language=language, waited_seconds=waited)


# --- skills-based -------------------------------------------------------------------------------


def test_skills_based_needs_every_skill_at_its_minimum() -> None:
    team = [
        agent(1, "Ana", {"billing": 5}),
        agent(2, "Bo", {"billing": 2, "api": 5}),
        agent(3, "Cy", {"billing": 3, "api": 3}),
    ]
    decision = skills_based(needs({"billing": 3, "api": 3}), team)
    assert decision.agent_id == 3
    assert decision.reason == "assigned to Cy: skills billing 3/5, api 3/5, 0 of 5 email slots used"
    assert decision.step == 1


def test_skills_based_prefers_the_highest_total_proficiency() -> None:
    team = [agent(1, "Ana", {"billing": 3}), agent(2, "Bo", {"billing": 4}, open_email=2)]
    decision = skills_based(needs({"billing": 3}), team)
    assert (decision.agent_id, decision.strategy) == (2, Strategy.skills)
    assert decision.reason == "assigned to Bo: skill billing 4/5, 2 of 5 email slots used"


def test_skills_ties_go_to_fewer_open_tickets_then_longest_idle_then_lowest_id() -> None:
    team = [
        agent(4, "Di", {"billing": 4}, open_email=1, last=T0 - timedelta(hours=3)),
        agent(3, "Cy", {"billing": 4}, last=T0),
        agent(2, "Bo", {"billing": 4}, last=T0 - timedelta(hours=1)),
        agent(1, "Ana", {"billing": 4}, last=T0 - timedelta(hours=1)),
    ]
    assert skills_based(needs({"billing": 4}), team).agent_id == 1
    assert skills_based(needs({"billing": 4}), team[:3]).agent_id == 2
    assert skills_based(needs({"billing": 4}), team[:2]).agent_id == 3


@pytest.mark.parametrize(
    ("blocked", "reason"),
    [
        (
            agent(1, "Ana", {"billing": 4}, presence=Presence.away),
            "no agent: 1 agent covers billing>=3 but none is online",
        ),
        (
            agent(1, "Ana", {"billing": 4}, presence=Presence.offline),
            "no agent: 1 agent covers billing>=3 but none is online",
        ),
        (
            agent(1, "Ana", {"billing": 4}, on_shift=False),
            "no agent: 1 online agent covers billing>=3 but none is on shift",
        ),
        (
            agent(1, "Ana", {"billing": 4}, capacity=2, open_email=2),
            "no agent: 1 online agent on shift covers billing>=3 but it is at capacity for email",
        ),
        (
            agent(1, "Ana", {"billing": 4}, capacity=0),
            "no agent: 1 online agent on shift covers billing>=3 but it is at capacity for email",
        ),
        (agent(1, "Ana", {"billing": 2}), "no agent: nobody covers billing>=3"),
        (agent(1, "Ana", {"api": 5}), "no agent: nobody covers billing>=3"),
    ],
)
def test_an_unavailable_or_unskilled_agent_is_never_chosen(blocked: AgentState, reason: str) -> None:
    decision = skills_based(needs({"billing": 3}), [blocked])
    assert decision.agent_id is None
    assert decision.reason == reason


def test_the_refusal_counts_the_agents_that_ran_out() -> None:
    team = [agent(n, f"A{n}", {"billing": 3 + n % 2}, capacity=1, open_email=1) for n in range(1, 4)]
    team.append(agent(9, "Off", {"billing": 5}, presence=Presence.offline))
    decision = least_loaded(needs({"billing": 3}), team)
    assert decision.agent_id is None
    assert decision.reason == (
        "no agent: 3 online agents on shift cover billing>=3 but all are at capacity for email"
    )


def test_a_channel_nobody_serves_is_named() -> None:
    chat = TicketNeeds(id=1, channel="chat", skills={"billing": 1})
    decision = round_robin(chat, [agent(1, "Ana", {"billing": 4})])
    assert (
        decision.reason == "no agent: 1 online agent on shift covers billing>=1 but none takes chat tickets"
    )


def test_the_language_asked_must_be_spoken() -> None:
    team = [
        agent(1, "Ana", {"billing": 5}),
        agent(2, "Bo", {"billing": 3}, languages=frozenset({"en", "de"})),
    ]
    assert skills_based(needs({"billing": 3}, language="de"), team).agent_id == 2
    refused = skills_based(needs({"billing": 3}, language="fr"), team)
    assert refused.agent_id is None
    assert refused.reason == "no agent: 2 agents cover billing>=3 but none speaks fr"


def test_no_skills_asked_lets_any_available_agent_qualify() -> None:
    team = [agent(1, "Ana", {}, open_email=3), agent(2, "Bo", {"api": 1}, open_email=1)]
    decision = skills_based(needs({}), team)
    assert decision.agent_id == 2
    assert decision.reason == "assigned to Bo: no skills asked, 1 of 5 email slots used"


# --- least-loaded and round robin ---------------------------------------------------------------


def test_least_loaded_picks_the_lowest_share_of_capacity_not_the_best_skill() -> None:
    team = [
        agent(1, "Ana", {"billing": 5}, capacity=8, open_email=4),
        agent(2, "Bo", {"billing": 3}, capacity=3, open_email=1),
        agent(3, "Cy", {"billing": 3}, capacity=10, open_email=3),
        agent(4, "Di", {"billing": 2}, capacity=10, open_email=0),
    ]
    decision = least_loaded(needs({"billing": 3}), team)
    assert decision.agent_id == 3
    assert decision.reason == "assigned to Cy: least loaded, 3 of 10 email slots used, skill billing 3/5"


def test_least_loaded_ties_go_to_longest_idle_then_lowest_id() -> None:
    team = [
        agent(1, "Ana", {"billing": 3}, capacity=4, open_email=2, last=T0),
        agent(2, "Bo", {"billing": 3}, capacity=2, open_email=1, last=T0 - timedelta(minutes=5)),
        agent(3, "Cy", {"billing": 3}, capacity=6, open_email=3, last=T0 - timedelta(minutes=5)),
    ]
    assert least_loaded(needs({"billing": 3}), team).agent_id == 2


def test_round_robin_rotates_through_qualified_agents() -> None:
    pool = AgentPool(
        [
            agent(3, "Cy", {"billing": 3}),
            agent(1, "Ana", {"billing": 5}),
            agent(2, "Bo", {"billing": 4}),
            agent(4, "Di", {"api": 5}),
        ]
    )
    order: list[int | None] = []
    for turn in range(7):
        decision = round_robin(needs({"billing": 3}), pool)
        assert decision.agent_id is not None
        order.append(decision.agent_id)
        pool.assign(decision.agent_id, "email", at=T0 + timedelta(minutes=turn))
    assert order == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_skips_a_full_agent_and_says_when_the_next_was_last_assigned() -> None:
    pool = AgentPool([agent(1, "Ana", {"billing": 3}, capacity=1), agent(2, "Bo", {"billing": 3})])
    pool.assign(1, "email", at=T0)
    pool.assign(2, "email", at=T0 + timedelta(minutes=1))
    decision = round_robin(needs({"billing": 3}), pool)
    assert decision.agent_id == 2
    assert decision.reason == (
        "assigned to Bo: next in rotation (last assigned 2026-03-02T09:01:00+00:00), "
        "skill billing 3/5, 1 of 5 email slots used"
    )


def test_route_dispatches_on_the_strategy() -> None:
    team = [
        agent(1, "Ana", {"billing": 5}, open_email=4, last=T0 - timedelta(hours=1)),
        agent(2, "Bo", {"billing": 3}, open_email=0, last=T0),
    ]
    ask = needs({"billing": 3})
    assert route(ask, team, Strategy.skills).agent_id == 1
    assert route(ask, team, Strategy.least_loaded).agent_id == 2
    assert route(ask, team, Strategy.round_robin).agent_id == 1


# --- widening -----------------------------------------------------------------------------------


def _widening_team() -> list[AgentState]:
    return [
        agent(1, "Ana", {"api": 3}, capacity=1),
        agent(2, "Bo", {"billing": 1}, languages=frozenset({"de"})),
        agent(3, "Cy", {}, languages=frozenset({"en"}), presence=Presence.away),
    ]


def test_widening_waits_as_asked_at_first() -> None:
    decision = skills_based(needs({"api": 4}, waited=299), _widening_team(), widening=DEFAULT_WIDENING)
    assert (decision.agent_id, decision.step) == (None, 1)
    assert decision.reason == "no agent: nobody covers api>=4; step 1 of 3 (waited 299 s): as asked"


def test_widening_lowers_the_minimums_after_300_seconds() -> None:
    decision = skills_based(needs({"api": 4}, waited=300), _widening_team(), widening=DEFAULT_WIDENING)
    assert (decision.agent_id, decision.step) == (1, 2)
    assert decision.reason == (
        "assigned to Ana: skill api 3/5 (asked 4), 0 of 1 email slots used; "
        "step 2 of 3 (waited 300 s): minimums lowered by 1"
    )


def test_widening_drops_skills_but_keeps_the_language_after_900_seconds() -> None:
    pool = AgentPool(_widening_team())
    pool.assign(1, "email", at=T0)
    german = needs({"api": 4}, language="de", waited=1000)
    decision = skills_based(german, pool, widening=DEFAULT_WIDENING)
    assert (decision.agent_id, decision.step) == (2, 3)
    assert decision.reason == (
        "assigned to Bo: skill api none (asked 4), 0 of 5 email slots used; "
        "step 3 of 3 (waited 1000 s): skills dropped, language kept"
    )
    english = needs({"api": 4}, language="en", waited=1000)
    refused = skills_based(english, pool, widening=DEFAULT_WIDENING)
    assert refused.agent_id is None
    assert refused.reason == (
        "no agent: 1 online agent on shift is in the pool and speaks en but it is at capacity for email; "
        "step 3 of 3 (waited 1000 s): skills dropped, language kept"
    )


def test_a_widening_can_drop_the_language_too() -> None:
    widening = Widening((WideningStep(0), WideningStep(60, drop_skills=True, drop_language=True)))
    assert widening.steps[1].describe() == "skills dropped, language dropped"
    decision = round_robin(needs({"api": 5}, language="fr", waited=60), _widening_team(), widening=widening)
    assert decision.agent_id == 1


@pytest.mark.parametrize(
    "steps",
    [
        (),
        (WideningStep(10),),
        (WideningStep(0), WideningStep(0, lower_by=1)),
        (WideningStep(0), WideningStep(300, drop_skills=True), WideningStep(900, lower_by=1)),
        (WideningStep(0, lower_by=2), WideningStep(300, lower_by=1)),
        (WideningStep(0, lower_by=5),),
    ],
)
def test_widening_steps_must_start_at_zero_and_only_relax(steps: tuple[WideningStep, ...]) -> None:
    with pytest.raises(InvalidInput):
        Widening(steps)


# --- the pool -----------------------------------------------------------------------------------


def test_the_pool_follows_assignments_releases_presence_and_shifts() -> None:
    pool = AgentPool([agent(1, "Ana", {"billing": 3}, capacity=1)])
    ask = needs({"billing": 3})
    pool.assign(1, "email", at=T0)
    assert skills_based(ask, pool).agent_id is None
    pool.release(1, "email")
    assert skills_based(ask, pool).agent_id == 1
    pool.set_presence(1, Presence.away)
    assert skills_based(ask, pool).agent_id is None
    pool.set_presence(1, Presence.online)
    pool.set_on_shift(1, False)
    assert skills_based(ask, pool).agent_id is None
    pool.set_on_shift(1, True)
    assert skills_based(ask, pool).agent_id == 1
    snapshot = pool.state(1)
    assert (snapshot.open_tickets, snapshot.last_assigned_at) == ({"email": 0}, T0)


def test_the_pool_refuses_what_cannot_be() -> None:
    with pytest.raises(InvalidInput, match="listed twice"):
        AgentPool([agent(1, "Ana", {}), agent(1, "Ana again", {})])
    pool = AgentPool([agent(1, "Ana", {})])
    with pytest.raises(Conflict, match="Ana holds no open email ticket"):
        pool.release(1, "email")
    with pytest.raises(NotFound):
        pool.assign(7, "email", at=T0)
    assert len(pool) == 1
    assert skills_based(needs({}), AgentPool([])).reason == "no agent: the pool has no agents"


@pytest.mark.parametrize(
    "build",
    [
        lambda: agent(1, "Ana", {"billing": 6}),
        lambda: agent(1, "Ana", {"billing": 0}),
        lambda: agent(1, "Ana", {}, capacity=-1),
        lambda: TicketNeeds(id=1, channel="email", skills={"api": 9}),
        lambda: TicketNeeds(id=1, channel="email", waited_seconds=-1),
        lambda: TicketNeeds(id=1, channel="email", waited_seconds=float("nan")),
    ],
)
def test_out_of_range_inputs_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(InvalidInput):
        build()


# --- properties against a brute-force reference -------------------------------------------------

SKILLS = ("billing", "api", "sso")
LANGUAGES = ("en", "de", "fr")
CHANNELS = ("email", "chat")


@st.composite
def agents_strategy(draw: st.DrawFn) -> list[AgentState]:
    count = draw(st.integers(min_value=0, max_value=12))
    team = []
    for number in range(1, count + 1):
        hours_ago = draw(st.none() | st.integers(min_value=0, max_value=5))
        team.append(
            AgentState(
                id=number,
                name=f"agent {number}",
                skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5))),
                languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), max_size=2))),
                capacity=draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3))),
                open_tickets=draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3))),
                presence=draw(st.sampled_from(Presence)),
                on_shift=draw(st.booleans()),
                last_assigned_at=None if hours_ago is None else T0 - timedelta(hours=hours_ago),
            )
        )
    return team


needs_strategy = st.builds(
    TicketNeeds,
    id=st.just(1),
    channel=st.sampled_from(CHANNELS),
    skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2),
    language=st.none() | st.sampled_from(LANGUAGES),
    waited_seconds=st.sampled_from([0, 299, 300, 899, 900, 5000]),
)


def _available(member: AgentState, channel: str) -> bool:
    return (
        member.presence is Presence.online
        and member.on_shift
        and member.open_tickets.get(channel, 0) < member.capacity.get(channel, 0)
    )


def _qualifies(member: AgentState, ask: TicketNeeds, step: WideningStep) -> bool:
    if not _available(member, ask.channel):
        return False
    if not step.drop_language and ask.language is not None and ask.language not in member.languages:
        return False
    if step.drop_skills:
        return True
    return all(member.skills.get(s, 0) >= max(1, m - step.lower_by) for s, m in ask.skills.items())


def _idle_key(member: AgentState) -> float:
    return float("-inf") if member.last_assigned_at is None else member.last_assigned_at.timestamp()


def _reference_key(member: AgentState, ask: TicketNeeds, strategy: Strategy) -> tuple[float, ...]:
    if strategy is Strategy.skills:
        total = sum(member.skills.get(skill, 0) for skill in ask.skills)
        return (-total, sum(member.open_tickets.values()), _idle_key(member), member.id)
    if strategy is Strategy.least_loaded:
        load = member.open_tickets.get(ask.channel, 0) / member.capacity[ask.channel]
        return (load, _idle_key(member), member.id)
    return (_idle_key(member), member.id)


@settings(max_examples=120, deadline=None)
@given(team=agents_strategy(), ask=needs_strategy, strategy=st.sampled_from(Strategy))
def test_the_choice_is_the_best_qualified_agent_and_none_only_when_nobody_qualifies(
    team: list[AgentState], ask: TicketNeeds, strategy: Strategy
) -> None:
    step_number = max(
        n for n, s in enumerate(DEFAULT_WIDENING.steps) if ask.waited_seconds >= s.after_seconds
    )
    step = DEFAULT_WIDENING.steps[step_number]
    qualified = [member for member in team if _qualifies(member, ask, step)]
    decision = route(ask, team, strategy, DEFAULT_WIDENING)
    assert decision.step == step_number + 1
    if not qualified:
        assert decision.agent_id is None
        assert decision.reason.startswith("no agent: ")
        return
    best = min(qualified, key=lambda member: _reference_key(member, ask, strategy))
    assert decision.agent_id == best.id
    assert decision.reason.startswith(f"assigned to {best.name}: ")


@settings(max_examples=60, deadline=None)
@given(
    team=agents_strategy(),
    moves=st.lists(
        st.tuples(
            st.sampled_from(["assign", "release", "presence", "shift"]),
            st.integers(1, 12),
            st.sampled_from(CHANNELS),
            st.sampled_from(Presence),
        ),
        max_size=30,
    ),
    asks=st.lists(needs_strategy, min_size=1, max_size=5),
)
def test_incremental_updates_decide_like_a_pool_built_afresh(
    team: list[AgentState],
    moves: list[tuple[str, int, str, Presence]],
    asks: list[TicketNeeds],
) -> None:
    pool = AgentPool(team)
    for turn, (move, agent_id, channel, presence) in enumerate(moves):
        if agent_id > len(team):
            continue
        if move == "assign":
            pool.assign(agent_id, channel, at=T0 + timedelta(minutes=turn))
        elif move == "release" and pool.state(agent_id).open_tickets.get(channel, 0):
            pool.release(agent_id, channel)
        elif move == "presence":
            pool.set_presence(agent_id, presence)
        elif move == "shift":
            pool.set_on_shift(agent_id, not pool.state(agent_id).on_shift)
    fresh = AgentPool([pool.state(member.id) for member in team])
    for ask in asks:
        for strategy in Strategy:
            assert route(ask, pool, strategy, DEFAULT_WIDENING) == route(
                ask, fresh, strategy, DEFAULT_WIDENING
            )


def test_without_widening_a_long_wait_changes_nothing() -> None:
    decision = skills_based(needs({"api": 4}, waited=5000), _widening_team(), widening=AS_ASKED)
    assert (decision.agent_id, decision.step) == (None, 1)
    assert decision.reason == "no agent: nobody covers api>=4"
