"""In a real browser: a lead signs in, opens the ops dashboard, and every chart of the report
draws with no console errors."""

from __future__ import annotations

from pathlib import Path

from supportops.demo.generator.shape import DEMO_LOGINS

CHARTS = 8


def test_a_lead_opens_the_dashboard_and_the_charts_render(
    chromium: Path, live_server: str, artifacts: Path
) -> None:
    from playwright.sync_api import sync_playwright

    lead = next(login for login in DEMO_LOGINS if login.role == "lead")
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server}/login")
            page.fill("input[name=email]", lead.email)
            page.fill("input[name=password]", lead.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server}/**")
            page.goto(f"{live_server}/dashboard?start=2026-08-01&end=2026-11-21")
            assert page.title().startswith("Ops dashboard")
            frame = page.frame_locator("iframe.report-frame")
            frame.locator("h1").wait_for()
            assert frame.locator("h1").inner_text() == "Support operations report"
            report = next(f for f in page.frames if f.url.startswith(f"{live_server}/dashboard/report"))
            report.wait_for_function(f"document.querySelectorAll('figure.drawn').length === {CHARTS}")
            sizes = report.eval_on_selector_all("canvas", "cs => cs.map(c => [c.width, c.height])")
            page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert len(sizes) == CHARTS and all(w > 0 and h > 0 for w, h in sizes)
