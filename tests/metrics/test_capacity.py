"""Capacity planning against hand-computed values: the seed's example and small Erlang C queues."""

from __future__ import annotations

import math

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from supportops.cli.capacity import capacity
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.kit.errors import InvalidInput
from supportops.metrics.capacity import erlang_c, erlang_staffing, service_level, workload_agents
from tests.factories import make_team

app = typer.Typer()
app.command()(capacity)


def test_the_seed_example_needs_28_agents() -> None:
    agents, exact = workload_agents(volume=500, handle_minutes=20, hours=8, utilization=0.75)
    assert agents == 28 and exact == pytest.approx(10_000 / 360)


def test_erlang_c_matches_hand_computed_queues() -> None:
    # 3 agents, 2 erlangs: (8/6 * 3) / (1 + 2 + 2 + 8/6 * 3) = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    # 1 agent is the M/M/1 queue: P(wait) = load
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    # service level of M/M/1: 1 - rho * e^(-(1 - rho) t / AHT)
    assert service_level(1, 0.6, within_minutes=5, handle_minutes=10) == pytest.approx(
        1 - 0.6 * math.exp(-0.2)
    )
    assert erlang_c(2, 2.0) == 1.0 and service_level(2, 2.5, within_minutes=1, handle_minutes=1) == 0.0


def test_erlang_staffing_is_the_fewest_agents_reaching_the_target() -> None:
    plan = erlang_staffing(
        volume=120, handle_minutes=10, hours=1, service_level_target=0.8, within_minutes=1, shrinkage=0.25
    )
    assert plan.load_erlangs == pytest.approx(20.0)
    n = plan.agents_on_duty
    assert service_level(n, 20.0, within_minutes=1, handle_minutes=10) >= 0.8
    assert service_level(n - 1, 20.0, within_minutes=1, handle_minutes=10) < 0.8
    assert plan.agents_to_schedule == math.ceil(n / 0.75)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"volume": 0}, "volume"),
        ({"handle_minutes": -1}, "handle_minutes"),
        ({"service_level_target": 1.0}, "service_level"),
        ({"shrinkage": 1.0}, "shrinkage"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, float], field: str) -> None:
    base = {"volume": 100, "handle_minutes": 10, "hours": 8, "service_level_target": 0.8, "within_minutes": 5}
    with pytest.raises(InvalidInput) as err:
        erlang_staffing(**{**base, **kwargs})
    assert err.value.field == field


def test_the_command_prints_28_agents_for_the_seed_example() -> None:
    args = ["--volume", "500", "--handle-minutes", "20", "--hours", "8", "--utilization", "0.75"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "agents=28"
    bad = CliRunner().invoke(app, ["--volume", "500", "--handle-minutes", "20", "--utilization", "1.5"])
    assert bad.exit_code == 2 and "utilization must be above 0 and at most 1" in bad.output


def test_the_api_plans_capacity_for_staff(client: TestClient, db: Database, clock: FrozenClock) -> None:
    team = make_team(db, clock.now())
    query = "/api/v1/capacity?volume=500&handle_minutes=20&hours=8&utilization=0.75"
    resp = client.get(query, headers=team.lead.headers)
    assert resp.status_code == 200 and resp.json()["workload"]["agents"] == 28
    assert resp.json()["erlang_c"]["agents_to_schedule"] >= resp.json()["erlang_c"]["agents_on_duty"]
    assert client.get(query, headers=team.customer.headers).status_code == 403
    assert (
        client.get("/api/v1/capacity?volume=-1&handle_minutes=20", headers=team.lead.headers).status_code
        == 422
    )
