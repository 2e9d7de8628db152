"""The staffing simulation: exact small cases, Erlang C on long runs, determinism, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from supportops.kit.errors import InvalidInput
from supportops.routing.simulation import (
    MONDAY,
    Category,
    EmpiricalHandle,
    ExponentialHandle,
    HistoricalArrivals,
    RateProfile,
    Scenario,
    SimAgent,
    SimulationReport,
    simulate,
    single_queue,
)
from supportops.routing.strategies import DEFAULT_WIDENING, Strategy
from tests.routing import erlang


def _at_minutes(*minutes: float) -> HistoricalArrivals:
    return HistoricalArrivals(tuple(MONDAY + timedelta(minutes=m) for m in minutes))


def _one_agent_scenario(arrivals: HistoricalArrivals, **changes: Any) -> Scenario:
    """One agent, ten-minute tickets, one hour, a ten-minute target; ``changes`` override."""
    base = Scenario(
        agents=(SimAgent(1, "Ana", {"support": 3}),),
        categories=(Category("support", EmpiricalHandle((10.0,)), skills={"support": 1}),),
        arrivals=arrivals,
        hours=1.0,
        target_minutes=10.0,
    )
    return replace(base, **changes)


def test_waits_percentiles_and_utilization_of_a_hand_checked_queue() -> None:
    report = simulate(_one_agent_scenario(_at_minutes(0, 1, 2, 30)), seed=1)
    assert (report.arrived, report.handled, report.abandoned, report.unanswered) == (4, 4, 0, 0)
    assert report.mean_wait_minutes == pytest.approx(6.75)
    assert (report.p50_wait_minutes, report.p90_wait_minutes, report.p99_wait_minutes) == pytest.approx(
        (0.0, 18.0, 18.0)
    )
    assert report.sla_attainment == pytest.approx(0.75)
    assert report.waited_share == pytest.approx(0.5)
    assert report.utilization == pytest.approx(40 / 60)
    assert report.agents[0].handled == 4


def test_a_ticket_waits_for_the_shift_to_start_and_utilization_counts_shift_hours() -> None:
    nine_to_five = SimAgent(1, "Ana", {"support": 3}, shifts={"mon": [(9.0, 17.0)]})
    scenario = _one_agent_scenario(
        _at_minutes(8 * 60, 10 * 60), agents=(nine_to_five,), hours=24.0, target_minutes=15.0
    )
    report = simulate(scenario, seed=1)
    assert report.p99_wait_minutes == pytest.approx(60.0)
    assert report.sla_attainment == pytest.approx(0.5)
    agent = report.agents[0]
    assert (agent.on_shift_hours, agent.busy_hours) == pytest.approx((8.0, 20 / 60))
    assert agent.utilization == pytest.approx(20 / 60 / 8)


def test_arrivals_outside_the_hours_are_left_out() -> None:
    report = simulate(_one_agent_scenario(_at_minutes(-5, 10, 61)), seed=1)
    assert report.arrived == 1


def test_tickets_nobody_can_take_are_unanswered_and_count_as_missed() -> None:
    german = Category("german", EmpiricalHandle((5.0,)), language="de")
    report = simulate(_one_agent_scenario(_at_minutes(0, 1), categories=(german,)), seed=1)
    assert (report.handled, report.unanswered, report.sla_attainment) == (0, 2, 0.0)


def test_widening_lets_a_waiting_ticket_reach_a_less_skilled_agent() -> None:
    expert_work = Category("api", EmpiricalHandle((5.0,)), skills={"api": 5})
    generalist = SimAgent(1, "Ana", {"api": 3})
    as_asked = _one_agent_scenario(_at_minutes(0), categories=(expert_work,), agents=(generalist,))
    assert simulate(as_asked, seed=1).unanswered == 1
    widened = _one_agent_scenario(
        _at_minutes(0), categories=(expert_work,), agents=(generalist,), widening=DEFAULT_WIDENING
    )
    report = simulate(widened, seed=1)
    assert report.handled == 1
    assert report.p99_wait_minutes == pytest.approx(15.0)


def test_impatient_customers_abandon_and_every_ticket_is_accounted_for() -> None:
    scenario = single_queue(
        agents=1,
        arrivals=RateProfile.constant(30),
        handle_minutes=10,
        target_minutes=5,
        hours=50,
        patience_minutes=2,
    )
    report = simulate(scenario, seed=3)
    assert report.abandoned > report.arrived / 2
    assert report.arrived == report.handled + report.abandoned + report.unanswered
    assert report.sla_attainment <= report.handled / report.arrived


def test_a_weekly_profile_sends_tickets_only_in_its_hours() -> None:
    monday_ten = RateProfile.from_week({"mon": [600.0 if hour == 10 else 0.0 for hour in range(24)]})
    scenario = single_queue(agents=20, arrivals=monday_ten, handle_minutes=1, target_minutes=1, hours=10)
    assert simulate(scenario, seed=5).arrived == 0
    full_day = simulate(
        single_queue(agents=20, arrivals=monday_ten, handle_minutes=1, target_minutes=1, hours=24), seed=5
    )
    assert 500 <= full_day.arrived <= 700


def test_the_same_seed_gives_the_same_report_and_strategies_see_the_same_tickets() -> None:
    team = tuple(SimAgent(n, name, {"support": n}) for n, name in ((1, "Novice"), (5, "Expert")))

    def run(strategy: Strategy, seed: int) -> SimulationReport:
        queue = single_queue(
            agents=1, arrivals=RateProfile.constant(4), handle_minutes=6, target_minutes=5, hours=200
        )
        return simulate(replace(queue, agents=team, strategy=strategy), seed=seed)

    first = run(Strategy.skills, 42)
    assert run(Strategy.skills, 42) == first
    assert run(Strategy.skills, 43) != first
    rotated = run(Strategy.round_robin, 42)
    assert rotated.arrived == first.arrived
    novice, expert = first.agents
    assert expert.handled > 2 * novice.handled
    assert abs(rotated.agents[0].handled - rotated.agents[1].handled) <= rotated.arrived * 0.1


@pytest.mark.parametrize(
    ("agents", "rate_per_hour", "handle_minutes", "tickets", "within_minutes"),
    [(4, 18, 8.0, 20_000, 1.0), (8, 45, 8.5, 50_000, 2.0), (12, 80, 8.0, 120_000, 2.0)],
)
def test_a_single_skill_queue_agrees_with_erlang_c(
    agents: int, rate_per_hour: float, handle_minutes: float, tickets: int, within_minutes: float
) -> None:
    """Occupancy 60 %, 80 % and 89 %. The queue measures are compared with Erlang C at the load
    the run actually carried (its utilization times the agents), which removes the noise of the
    drawn arrivals and handle times; that load is itself checked against the nominal one."""
    scenario = single_queue(
        agents=agents,
        arrivals=RateProfile.constant(rate_per_hour),
        handle_minutes=handle_minutes,
        target_minutes=within_minutes,
        hours=tickets / rate_per_hour,
    )
    report = simulate(scenario, seed=7)
    nominal = erlang.occupancy(rate_per_hour, handle_minutes, agents)
    assert report.utilization == pytest.approx(nominal, abs=0.01)
    carried = report.utilization * agents * 60 / handle_minutes
    waiting = erlang.probability_of_waiting(carried, handle_minutes, agents)
    speed = erlang.average_speed_of_answer(carried, handle_minutes, agents)
    level = erlang.service_level(carried, handle_minutes, agents, within_minutes)
    assert report.waited_share == pytest.approx(waiting, rel=0.05)
    assert report.mean_wait_minutes == pytest.approx(speed, rel=0.10)
    assert report.sla_attainment == pytest.approx(level, abs=0.02)


def test_erlang_c_reference_matches_known_values() -> None:
    assert erlang.probability_of_waiting(30, 1, 1) == pytest.approx(0.5)
    assert erlang.probability_of_waiting(60, 1, 2) == pytest.approx(1 / 3)
    assert erlang.average_speed_of_answer(60, 1, 2) == pytest.approx(1 / 3)
    assert erlang.service_level(60, 1, 2, 0) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="erlangs"):
        erlang.probability_of_waiting(120, 1, 2)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (
            lambda: single_queue(
                agents=-1, arrivals=RateProfile.constant(5), handle_minutes=5, target_minutes=5, hours=1
            ),
            "agents",
        ),
        (lambda: ExponentialHandle(0), "handle_minutes"),
        (lambda: ExponentialHandle(float("inf")), "handle_minutes"),
        (lambda: EmpiricalHandle(()), "handle_minutes"),
        (lambda: EmpiricalHandle((3.0, -1.0)), "handle_minutes"),
        (lambda: RateProfile.constant(-2), "rate"),
        (lambda: RateProfile.from_week({"funday": [1.0] * 24}), "profile"),
        (lambda: RateProfile.from_week({"mon": [1.0] * 23}), "profile"),
        (lambda: RateProfile.from_week({"mon": [-1.0] * 24}), "profile"),
        (lambda: SimAgent(1, "Ana", {}, shifts={"mon": [(17.0, 9.0)]}), "shifts"),
        (lambda: SimAgent(1, "Ana", {"api": 7}), "skills"),
        (lambda: Category("api", ExponentialHandle(5), weight=0), "weight"),
        (lambda: _one_agent_scenario(_at_minutes(0), hours=0), "hours"),
        (lambda: _one_agent_scenario(_at_minutes(0), target_minutes=-1), "target_minutes"),
        (lambda: _one_agent_scenario(_at_minutes(0), patience_minutes=0), "patience_minutes"),
        (lambda: _one_agent_scenario(_at_minutes(0), agents=()), "agents"),
        (lambda: _one_agent_scenario(_at_minutes(0), start=MONDAY.replace(tzinfo=None)), "start"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(build: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build()
    assert caught.value.field == field
