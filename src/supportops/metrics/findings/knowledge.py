"""Detectors about what the team learns from its tickets: knowledge hoarding (recurring issues
solved without an article) and no feedback loop (bugs and feature requests never passed to
product). Both judge the period's resolved tickets."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, func, not_, or_

from supportops.metrics.findings.model import TITLES, Finding
from supportops.metrics.findings.scope import TICKETS, Scope, has_linked_article, percent, ranked
from supportops.metrics.findings.text import recurring_issues

T = TICKETS


def knowledge_hoarding(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Recurring issues, by shared subject terms within a category, that were resolved again and
    again without a knowledge-base article."""
    linked = set(scope.session.scalars(scope.resolved_ids(has_linked_article())))
    resolved = [r for r in scope.tickets() if r.id not in linked]
    issues = recurring_issues(
        [(r.id, r.category, r.subject) for r in resolved],
        min_tickets=t["min_cluster_tickets"],
        signature_terms=t["signature_terms"],
        max_term_share=t["max_term_share"],
    )
    if not issues:
        return None
    listed = issues[: t["max_clusters"]]
    share = max(1, math.ceil(scope.evidence_limit / len(listed)))
    evidence = [i for issue in listed for i in issue.tickets[:share]]
    evidence += [i for issue in listed for i in issue.tickets[share:]]
    owner = {r.id: r.assignee for r in resolved}
    in_issues = [i for issue in issues for i in issue.tickets]
    people = Counter(owner[i] for i in in_issues)
    names = scope.emails(people)
    titles = [issue.title() for issue in listed]
    top = listed[0]
    more = f"{len(issues)} recurring issues" if len(issues) > 1 else "1 recurring issue"
    explanation = (
        f"{len(in_issues)} resolved tickets fall into {more} that no knowledge-base article covers; "
        f"the largest: \u201c{titles[0]}\u201d ({len(top.tickets)} tickets"
        + (f", {top.category})." if top.category else ").")
    )
    return Finding(
        pattern="knowledge_hoarding",
        title=TITLES["knowledge_hoarding"],
        explanation=explanation,
        tickets=scope.cut(evidence),
        count=len(in_issues),
        agents=ranked(people, names),
        groups=[],
        thresholds=t,
        details=[
            {
                "suggested_title": title,
                "category": issue.category,
                "terms": issue.terms(),
                "tickets": len(issue.tickets),
                "examples": issue.tickets[:5],
            }
            for issue, title in zip(listed, titles, strict=True)
        ],
    )


def _linked_to_feedback(tags: list[str], fields: list[str]) -> ColumnElement[bool]:
    """A ticket carries one of the tags, or has one of the custom fields set (not empty). Tags are
    matched in the stored JSON text, which spells a tag ``"name"`` on both databases."""
    text = func.lower(cast(T.c.tags, String))
    found: list[ColumnElement[bool]] = [text.like(f'%"{_escape(tag.lower())}"%', escape="\\") for tag in tags]
    for name in fields:
        value = T.c.custom_fields[name].as_string()
        found.append(and_(value.is_not(None), value != ""))
    return or_(*found) if found else false()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def no_feedback_loop(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Bug and feature-request tickets resolved without a link to product feedback (a tag or a
    custom field)."""
    categories = {c.lower() for c in t["categories"]}
    judged = {r.id: r for r in scope.tickets() if r.category is not None and r.category.lower() in categories}
    if len(judged) < t["min_tickets"]:
        return None
    linked = _linked_to_feedback(t["feedback_tags"], t["feedback_fields"])
    missing = [
        judged[i]
        for i in scope.session.scalars(
            scope.resolved_ids(func.lower(T.c.category).in_(sorted(categories)), not_(linked))
        )
    ]
    if len(missing) < t["min_tickets"]:
        return None
    missing.sort(key=lambda r: (r.priority, -r.reopens, -r.id))
    people = scope.emails(r.assignee for r in missing)
    names = scope.group_names(r.group for r in missing)
    links = [f"tag {tag}" for tag in t["feedback_tags"]] + [f"field {f}" for f in t["feedback_fields"]]
    explanation = (
        f"{len(missing)} of {len(judged)} {' or '.join(t['categories'])} tickets resolved in the period "
        f"({percent(len(missing) / len(judged))}) were never linked to product feedback "
        f"(no {' or '.join(links) or 'link'})."
    )
    return Finding(
        pattern="no_feedback_loop",
        title=TITLES["no_feedback_loop"],
        explanation=explanation,
        tickets=scope.cut([r.id for r in missing]),
        count=len(missing),
        agents=ranked(Counter(r.assignee for r in missing), people),
        groups=ranked(Counter(r.group for r in missing), names),
        thresholds=t,
    )
