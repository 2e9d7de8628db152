"""The knowledge-base gap finder: what customers keep asking that no article answers.

Recently resolved tickets that link no article are grouped by what they are about (TF-IDF over the
subject, weighted double, and the opening of the description; cosine distance; average-linkage
clustering cut at ``DISTANCE``). The largest groups come first, each with the tickets closest to its
centre as examples, its most characteristic words, and the subject of its most central ticket as the
title to start an article from. This is the knowledge-hoarding signal: a recurring issue solved again
and again without an article.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.kit.text import normalise
from supportops.knowledge import repository
from supportops.knowledge.schemas import Gap, GapReport, GapTicket

MAX_TICKETS = 2_000
"""The most recent resolutions considered; clustering is quadratic in their number."""
DISTANCE = 0.75
"""Cosine distance at which groups stop merging (0 = same words, 1 = nothing in common)."""
MIN_SIZE = 3
EXAMPLES = 5


def find(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    days: int = 30,
    limit: int = 10,
    min_size: int = MIN_SIZE,
) -> GapReport:
    actor.require_staff("look for knowledge-base gaps")
    since = now - timedelta(days=days)
    rows = repository.resolved_without_article(session, since, MAX_TICKETS)
    report = GapReport(since=since, resolved_without_article=len(rows), clusters=[])
    if len(rows) < max(2, min_size):
        return report
    # Imported here, not at the top: the library takes most of a second to import, and every
    # command-line start would pay for it.
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    texts = [f"{r.subject}\n{r.subject}\n{(r.description or '')[:600]}" for r in rows]
    vectorizer = TfidfVectorizer(
        preprocessor=normalise, stop_words="english", ngram_range=(1, 2), sublinear_tf=True, min_df=2
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no word occurs twice: nothing recurs
        return report
    dense = normalize(matrix).toarray()
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=DISTANCE
    ).fit_predict(np.where(dense.any(axis=1, keepdims=True), dense, 1e-9))
    terms = vectorizer.get_feature_names_out()
    clusters: list[Gap] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < min_size or not dense[members].any():
            continue
        centre = dense[members].mean(axis=0)
        closeness = dense[members] @ centre
        order = members[np.argsort(-closeness, kind="stable")]
        top_terms = [str(terms[i]) for i in np.argsort(-centre)[:5] if centre[i] > 0]
        clusters.append(
            Gap(
                size=len(members),
                suggested_title=rows[order[0]].subject,
                terms=top_terms,
                examples=[GapTicket(ticket_id=rows[i].id, subject=rows[i].subject) for i in order[:EXAMPLES]],
            )
        )
    clusters.sort(key=lambda g: (-g.size, g.examples[0].ticket_id))
    return GapReport(since=since, resolved_without_article=len(rows), clusters=clusters[:limit])
