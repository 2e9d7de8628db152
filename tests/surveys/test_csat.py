"""CSAT: one survey per resolution, delivered as a signed one-time link, answered without a login."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.kit.errors import SupportOpsError
from supportops.surveys import service, tokens
from supportops.surveys.enums import SurveyKind
from supportops.surveys.errors import SurveyAlreadyAnswered, SurveyLinkExpired, SurveyLinkInvalid
from supportops.surveys.schemas import CsatAnswer
from tests.factories import Team
from tests.surveys.conftest import SECRET, csat_rows, link_of, new_ticket, notifications_of, resolve, token_of

KEY = tokens.signing_key(Settings(secret_key=SECRET))


def answer(client: TestClient, token: str, **body: object) -> tuple[int, dict[str, object]]:
    response = client.post(f"/api/v1/surveys/csat/{token}", json=body)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code, response.json()


# --- sending ----------------------------------------------------------------------------------


def test_resolving_sends_exactly_one_survey_per_resolution(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = new_ticket(client, team.customer)
    clock.advance(timedelta(hours=2))
    first_resolution = clock.now()
    resolve(client, ticket_id, team.agent)
    rows = csat_rows(db, ticket_id)
    assert [(r.requester_id, r.resolved_at, r.sent_at, r.answered_at) for r in rows] == [
        (team.customer.id, first_resolution, first_resolution, None)
    ]
    with db.unit_of_work() as session:  # the same resolution again: nothing new
        again = service.send_csat(
            session, ticket_id=ticket_id, resolved_at=first_resolution, now=clock.now(), settings=Settings()
        )
    assert again is None
    assert len(csat_rows(db, ticket_id)) == 1
    assert len(notifications_of(db, team.customer.id, "csat_survey")) == 1

    clock.advance(timedelta(hours=1))
    reply = client.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": "Still nothing."},
        headers=team.customer.headers,
    )
    assert reply.json()["ticket"]["status"] != "resolved"
    assert len(csat_rows(db, ticket_id)) == 1  # a reopen sends nothing
    clock.advance(timedelta(hours=1))
    resolve(client, ticket_id, team.agent, "Tracked it down.")
    assert [r.resolved_at for r in csat_rows(db, ticket_id)] == [first_resolution, clock.now()]
    assert len(notifications_of(db, team.customer.id, "csat_survey")) == 2


def test_the_requester_is_notified_with_a_link_to_the_survey(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = new_ticket(client, team.customer, subject="Refund for order 77")
    resolve(client, ticket_id, team.agent)
    (note,) = notifications_of(db, team.customer.id, "csat_survey")
    assert note.ticket_id == ticket_id
    assert note.data is not None
    url = str(note.data["url"])
    assert url.startswith("/survey/csat/") and url in note.text
    assert "Refund for order 77" in note.text
    signed = tokens.verify(token_of(url), SurveyKind.csat, KEY, now=clock.now())
    assert signed.survey_id == csat_rows(db, ticket_id)[0].id
    assert signed.expires_at == (clock.now() + timedelta(days=14)).replace(microsecond=0)
    assert notifications_of(db, team.agent.id, "csat_survey") == []


def test_a_ticket_requested_by_staff_sends_no_survey(client: TestClient, team: Team, db: Database) -> None:
    ticket_id = new_ticket(client, team.lead)
    resolve(client, ticket_id, team.agent)
    assert csat_rows(db, ticket_id) == []


# --- the link ---------------------------------------------------------------------------------


def test_the_link_round_trips_and_stores_the_answer(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    clock.advance(timedelta(days=2))
    status, body = answer(client, token, score=4, comment="  Quick and kind.  ")
    assert status == 200, body
    assert body["score"] == 4 and body["comment"] == "Quick and kind." and body["kind"] == "csat"
    (row,) = csat_rows(db, ticket_id)
    assert (row.score, row.comment, row.answered_at) == (4, "Quick and kind.", clock.now())
    state = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=team.agent.headers).json()
    assert state["state"] == "answered" and state["score"] == 4 and state["comment"] == "Quick and kind."


def test_a_second_answer_is_refused(client: TestClient, team: Team, db: Database) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    assert answer(client, token, score=5)[0] == 200
    status, body = answer(client, token, score=1, comment="changed my mind")
    assert status == 409
    assert "already been answered" in str(body["detail"])
    assert csat_rows(db, ticket_id)[0].score == 5


def _tampered(token: str) -> list[str]:
    survey_id, expires, signature = token.split(".")
    flip = "A" if signature[0] != "A" else "B"
    return [
        f"{survey_id}.{expires}.{flip}{signature[1:]}",  # signature changed
        f"{int(survey_id) + 1}.{expires}.{signature}",  # another survey
        f"{survey_id}.{int(expires) + 86400}.{signature}",  # a later expiry
        f"{survey_id}.{expires}.{signature[:-1]}",  # cut short
        f"{survey_id}.{expires}",
        "not-a-token",
        "9" * 40 + f".{expires}.{signature}",
    ]


def test_tampered_links_are_refused_with_404(client: TestClient, team: Team, db: Database) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    for bad in _tampered(token):
        status, body = answer(client, bad, score=5)
        assert status == 404, (bad, body)
        assert "not valid" in str(body["detail"])
    assert client.post(f"/api/v1/surveys/nps/{token}", json={"score": 10}).status_code == 404
    assert csat_rows(db, ticket_id)[0].answered_at is None


def test_a_link_signed_with_another_secret_is_refused(client: TestClient, team: Team, db: Database) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    (row,) = csat_rows(db, ticket_id)
    other_key = tokens.signing_key(Settings(secret_key="another-secret-entirely-0123456789"))
    forged = tokens.sign(SurveyKind.csat, row.id, row.sent_at + timedelta(days=14), other_key)
    assert answer(client, forged, score=5)[0] == 404


def test_links_expire_after_the_configured_days(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    clock.advance(timedelta(days=14))
    status, body = answer(client, token, score=3)
    assert status == 410
    assert "expired" in str(body["detail"])
    assert csat_rows(db, ticket_id)[0].answered_at is None
    state = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=team.customer.headers).json()
    assert state["state"] == "expired" and state["link"] is None


def test_a_link_works_until_its_last_second(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert answer(client, token, score=2)[0] == 200


def test_link_days_are_configurable(clock: FrozenClock) -> None:
    settings = Settings(secret_key=SECRET, survey_link_days=3)
    url, expires_at = service.link_for(SurveyKind.csat, 42, clock.now(), settings)
    key = tokens.signing_key(settings)
    assert expires_at == clock.now() + timedelta(days=3)
    assert (
        tokens.verify(token_of(url), SurveyKind.csat, key, now=expires_at - timedelta(seconds=1)).survey_id
        == 42
    )
    with pytest.raises(SurveyLinkExpired):
        tokens.verify(token_of(url), SurveyKind.csat, key, now=expires_at)
    with pytest.raises(SurveyLinkInvalid):
        tokens.verify(token_of(url), SurveyKind.nps, key, now=clock.now())


def test_without_a_configured_secret_one_is_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    first = tokens._key_file(path)
    tokens._key_file.cache_clear()
    assert tokens._key_file(path) == first
    assert len(first) >= 32 and (path.stat().st_mode & 0o777) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no draft left behind


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [0, 6, -1, "5", 4.5, None, True, 10**30])
def test_a_score_outside_1_to_5_is_refused_naming_score(
    client: TestClient, team: Team, db: Database, score: object
) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    status, body = answer(client, token, score=score)
    assert status == 422
    assert [e["field"] for e in body["errors"]] == ["score"]
    assert csat_rows(db, ticket_id)[0].answered_at is None


def test_a_missing_score_or_a_bad_comment_is_refused(client: TestClient, team: Team, db: Database) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    status, body = answer(client, token, comment="no score")
    assert status == 422 and body["errors"][0]["field"] == "score"
    for comment in ("x" * 2001, "nul\x00byte"):
        status, body = answer(client, token, score=4, comment=comment)
        assert status == 422 and body["errors"][0]["field"] == "comment"
    status, body = answer(client, token, score=4, extra=1)
    assert status == 422 and body["errors"][0]["field"] == "extra"
    assert answer(client, token, score=1, comment="x" * 2000)[0] == 200


# --- who sees what ----------------------------------------------------------------------------


def test_customers_never_see_other_customers_surveys(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    url = f"/api/v1/tickets/{ticket_id}/csat"

    mine = client.get(url, headers=team.customer.headers).json()
    assert mine["state"] == "open" and mine["link"] == link_of(db, team.customer.id)
    assert client.get(url, headers=team.other_customer.headers).status_code == 404  # same org, not shared
    assert client.get(url, headers=team.colleague.headers).status_code == 404  # another org

    assert answer(client, token_of(mine["link"]), score=2, comment="Slow.")[0] == 200
    staff = client.get(url, headers=team.lead.headers).json()
    assert (staff["state"], staff["score"], staff["comment"], staff["link"]) == ("answered", 2, "Slow.", None)


def test_an_organization_colleague_who_shares_the_ticket_cannot_read_its_survey(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    from supportops.auth.enums import Role
    from tests.factories import make_org, make_person

    org = make_org(db, clock.now(), name="Umbrella", shared=True, domain="umbrella.example.com")
    ann = make_person(
        db, clock.now(), email="ann@umbrella.example.com", role=Role.customer, organization_id=org
    )
    ben = make_person(
        db, clock.now(), email="ben@umbrella.example.com", role=Role.customer, organization_id=org
    )
    agent = make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent)
    ticket_id = new_ticket(client, ann)
    resolve(client, ticket_id, agent)
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=ben.headers).status_code == 200
    response = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=ben.headers)
    assert response.status_code == 403
    assert "requester" in response.json()["detail"]


def test_a_ticket_never_resolved_has_no_survey(client: TestClient, team: Team) -> None:
    ticket_id = new_ticket(client, team.customer)
    body = client.get(f"/api/v1/tickets/{ticket_id}/csat", headers=team.customer.headers).json()
    assert body["state"] == "not_sent" and body["survey_id"] is None
    assert client.get("/api/v1/tickets/999999/csat", headers=team.agent.headers).status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket_id}/csat").status_code == 401


def test_two_answers_at_once_store_one(
    team: Team, db: Database, clock: FrozenClock, client: TestClient
) -> None:
    ticket_id = new_ticket(client, team.customer)
    resolve(client, ticket_id, team.agent)
    token = token_of(link_of(db, team.customer.id))
    settings = Settings(secret_key=SECRET)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def submit(score: int) -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as session:
                service.answer(
                    session,
                    kind=SurveyKind.csat,
                    token=token,
                    data=CsatAnswer(score=score),
                    now=clock.now(),
                    settings=settings,
                )
            outcomes.append(score)
        except SupportOpsError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=submit, args=(s,)) for s in (1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes if isinstance(o, int)]
    lost = [o for o in outcomes if isinstance(o, SurveyAlreadyAnswered)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert csat_rows(db, ticket_id)[0].score == won[0]
