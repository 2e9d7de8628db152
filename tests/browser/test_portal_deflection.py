"""In a real browser: a customer types a question on the ticket form, suggestions appear as they
type, and "This solved my problem" ends with no ticket and a self-service resolution recorded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.demo.generator.shape import DEMO_LOGINS
from supportops.knowledge import service as kb
from supportops.knowledge.models import SelfServiceEvent
from supportops.knowledge.schemas import ArticleCreate
from supportops.tickets.models import Ticket
from tests.browser.conftest import NOW


def test_suggestions_appear_as_the_customer_types_and_solve_without_a_ticket(
    chromium: Path, live_server: str, live_db: Database, artifacts: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with live_db.unit_of_work() as session:
        article = kb.create_article(
            session,
            actor=SYSTEM,
            data=ArticleCreate(
                title="Reset your two-step verification",
                body="Lost your phone? Verification codes stopped arriving? Use a recovery code, "
                "then set up the authenticator again.",
                visibility="public",
                status="published",
            ),
            now=NOW,
        )
        tickets_before = session.scalar(select(func.count()).select_from(Ticket))
    customer = next(login for login in DEMO_LOGINS if login.role == "customer")
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server}/login")
            page.fill("input[name=email]", customer.email)
            page.fill("input[name=password]", customer.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server}/**")
            page.goto(f"{live_server}/portal/new")
            page.locator("#subject").press_sequentially("verification codes stopped arriving", delay=20)
            first = page.locator("#kb-suggestions li a").first
            first.wait_for()
            assert first.inner_text() == "Reset your two-step verification"
            assert page.locator("#kb-suggestions mark").count() > 0
            page.screenshot(path=str(artifacts / "portal-suggestions.png"), full_page=True)
            page.locator("#kb-suggestions li button").first.click()
            page.wait_for_url(f"{live_server}/kb/solved")
            assert "No ticket was created" in page.content()
        finally:
            browser.close()
    assert problems == []
    with live_db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == tickets_before
        outcomes = session.execute(
            select(SelfServiceEvent.outcome, SelfServiceEvent.article_id).where(
                SelfServiceEvent.article_id == article.id
            )
        ).all()
    assert [tuple(o) for o in outcomes] == [("resolved", article.id)]
