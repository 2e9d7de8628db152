"""In a real browser: a customer writes a ticket, sees suggestions as they type, submits the ticket
anyway; an agent resolves it; the customer rates the resolution from their ticket page."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from supportops.auth import service as accounts
from supportops.auth.schemas import TokenCreate
from supportops.db.session import Database
from supportops.demo.generator.shape import DEMO_LOGINS
from supportops.surveys.models import CsatSurvey
from tests.browser.conftest import NOW


def test_a_customer_submits_after_suggestions_and_rates_the_resolution(
    chromium: Path, live_server: str, live_db: Database, artifacts: Path
) -> None:
    from playwright.sync_api import sync_playwright

    customer = next(login for login in DEMO_LOGINS if login.role == "customer")
    agent = next(login for login in DEMO_LOGINS if login.role == "agent-l1")
    with live_db.unit_of_work() as session:
        user = accounts.find_user_by_email(session, agent.email)
        assert user is not None
        token = accounts.issue_token(session, user=user, data=TokenCreate(name="flow"), now=NOW).secret
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server}/login")
            page.fill("input[name=email]", customer.email)
            page.fill("input[name=password]", customer.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server}/**")
            page.goto(f"{live_server}/portal/new")
            page.locator("#subject").press_sequentially("I was charged twice this month", delay=20)
            page.locator("#kb-suggestions li a").first.wait_for()
            assert page.locator("#kb-suggestions li").count() >= 1
            page.fill("#description", "Two identical charges on my card for the same invoice.")
            page.screenshot(path=str(artifacts / "customer-new-ticket.png"), full_page=True)
            page.get_by_role("button", name="Submit").click()
            page.wait_for_url(f"{live_server}/portal/tickets/*")
            ticket_id = int(page.url.rsplit("/", 1)[1])

            resolved = page.request.post(
                f"{live_server}/api/v1/tickets/{ticket_id}/messages",
                headers={"Authorization": f"Bearer {token}"},
                data={"body": "I've refunded the duplicate charge.", "status": "resolved"},
            )
            assert resolved.status == 201, resolved.text()

            page.reload()
            page.get_by_role("link", name="Rate 5 of 5").click()
            page.wait_for_url(f"{live_server}/survey/csat/**")
            page.get_by_role("button", name="Send").click()
            page.wait_for_load_state()
            page.screenshot(path=str(artifacts / "customer-rated.png"), full_page=True)
            assert "Thank you" in page.content()
        finally:
            browser.close()
    assert problems == []
    with live_db.unit_of_work() as session:
        survey = session.scalars(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id)).one()
    assert survey.score == 5 and survey.answered_at is not None
