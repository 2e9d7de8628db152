"""Accessibility in a real browser: axe-core's WCAG 2 A and AA rules find no violation and the
console shows no error on the pages people live in (signed out, customer, agent, lead, admin), on a
desktop and on a phone, each saved as a screenshot under test-artifacts/; and the keyboard reaches
every control of the portal's ticket form in order, with no trap."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from supportops.demo.generator.shape import DEMO_LOGINS

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PAGES: dict[str, list[str]] = {
    "visitor": ["/login", "/kb", "/kb?q=password", "/kb/1"],
    "customer": ["/portal", "/portal/new", "/inbox", "/kb"],
    "agent-l1": ["/agent", "/agent/tickets/1", "/agent/kb", "/agent/kb/new", "/agent/kb/1/edit"],
    "lead": ["/dashboard", "/admin/agents", "/admin/triage", "/admin/kb/categories"],
    "admin": ["/admin/sla", "/admin/users", "/admin/groups", "/admin/tokens"],
}


def _sign_in(page: Any, base: str, role: str) -> None:
    login = next(login for login in DEMO_LOGINS if login.role == role)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", login.email)
    page.fill("input[name=password]", login.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            const where = v => v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ');
            return r.violations.map(v => `${v.id} (${v.impact}): ${where(v)}`);
        }"""
    )
    return list(result)


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_no_wcag_violations_on_the_main_pages(
    chromium: Path, live_server: str, artifacts: Path, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[str]] = {}
    errors: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            for role, paths in PAGES.items():
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                page.on("console", lambda m: page_errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: page_errors.append(str(e)))
                if role != "visitor":
                    _sign_in(page, live_server, role)
                for path in paths:
                    response = page.goto(f"{live_server}{path}")
                    assert response is not None and response.status < 400, (
                        role,
                        path,
                        response and response.status,
                    )
                    assert page.title(), (role, path)
                    errors.extend(f"{role} {path}: {e}" for e in page_errors)
                    page_errors.clear()
                    size = "phone" if viewport["width"] < 600 else "desktop"
                    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                    page.screenshot(path=str(artifacts / f"{size}-{role}-{slug}.png"), full_page=True)
                    problems = _violations(page)
                    if problems:
                        found[f"{role} {path}"] = problems
                context.close()
        finally:
            browser.close()
    assert found == {}
    assert errors == []  # no console errors on any page


def test_the_ticket_form_is_reachable_by_keyboard_in_order(chromium: Path, live_server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            _sign_in(page, live_server, "customer")
            page.goto(f"{live_server}/portal/new")
            page.locator("#subject").focus()
            active = "document.activeElement.id || document.activeElement.textContent.trim()"
            forward = [page.evaluate(active)]
            for _ in range(3):
                page.keyboard.press("Tab")
                forward.append(page.evaluate(active))
            backward = []
            for _ in range(3):
                page.keyboard.press("Shift+Tab")
                backward.append(page.evaluate(active))
        finally:
            browser.close()
    assert forward == ["subject", "description", "Submit", "Check the help center first"]
    assert backward == ["Submit", "description", "subject"]
