"""The no_match decision rests on a confidence, the best score less a share of the runner-up's: a
query two articles answer about as well is less likely to be answered by the first, so it may be
no_match at a threshold its top score passes, while a clear query is answered. The suggestions
themselves keep their order and their own scores."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.knowledge import service as kb
from tests.factories import Team
from tests.knowledge.conftest import create, suggest

ARTICLES = [
    ("Reset your password", "Forgot your password? Choose Forgot password on the sign-in page."),
    ("Track your delivery", "Where is my parcel? Every order has a tracking number in the email."),
    (
        "Change your delivery address",
        "Move where we ship your orders: open Account, then Addresses, and edit the delivery address.",
    ),
    (
        "Change your billing address",
        "Move where we send your invoices: open Account, then Addresses, and edit the billing address.",
    ),
]


def _weight(client: TestClient, team: Team) -> float:
    settings = client.get("/api/v1/kb/settings", headers=team.lead.headers).json()
    return kb.RUNNER_UP_WEIGHT if settings["semantic"] is None else kb.RUNNER_UP_WEIGHT_SEMANTIC


def _set_threshold(client: TestClient, team: Team, value: float) -> None:
    response = client.put(
        "/api/v1/kb/settings", json={"no_match_threshold": value}, headers=team.lead.headers
    )
    assert response.status_code == 200, response.text


def _scores(result: dict[str, Any]) -> list[float]:
    return [s["score"] for s in result["suggestions"]]


def test_confidence_is_the_best_score_less_a_share_of_the_runner_up() -> None:
    assert kb.confidence([0.5, 0.4, 0.1], runner_up_weight=0.25) == pytest.approx(0.4)
    assert kb.confidence([0.5], runner_up_weight=0.25) == pytest.approx(0.5)
    assert kb.confidence([0.5, 0.4], runner_up_weight=0.0) == pytest.approx(0.5)
    assert kb.confidence([], runner_up_weight=0.25) is None


def test_the_calibrated_weights_take_a_share_of_the_runner_up() -> None:
    for weight in (kb.RUNNER_UP_WEIGHT, kb.RUNNER_UP_WEIGHT_SEMANTIC):
        assert 0.0 < weight <= 1.0


def test_a_query_two_articles_answer_alike_is_no_match_where_a_clear_one_is_answered(
    client: TestClient, team: Team
) -> None:
    ids = {title: create(client, team.agent, title=title, body=body)["id"] for title, body in ARTICLES}
    weight = _weight(client, team)
    ambiguous = suggest(client, "change my address")
    top, second = _scores(ambiguous)[:2]
    assert {s["article_id"] for s in ambiguous["suggestions"][:2]} == {
        ids["Change your delivery address"],
        ids["Change your billing address"],
    }
    assert second > 0.9 * top  # the two articles answer it about as well
    threshold = round(top - weight * second / 2, 4)  # the top score passes it, the confidence does not
    _set_threshold(client, team, threshold)

    again = suggest(client, "change my address")
    assert again["no_match"] is True and again["threshold"] == threshold
    assert _scores(again)[0] >= threshold
    assert _scores(again) == _scores(ambiguous)  # same suggestions, same scores: only the decision moved

    clear = suggest(client, "I forgot my password")
    assert clear["no_match"] is False
    assert clear["suggestions"][0]["article_id"] == ids["Reset your password"]


def test_unrelated_text_stays_no_match_at_the_calibrated_default(client: TestClient, team: Team) -> None:
    for title, body in ARTICLES:
        create(client, team.agent, title=title, body=body)
    settings = client.get("/api/v1/kb/settings", headers=team.lead.headers).json()
    assert settings["threshold_source"] == "calibrated default"
    unrelated = suggest(client, "What is the weather in Lisbon tomorrow", "planning a picnic")
    assert unrelated["no_match"] is True
    clear = suggest(client, "I forgot my password")
    assert clear["no_match"] is False
