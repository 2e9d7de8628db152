"""Detectors about what the team learns from its tickets: knowledge hoarding (recurring issues
solved without an article) and no feedback loop (bugs and feature requests never passed to
product). Both judge the period's resolved tickets."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from supportops.knowledge.models import ArticleLink
from supportops.metrics.findings.model import TITLES, Finding
from supportops.metrics.findings.scope import Scope, percent, ranked
from supportops.metrics.findings.text import subject_issues


def _linked(scope: Scope) -> npt.NDArray[np.bool_]:
    """Per resolved ticket: whether it links a knowledge-base article (linked, answered with, or
    drafted from)."""
    result = scope.session.connection().execute(select(ArticleLink.__table__.c.ticket_id))
    linked = np.fromiter((row[0] for row in result.cursor.fetchall()), dtype=np.int64)
    result.close()
    at, ok = scope.position(linked)
    found = np.zeros(len(scope), dtype=bool)
    found[at[ok]] = True
    return found


def knowledge_hoarding(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Recurring issues, by shared subject terms within a category, that were resolved again and
    again without a knowledge-base article."""
    which = np.flatnonzero(~_linked(scope))
    # The unlinked tickets by (category, subject): the issues are found among distinct subjects.
    category, subject = scope.column("category")[which], scope.fact("subject")[which]
    combined = category * (len(scope.facts.labels["subject"]) + 1) + subject
    order = np.argsort(combined, kind="stable")
    ordered = combined[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(order) else order
    ends = [*starts[1:].tolist(), len(order)] if len(order) else []
    ids = scope.ids[which][order]
    subjects = scope.facts.labels["subject"]
    known = dict(zip(subjects, scope.facts.subject_terms, strict=True))
    docs = [
        (ids[a:b], scope.label("category", int(category[order[a]])), subjects[int(subject[order[a]])])
        for a, b in zip(starts.tolist(), ends, strict=True)
    ]
    issues = subject_issues(
        docs,
        min_tickets=t["min_cluster_tickets"],
        signature_terms=t["signature_terms"],
        max_term_share=t["max_term_share"],
        terms_of=lambda subject: known[subject],
    )
    if not issues:
        return None
    listed = issues[: t["max_clusters"]]
    share = max(1, math.ceil(scope.evidence_limit / len(listed)))
    evidence = [i for issue in listed for i in issue.tickets[:share]]
    evidence += [i for issue in listed for i in issue.tickets[share:]]
    in_issues = np.concatenate([np.asarray(issue.tickets, dtype=np.int64) for issue in issues])
    at, _ = scope.position(in_issues)
    assignees, counts = np.unique(scope.column("assignee_id")[at], return_counts=True)
    people = Counter(dict(zip(assignees.tolist(), counts.tolist(), strict=True)))
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


def no_feedback_loop(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Bug and feature-request tickets resolved without a link to product feedback (a tag or a
    custom field)."""
    categories = {c.lower() for c in t["categories"]}
    codes = [
        i for i, c in enumerate(scope.snapshot.labels.get("category", [])) if c and c.lower() in categories
    ]
    judged = np.isin(scope.column("category"), codes)
    total = int(judged.sum())
    if total < t["min_tickets"]:
        return None
    f = scope.facts
    tags = [
        i for i, tag in enumerate(f.labels.get("tag", [])) if tag in {x.lower() for x in t["feedback_tags"]}
    ]
    fields = [i for i, name in enumerate(f.labels.get("field", [])) if name in set(t["feedback_fields"])]
    linked = np.concatenate(
        (f["tag_ticket"][np.isin(f["tag_code"], tags)], f["field_ticket"][np.isin(f["field_code"], fields)])
    )
    at, ok = scope.position(linked)
    judged[at[ok]] = False
    which = np.flatnonzero(judged)
    if len(which) < t["min_tickets"]:
        return None
    labels = [p or "" for p in scope.snapshot.labels.get("priority", [])]
    dense = {p: i for i, p in enumerate(sorted(set(labels)))}
    rank = np.array([dense[p] for p in labels] or [0], dtype=np.int64)[scope.column("priority")[which]]
    order = np.lexsort((-scope.ids[which], -scope.column("reopens")[which], rank))
    missing = which[order]
    assignees = scope.column("assignee_id")[missing].tolist()
    groups = scope.column("group_id")[missing].tolist()
    people = scope.emails(assignees)
    names = scope.group_names(groups)
    links = [f"tag {tag}" for tag in t["feedback_tags"]] + [f"field {f}" for f in t["feedback_fields"]]
    explanation = (
        f"{len(missing)} of {total} {' or '.join(t['categories'])} tickets resolved in the period "
        f"({percent(len(missing) / total)}) were never linked to product feedback "
        f"(no {' or '.join(links) or 'link'})."
    )
    return Finding(
        pattern="no_feedback_loop",
        title=TITLES["no_feedback_loop"],
        explanation=explanation,
        tickets=scope.cut(scope.ids[missing]),
        count=len(missing),
        agents=ranked(Counter(assignees), people),
        groups=ranked(Counter(groups), names),
        thresholds=t,
    )
