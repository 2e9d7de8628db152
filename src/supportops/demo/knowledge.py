"""The demo's knowledge base: a help center for the demo product, the searches and votes that led to
the demo's self-service resolutions, failed searches, and the articles agents answered tickets with.

Articles are written through the knowledge service, so they are rendered, versioned and indexed like
any other. Searches, votes and links are written directly, in bulk, like the rest of the demo.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from supportops.auth.principal import SYSTEM
from supportops.demo.catalog import PRODUCT
from supportops.knowledge import service as kb
from supportops.knowledge.schemas import ArticleCreate, ArticleUpdate, CategoryCreate


@dataclass(frozen=True)
class DemoArticle:
    title: str
    category: str
    body: str
    queries: tuple[str, ...]
    """What customers type when this article is the answer."""
    subjects: tuple[str, ...] = ()
    """Lower-case fragments of demo ticket subjects this article answers (for links)."""
    visibility: str = "public"


CATEGORIES = (
    ("Billing", "Invoices, payments, refunds and plans."),
    ("Account and sign-in", "Passwords, two-factor authentication, SSO and users."),
    ("Using " + PRODUCT, "How to set things up and get more done."),
    ("Integrations", "Connecting other tools, webhooks and the API."),
    ("Troubleshooting", "When something does not work as expected."),
)

ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "Get a refund for a duplicate charge",
        "Billing",
        "If your card was charged twice for the same invoice, the second capture is refunded.\n\n"
        "1. Open **Settings → Billing → Invoices** and find the invoice.\n"
        "2. Choose **Report a duplicate charge**.\n\n"
        "Refunds reach your statement within 5-10 business days.",
        (
            "charged twice",
            "double charge on my card",
            "refund duplicate payment",
            "billed two times this month",
        ),
        ("charged twice",),
    ),
    DemoArticle(
        "Change the VAT number or address on an invoice",
        "Billing",
        "Update your company details under **Settings → Billing → Company profile**, then choose "
        "**Reissue** on the invoice. Reissued invoices keep their number.",
        (
            "wrong vat number on invoice",
            "change invoice address",
            "reissue invoice",
            "add PO number to invoice",
        ),
        ("vat number", "po number"),
    ),
    DemoArticle(
        "How pro-rated charges work when you change plans",
        "Billing",
        "When you upgrade mid-term you pay the difference for the days left; when you remove seats the "
        "unused days become a credit on your next invoice.",
        (
            "why did my bill go up",
            "pro rated charge after upgrade",
            "credit for removed seats",
            "refund unused seats",
        ),
        ("pro-rated", "bill go up", "unused seats"),
    ),
    DemoArticle(
        "Card declined on renewal",
        "Billing",
        "Update the card under **Settings → Billing → Payment method**; we retry the payment within the "
        "hour and your subscription stays active meanwhile.",
        ("card declined", "payment failed renewal", "update credit card", "subscription suspended payment"),
        ("declined",),
    ),
    DemoArticle(
        "Reset your password",
        "Account and sign-in",
        "Choose **Forgot password?** on the sign-in page and follow the link we email you. The link "
        "works for one hour. If no email arrives, check your spam folder.",
        ("forgot password", "cant log in", "password reset link not working", "locked out of my account"),
        ("password reset",),
    ),
    DemoArticle(
        "Lost access to two-factor authentication",
        "Account and sign-in",
        "Sign in with one of your **recovery codes**, then set up the authenticator again under "
        "**Profile → Security**. Without recovery codes, an admin of your workspace can reset it.",
        (
            "lost my phone two factor",
            "2fa codes not working",
            "locked out after enabling two-factor",
            "reset mfa",
        ),
        ("two-factor",),
    ),
    DemoArticle(
        "Fix an SSO login loop",
        "Account and sign-in",
        "A loop back to the sign-in page means the audience URL in your identity provider does not match "
        "ours. Copy it again from **Settings → Security → SSO** and save.",
        ("sso keeps redirecting", "single sign on loop", "saml login loop", "sso login not working"),
        ("sso login",),
    ),
    DemoArticle(
        "Transfer workspace ownership",
        "Account and sign-in",
        "The current owner opens **Settings → Users**, chooses the new owner and **Make owner**. If the "
        "owner has left the company, ask us with a note from an admin.",
        ("change account owner", "transfer ownership to colleague", "owner left the company"),
        ("ownership",),
    ),
    DemoArticle(
        "Add users and give read-only access",
        "Account and sign-in",
        "Invite people under **Settings → Users → Invite**. The **Viewer** role can open and export "
        "reports but not change them.",
        ("add more users", "invite colleague", "read only access", "viewer role permissions"),
        ("more users", "read-only"),
    ),
    DemoArticle(
        "Share a report outside your company",
        "Using " + PRODUCT,
        "Use **Share → Public link** and set an expiry date; the recipient needs no account.",
        ("share report with client", "public link report", "send dashboard to external people"),
        ("share a report",),
    ),
    DemoArticle(
        "Change the workspace time zone",
        "Using " + PRODUCT,
        "Go to **Settings → Workspace → Time zone**. Reports and exports pick up the change at once, so "
        "dates in reports and exports match.",
        ("change time zone", "dates off by one day", "wrong timezone in reports", "export dates shifted"),
        ("time zone", "dates shift"),
    ),
    DemoArticle(
        "Import data from a spreadsheet",
        "Using " + PRODUCT,
        "Choose **Import → Spreadsheet**, upload a CSV or XLSX file and map its columns. Up to 100,000 "
        "rows per file.",
        ("import csv", "upload excel file", "import data from spreadsheet", "bulk import rows"),
        ("spreadsheet",),
    ),
    DemoArticle(
        "Schedule a report",
        "Using " + PRODUCT,
        "Open the report, choose **Schedule**, pick the days and the recipients. Scheduled exports "
        "arrive as email attachments.",
        ("schedule report every monday", "automatic weekly export", "email report automatically"),
        ("every monday",),
    ),
    DemoArticle(
        "Reconnect an integration after a sync stops",
        "Integrations",
        "Open **Settings → Integrations**, choose the integration and **Reconnect** with an admin "
        "account of the other tool. A full resync starts right after.",
        (
            "sync stopped working",
            "integration authorisation error",
            "reconnect integration",
            "token expired sync",
        ),
        ("sync stopped", "authorisation error"),
    ),
    DemoArticle(
        "Webhook deliveries are failing",
        "Integrations",
        "We retry failed deliveries for 24 hours. The usual causes are an expired TLS certificate or an "
        "endpoint answering slower than 10 seconds. See **Settings → Webhooks → Deliveries** for errors.",
        ("webhook failing", "webhook not delivered", "endpoint not receiving events"),
        ("webhook",),
    ),
    DemoArticle(
        "API rate limits",
        "Integrations",
        "Each workspace may send 600 requests a minute. Over the limit you get **429**: retry after the "
        "seconds in `Retry-After`, with backoff.",
        ("api rate limit", "429 too many requests", "api limit per minute"),
        ("rate limit",),
    ),
    DemoArticle(
        "Pages load slowly or not at all",
        "Troubleshooting",
        "Check " + PRODUCT + "'s status page first. Then clear the browser cache, try a private window, "
        "and disable extensions that block scripts.",
        ("page very slow", "dashboard not loading", "app is down", "blank page after update"),
        ("very slow",),
    ),
    DemoArticle(
        "Outage runbook: first 15 minutes",
        "Troubleshooting",
        "1. Confirm on the status dashboard.\n2. Open an incident and page the on-call engineer.\n"
        "3. Post the status page notice.\n4. Link every customer ticket to the incident.",
        ("outage runbook", "what to do when the app is down", "incident first steps"),
        (),
        visibility="internal",
    ),
)

FAILED_QUERIES = (
    "data processing agreement gdpr",
    "export to tableau",
    "on premise installation",
    "do you have a mobile sdk",
    "hipaa compliance",
    "white label the app",
    "student discount",
    "change currency to yen",
)
SEARCHES_PER_RESOLUTION = 1.25
"""Searches that did not end in self-service, per self-service resolution: failed ones and ones
followed by a ticket."""
HELPFUL_VOTE = 0.45
UNHELPFUL_VOTE = 0.2
"""Readers who opened an article, still filed a ticket, and said the article did not help."""
REVIEWED_SHARE = 0.75
LINKED_SHARE = 40
"""Percent of the resolved tickets an article answers that agents linked to it."""


def seed_articles(
    session: Session, rng: random.Random, *, written: datetime, now: datetime
) -> list[tuple[int, DemoArticle]]:
    """The help center as written at ``written``; most articles were reviewed since, some are due."""
    for position, (name, description) in enumerate(CATEGORIES):
        kb.create_category(
            session,
            actor=SYSTEM,
            data=CategoryCreate(name=name, description=description, position=position),
            now=now,
        )
    created = []
    for article in ARTICLES:
        read = kb.create_article(
            session,
            actor=SYSTEM,
            data=ArticleCreate(
                title=article.title,
                body=article.body,
                category=article.category,
                visibility=article.visibility,
                status="published",
            ),
            now=now,
        )
        created.append((read.id, article))
    for article_id, _ in created:
        if rng.random() < REVIEWED_SHARE:
            reviewed = max(written, now - timedelta(days=rng.uniform(1, 85)))
            kb.update_article(
                session, actor=SYSTEM, article_id=article_id, data=ArticleUpdate(reviewed=True), now=reviewed
            )
    return created


def with_searches(
    rng: random.Random, articles: list[tuple[int, DemoArticle]], events: list[dict[str, Any]], take: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Give each self-service event the search and the article it came from; add the searches that
    did not end in self-service and the votes readers left. Returns (searches, votes)."""
    public = [(i, a) for i, a in articles if a.visibility == "public"]
    searches: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    for event in events:
        article_id, article = rng.choice(public)
        search_id = take("kb_searches")
        searches.append(
            _search(
                search_id,
                event["at"],
                event["customer_id"],
                rng.choice(article.queries),
                [article_id],
                article_id,
                event["outcome"],
            )
        )
        event["article_id"], event["search_id"] = article_id, search_id
        if rng.random() < HELPFUL_VOTE:
            votes.append(
                {
                    "id": take("kb_votes"),
                    "article_id": article_id,
                    "user_id": event["customer_id"],
                    "helpful": True,
                    "at": event["at"],
                }
            )
        for _ in range(_poisson(rng, SEARCHES_PER_RESOLUTION)):
            if rng.random() < 0.4:
                query, results, clicked, outcome = rng.choice(FAILED_QUERIES), [], None, None
            else:
                other_id, other = rng.choice(public)
                query, results, clicked, outcome = rng.choice(other.queries), [other_id], other_id, "ticket"
                if rng.random() < UNHELPFUL_VOTE:
                    votes.append(
                        {
                            "id": take("kb_votes"),
                            "article_id": other_id,
                            "user_id": None,
                            "helpful": False,
                            "at": event["at"],
                        }
                    )
            searches.append(
                _search(
                    take("kb_searches"), event["at"], event["customer_id"], query, results, clicked, outcome
                )
            )
    return searches, votes


def _poisson(rng: random.Random, mean: float) -> int:
    whole = int(mean)
    return whole + (rng.random() < mean - whole)


def _search(
    search_id: int,
    at: Any,
    user_id: int | None,
    query: str,
    results: list[int],
    clicked: int | None,
    outcome: str | None,
) -> dict[str, Any]:
    return {
        "id": search_id,
        "at": at,
        "user_id": user_id,
        "audience": "public",
        "source": "suggest",
        "query": query,
        "results": json.dumps(results),  # stored form: the demo writes through untyped tables
        "top_score": 0.55 if results else 0.12,
        "no_match": not results,
        "clicked_article_id": clicked,
        "clicked_at": at if clicked else None,
        "outcome": {"resolved": "self_service"}.get(outcome or "", outcome),
        "outcome_at": at if outcome else None,
        "ticket_id": None,
    }


def link_tickets(session: Session, articles: list[tuple[int, DemoArticle]]) -> int:
    """Link a share of the resolved tickets each article answers, as agents replying with it."""
    linked = 0
    for article_id, article in articles:
        if not article.subjects:
            continue
        matches = " OR ".join(f"lower(subject) LIKE :p{i}" for i in range(len(article.subjects)))
        params: dict[str, Any] = {f"p{i}": f"%{s}%" for i, s in enumerate(article.subjects)}
        result = session.execute(
            text(
                "INSERT INTO kb_article_links (article_id, ticket_id, kind, linked_by, at) "  # noqa: S608
                f"SELECT :article_id, id, 'replied', assignee_id, last_resolved_at FROM tickets "
                f"WHERE status IN ('resolved', 'closed') AND last_resolved_at IS NOT NULL "
                f"AND id % 100 < :share AND ({matches})"
            ),
            {"article_id": article_id, "share": LINKED_SHARE, **params},
        )
        linked += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(
        text(
            "UPDATE kb_articles SET "
            "helpful = (SELECT count(*) FROM kb_votes v WHERE v.article_id = kb_articles.id AND v.helpful), "
            "not_helpful = (SELECT count(*) FROM kb_votes v "
            "WHERE v.article_id = kb_articles.id AND NOT v.helpful)"
        )
    )
    return linked
