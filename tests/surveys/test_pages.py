"""The survey pages (no login, CSRF by cookie), the portal's prompt, and the agent's handle-time
timer with its form fallback."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from supportops.auth.enums import Role
from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.surveys import service
from supportops.tickets.models import TimeEntry
from supportops.web.surveys import SURVEY_CSRF_COOKIE
from tests.factories import Person, make_org, make_person
from tests.surveys.conftest import SECRET, csat_rows, link_of, new_ticket, nps_rows, resolve, token_of
from tests.web.test_pages import PASSWORD, csrf, sign_in


@pytest.fixture
def people(db: Database, clock: FrozenClock) -> dict[str, Person]:
    org = make_org(db, clock.now(), name="Initech", shared=True, domain="initech.example.com")
    now = clock.now()
    return {
        "agent": make_person(db, now, email="agent@help.example.com", role=Role.agent, password=PASSWORD),
        "pat": make_person(
            db,
            now,
            email="pat@initech.example.com",
            role=Role.customer,
            organization_id=org,
            password=PASSWORD,
        ),
        "sam": make_person(
            db,
            now,
            email="sam@initech.example.com",
            role=Role.customer,
            organization_id=org,
            password=PASSWORD,
        ),
    }


def resolved_ticket(client: TestClient, people: dict[str, Person], db: Database) -> tuple[int, str]:
    pat, agent = people["pat"], people["agent"]
    ticket_id = new_ticket(client, pat, subject="Printer on fire")
    resolve(client, ticket_id, agent)
    return ticket_id, link_of(db, pat.id)


def survey_csrf(html: str) -> str:
    """The token of the survey form (the last form of the page)."""
    found = re.findall(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return str(found[-1])


def checked(html: str) -> list[str]:
    return re.findall(r'name="score" value="(\d+)" required checked', html)


# --- survey pages -----------------------------------------------------------------------------


def test_the_survey_page_shows_the_ticket_and_pre_selects_a_one_click_score(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    ticket_id, url = resolved_ticket(client, people, db)
    page = client.get(url)
    assert page.status_code == 200
    assert f"#{ticket_id} Printer on fire" in page.text
    assert re.findall(r'name="score" value="(\d+)"', page.text) == ["1", "2", "3", "4", "5"]
    assert checked(page.text) == []
    assert checked(client.get(f"{url}?score=4").text) == ["4"]
    off_scale = client.get(f"{url}?score=9")
    assert off_scale.status_code == 200 and checked(off_scale.text) == []
    assert 'id="score-error"' in off_scale.text and "Choose a score from 1 to 5" in off_scale.text


def test_answering_through_the_page_needs_the_form_token_and_works_once(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    ticket_id, url = resolved_ticket(client, people, db)
    page = client.get(f"{url}?score=5")
    token = csrf(page.text)
    assert client.cookies.get(SURVEY_CSRF_COOKIE) == token

    forged = client.post(url, data={"score": "5", "csrf_token": "forged"})
    assert forged.status_code == 403 and "form expired" in forged.text
    assert checked(forged.text) == ["5"]  # the choice survives the retry
    assert csat_rows(db, ticket_id)[0].answered_at is None

    missing = client.post(url, data={"comment": "hm", "csrf_token": csrf(forged.text)})
    assert (
        missing.status_code == 422 and 'id="score-error"' in missing.text and ">hm</textarea>" in missing.text
    )
    too_long = client.post(url, data={"score": "2", "comment": "x" * 2001, "csrf_token": csrf(forged.text)})
    assert too_long.status_code == 422 and 'id="comment-error"' in too_long.text

    done = client.post(url, data={"score": "5", "comment": "Saved my day", "csrf_token": csrf(forged.text)})
    assert done.status_code == 200 and "Thank you" in done.text
    row = csat_rows(db, ticket_id)[0]
    assert (row.score, row.comment) == (5, "Saved my day")

    again = client.get(url)
    assert again.status_code == 200 and "This survey has already been answered" in again.text
    assert 'name="score"' not in again.text and "Saved my day" not in again.text
    client.get(f"{url}?score=1")  # a fresh cookie does not help either
    second = client.post(url, data={"score": "1", "csrf_token": client.cookies.get(SURVEY_CSRF_COOKIE) or ""})
    assert second.status_code == 409 and "This survey has already been answered" in second.text
    assert csat_rows(db, ticket_id)[0].score == 5


def test_tampered_and_expired_links_get_a_clear_page(
    client: TestClient, people: dict[str, Person], db: Database, clock: FrozenClock
) -> None:
    _, url = resolved_ticket(client, people, db)
    survey_id, expires, signature = token_of(url).split(".")
    tampered = f"/survey/csat/{int(survey_id) + 1}.{expires}.{signature}"
    for bad in (tampered, "/survey/csat/garbage", f"/survey/nps/{token_of(url)}", "/survey/poll/x"):
        page = client.get(bad)
        assert page.status_code == 404, bad
        assert page.headers["content-type"].startswith("text/html")
        assert client.post(bad, data={"score": "5"}).status_code == 404
    assert "not valid" in client.get(tampered).text
    clock.advance(timedelta(days=15))
    expired = client.get(url)
    assert expired.status_code == 410 and "expired on" in expired.text
    assert client.post(url, data={"score": "5"}).status_code == 410


def test_the_nps_page_asks_0_to_10(
    client: TestClient, people: dict[str, Person], db: Database, clock: FrozenClock
) -> None:
    client.post("/api/v1/tickets", json={"subject": "Hello"}, headers=people["pat"].headers)
    with db.unit_of_work() as session:
        service.send_nps(session, now=clock.now(), settings=Settings(secret_key=SECRET))
    url = link_of(db, people["pat"].id, "nps_survey")
    page = client.get(f"{url}?score=10")
    assert re.findall(r'name="score" value="(\d+)"', page.text) == [str(n) for n in range(11)]
    assert checked(page.text) == ["10"] and "recommend" in page.text
    done = client.post(url, data={"score": "0", "csrf_token": csrf(page.text)})
    assert done.status_code == 200
    assert [r.score for r in nps_rows(db)] == [0]


# --- the portal prompt ------------------------------------------------------------------------


def test_the_portal_shows_the_survey_to_the_requester_while_unanswered(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    ticket_id, url = resolved_ticket(client, people, db)
    sign_in(client, "sam@initech.example.com")  # shares the ticket through the organization
    page = client.get(f"/portal/tickets/{ticket_id}")
    assert page.status_code == 200 and "Printer on fire" in page.text
    assert "/survey/csat/" not in page.text
    client.post("/logout", data={"csrf_token": csrf(page.text)})

    sign_in(client, "pat@initech.example.com")
    page = client.get(f"/portal/tickets/{ticket_id}")
    assert "How did we do?" in page.text
    assert f'href="{url}?score=5"' in page.text and f'href="{url}"' in page.text
    survey = client.get(url)
    # The survey form's own token: the header's sign-out form carries the session's.
    answered = client.post(url, data={"score": "4", "csrf_token": survey_csrf(survey.text)})
    assert answered.status_code == 200, answered.text
    assert "/survey/csat/" not in client.get(f"/portal/tickets/{ticket_id}").text


# --- handle time ------------------------------------------------------------------------------


def handle_seconds(client: TestClient, ticket_id: int, people: dict[str, Person]) -> int:
    ticket = client.get(f"/api/v1/tickets/{ticket_id}", headers=people["agent"].headers).json()
    return int(ticket["handle_seconds"])


def entries(db: Database, ticket_id: int) -> list[tuple[int, str, str]]:
    with db.unit_of_work(write=False) as session:
        rows = session.scalars(
            select(TimeEntry).where(TimeEntry.ticket_id == ticket_id).order_by(TimeEntry.id)
        )
        return [(e.seconds, e.source, e.note) for e in rows]


def test_the_agent_page_has_the_timer_and_a_form_that_works_without_javascript(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    ticket_id = new_ticket(client, people["pat"])
    sign_in(client, "agent@help.example.com")
    page = client.get(f"/agent/tickets/{ticket_id}")
    assert 'id="time-tracker"' in page.text and "data-toggle" in page.text
    assert f'action="/agent/tickets/{ticket_id}/time"' in page.text
    assert "0 h 00 min" in page.text

    logged = client.post(
        f"/agent/tickets/{ticket_id}/time",
        data={"minutes": " 15 ", "note": "Reproduced the fault", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert logged.status_code == 303 and logged.headers["location"].endswith(
        f"/agent/tickets/{ticket_id}#time-tracker"
    )
    assert entries(db, ticket_id) == [(900, "manual", "Reproduced the fault")]
    assert handle_seconds(client, ticket_id, people) == 900
    assert "0 h 15 min" in client.get(f"/agent/tickets/{ticket_id}").text


@pytest.mark.parametrize("minutes", ["", "abc", "0", "1441", "-5", "1.5", "²", "9" * 40])
def test_bad_minutes_are_shown_next_to_the_field_and_log_nothing(
    client: TestClient, people: dict[str, Person], db: Database, minutes: str
) -> None:
    ticket_id = new_ticket(client, people["pat"])
    sign_in(client, "agent@help.example.com")
    page = client.get(f"/agent/tickets/{ticket_id}")
    response = client.post(
        f"/agent/tickets/{ticket_id}/time",
        data={"minutes": minutes, "note": "kept", "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 422
    assert 'id="time-minutes-error"' in response.text and "whole minutes" in response.text
    assert ">kept</textarea>" in response.text
    assert entries(db, ticket_id) == []


def test_a_bad_note_or_a_forged_form_logs_nothing(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    ticket_id = new_ticket(client, people["pat"])
    sign_in(client, "agent@help.example.com")
    token = csrf(client.get(f"/agent/tickets/{ticket_id}").text)
    long_note = client.post(
        f"/agent/tickets/{ticket_id}/time", data={"minutes": "5", "note": "x" * 2001, "csrf_token": token}
    )
    assert long_note.status_code == 422 and 'id="time-note-error"' in long_note.text
    forged = client.post(f"/agent/tickets/{ticket_id}/time", data={"minutes": "5", "csrf_token": "forged"})
    assert forged.status_code == 422 and "form expired" in forged.text
    assert entries(db, ticket_id) == []


def test_the_timer_stop_posts_through_the_time_api_with_the_session(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    """What the page's script sends on Stop: the session cookie and the CSRF header."""
    ticket_id = new_ticket(client, people["pat"])
    sign_in(client, "agent@help.example.com")
    page = client.get(f"/agent/tickets/{ticket_id}")
    csrf_token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert csrf_token is not None
    body = {"seconds": 125, "source": "timer", "note": ""}
    without = client.post(f"/api/v1/tickets/{ticket_id}/time", json=body)
    assert without.status_code == 403
    posted = client.post(
        f"/api/v1/tickets/{ticket_id}/time", json=body, headers={"x-csrf-token": csrf_token.group(1)}
    )
    assert posted.status_code == 201, posted.text
    assert entries(db, ticket_id) == [(125, "timer", "")]
    assert handle_seconds(client, ticket_id, people) == 125


def test_customers_cannot_log_time(client: TestClient, people: dict[str, Person], db: Database) -> None:
    ticket_id = new_ticket(client, people["pat"])
    sign_in(client, "pat@initech.example.com")
    token = csrf(client.get(f"/portal/tickets/{ticket_id}").text)
    response = client.post(
        f"/agent/tickets/{ticket_id}/time", data={"minutes": "5", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == f"/portal/tickets/{ticket_id}"
    assert entries(db, ticket_id) == []


def test_the_customer_reaches_the_survey_from_the_inbox(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    ticket_id, link = resolved_ticket(client, people, db)
    sign_in(client, people["pat"].email)
    page = client.get("/inbox")
    assert page.status_code == 200
    assert 'href="/inbox"' in page.text  # customers have the inbox in their navigation
    assert f'href="{link}"' in page.text
    assert f"/agent/tickets/{ticket_id}" not in page.text
    survey = client.get(link).text
    assert "Printer on fire" in survey
    header = survey.split("</header>", 1)[0]
    assert 'href="/login"' not in header and "customer" in header  # signed in: the header says who


def test_a_signed_out_visitor_answers_without_signing_in(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    _ticket_id, link = resolved_ticket(client, people, db)
    client.cookies.clear()
    page = client.get(link)
    assert page.status_code == 200 and "Printer on fire" in page.text
    assert 'href="/login' in page.text.split("</header>", 1)[0]
