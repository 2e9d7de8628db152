"""In a real browser: an agent signs in, moves through the queue with j/k, opens a ticket with Enter,
writes an internal note (n) and a public reply (r), resolves the ticket, and the page shows the
note visibly apart from the reply, with no script errors."""

from __future__ import annotations

import re
from pathlib import Path

from supportops.auth import service as accounts
from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.demo.generator.shape import DEMO_LOGINS
from supportops.tickets import service as tickets
from supportops.tickets.schemas import TicketCreate
from tests.browser.conftest import NOW


def test_an_agent_works_a_ticket_from_the_queue_with_the_keyboard(
    chromium: Path, live_server: str, live_db: Database, artifacts: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    agent = next(login for login in DEMO_LOGINS if login.role == "agent-l1")
    customer = next(login for login in DEMO_LOGINS if login.role == "customer")
    with live_db.unit_of_work() as session:
        agent_user = accounts.find_user_by_email(session, agent.email)
        customer_user = accounts.find_user_by_email(session, customer.email)
        assert agent_user and customer_user
        ticket_id = tickets.create_ticket(
            session,
            actor=SYSTEM,
            data=TicketCreate(
                subject="Keyboard flow: invoice PDF is blank",
                description="The PDF of invoice 1042 opens as an empty page.",
                priority="P2",
                requester_id=customer_user.id,
                assignee_id=agent_user.id,
            ),
            now=NOW,
        ).id

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server}/login")
            page.fill("input[name=email]", agent.email)
            page.fill("input[name=password]", agent.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server}/**")

            page.goto(f"{live_server}/agent?queue=mine")
            rows = page.locator("#queue-table tbody tr")
            assert rows.first.get_attribute("data-ticket") == str(ticket_id)  # newest first
            countdowns = page.locator("#queue-table [data-sla-due]")
            if countdowns.count():  # the live countdown has replaced the server's due time
                expect(countdowns.first).to_have_text(re.compile(r"\d (left|over)$"))
            page.keyboard.press("j")
            expect(page.locator("tr.kb-current")).to_have_attribute("data-ticket", str(ticket_id))
            if rows.count() > 1:
                page.keyboard.press("j")
                expect(page.locator("tr.kb-current")).not_to_have_attribute("data-ticket", str(ticket_id))
                page.keyboard.press("k")
            current = page.locator("tr.kb-current")
            expect(current).to_have_attribute("data-ticket", str(ticket_id))
            expect(current.locator("a[data-open]")).to_be_focused()
            page.keyboard.press("x")
            expect(current.locator("input[name=ticket]")).to_be_checked()
            expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
            page.screenshot(path=str(artifacts / "agent-queue.png"), full_page=True)
            page.keyboard.press("x")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{live_server}/agent/tickets/{ticket_id}")

            page.keyboard.press("?")
            expect(page.locator("#kb-help")).to_be_visible()
            page.keyboard.press("Escape")
            expect(page.locator("#kb-help")).to_be_hidden()
            page.keyboard.press("e")
            expect(page.locator("#h-summary")).to_be_focused()
            page.keyboard.press("Tab")  # no trap: Tab leaves the field as usual
            expect(page.locator("#h-steps_tried")).to_be_focused()
            page.keyboard.press("n")  # typed into the field, not taken as a shortcut
            expect(page.locator("#h-steps_tried")).to_have_value("n")
            page.locator("#h-steps_tried").fill("")
            page.locator("main h1").click()

            page.keyboard.press("n")
            expect(page.locator("#body")).to_be_focused()
            expect(page.locator("#vis-internal")).to_be_checked()
            page.keyboard.type("Blank PDFs started with the renderer upgrade on Monday.")
            assert page.locator("#body").input_value().startswith("Blank PDFs")  # no shortcut fired
            page.click("#reply-form button[type=submit]")
            page.wait_for_url(f"{live_server}/agent/tickets/{ticket_id}")

            page.keyboard.press("r")
            expect(page.locator("#body")).to_be_focused()
            expect(page.locator("#vis-public")).to_be_checked()
            page.keyboard.type("Thanks for the report: a fixed PDF is attached to your invoice now.")
            page.click("#reply-form button[type=submit]")
            page.wait_for_url(f"{live_server}/agent/tickets/{ticket_id}")

            page.select_option("#status", "resolved")
            page.click("form[action$='/update'] button[type=submit]")
            page.wait_for_url(f"{live_server}/agent/tickets/{ticket_id}")
            expect(page.locator("h1 + p .badge").first).to_have_text("resolved")

            note = page.locator(".timeline .entry.internal").last
            reply = page.locator(".timeline .entry.public").last
            expect(note).to_contain_text("renderer upgrade")
            expect(note.locator(".internal-badge")).to_have_text("Internal note")
            expect(reply).to_contain_text("a fixed PDF is attached")
            assert reply.locator(".internal-badge").count() == 0
            style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderLeftWidth]"
            assert note.evaluate(style) != reply.evaluate(style)
            page.screenshot(path=str(artifacts / "agent-flow.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
