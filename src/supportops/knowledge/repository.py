"""Every query on the knowledge-base tables, and the few reads of tickets the knowledge loop needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, text, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from supportops.auth.principal import Principal
from supportops.knowledge.enums import ArticleStatus, LinkKind, SearchOutcome, Visibility
from supportops.knowledge.models import (
    Article,
    ArticleLink,
    ArticleVersion,
    ArticleVote,
    KbCategory,
    KbSearch,
    KbSetting,
    SelfServiceEvent,
)
from supportops.tickets.enums import AuthorKind, Status
from supportops.tickets.models import Message, Ticket

PHRASES_PER_ARTICLE = 50
"""Linked-ticket subjects the suggestion index keeps per article, newest first."""


def readable(principal: Principal) -> ColumnElement[bool]:
    """Staff read every article; customers and visitors read published public ones."""
    if principal.is_staff:
        return true()
    return and_(Article.status == ArticleStatus.published, Article.visibility == Visibility.public)


def get_article(
    session: Session, article_id: int, *, principal: Principal, for_update: bool = False
) -> Article | None:
    stmt = select(Article).where(Article.id == article_id, readable(principal))
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def list_articles(
    session: Session,
    *,
    principal: Principal,
    status: ArticleStatus | None,
    category_id: int | None,
    owner_id: int | None,
    tag: str | None,
    stale_before: datetime | None,
    before_id: int | None,
    limit: int,
) -> Sequence[Article]:
    stmt = select(Article).where(readable(principal))
    if status is not None:
        stmt = stmt.where(Article.status == status)
    if category_id is not None:
        stmt = stmt.where(Article.category_id == category_id)
    if owner_id is not None:
        stmt = stmt.where(Article.owner_id == owner_id)
    if stale_before is not None:
        stmt = stmt.where(Article.reviewed_at < stale_before, Article.status != ArticleStatus.archived)
    if before_id is not None:
        stmt = stmt.where(Article.id < before_id)
    rows = session.scalars(stmt.order_by(Article.id.desc()).limit(limit if tag is None else limit * 20)).all()
    if tag is not None:
        rows = [a for a in rows if tag in (a.tags or [])][:limit]
    return rows


def add(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def categories(session: Session) -> Sequence[Any]:
    counts = (
        select(Article.category_id, func.count().label("n"))
        .where(Article.status != ArticleStatus.archived)
        .group_by(Article.category_id)
        .subquery()
    )
    return session.execute(
        select(KbCategory, func.coalesce(counts.c.n, 0).label("articles"))
        .outerjoin(counts, counts.c.category_id == KbCategory.id)
        .order_by(KbCategory.position, KbCategory.name)
    ).all()


def category(session: Session, category_id: int) -> KbCategory | None:
    return session.get(KbCategory, category_id)


def category_by_name(session: Session, name: str) -> KbCategory | None:
    return session.scalar(select(KbCategory).where(func.lower(KbCategory.name) == name.lower()))


def category_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(KbCategory.id, KbCategory.name).where(KbCategory.id.in_(ids))).all())


def articles_in_category(session: Session, category_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Article.category_id == category_id, Article.status != ArticleStatus.archived
            )
        )
        or 0
    )


def delete_category(session: Session, row: KbCategory) -> None:
    session.execute(update(Article).where(Article.category_id == row.id).values(category_id=None))
    session.delete(row)
    session.flush()


def versions(session: Session, article_id: int) -> Sequence[ArticleVersion]:
    return session.scalars(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article_id)
        .order_by(ArticleVersion.version.desc())
    ).all()


def linked_tickets(session: Session, article_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ArticleLink.ticket_id)
            .where(ArticleLink.article_id == article_id)
            .order_by(ArticleLink.ticket_id)
        )
    )


def links_of_ticket(session: Session, ticket_id: int) -> Sequence[Any]:
    return session.execute(
        select(ArticleLink, Article.title)
        .join(Article, Article.id == ArticleLink.article_id)
        .where(ArticleLink.ticket_id == ticket_id)
        .order_by(ArticleLink.at)
    ).all()


def link(
    session: Session, *, article_id: int, ticket_id: int, kind: LinkKind, by: int | None, at: datetime
) -> ArticleLink:
    existing = session.scalar(
        select(ArticleLink).where(ArticleLink.article_id == article_id, ArticleLink.ticket_id == ticket_id)
    )
    if existing is not None:
        return existing
    row = ArticleLink(article_id=article_id, ticket_id=ticket_id, kind=kind, linked_by=by, at=at)
    session.add(row)
    session.flush()
    return row


def unlink(session: Session, *, article_id: int, ticket_id: int) -> bool:
    result = session.execute(
        delete(ArticleLink).where(ArticleLink.article_id == article_id, ArticleLink.ticket_id == ticket_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the suggestion index -----------------------------------------------------------------------


GENERATION_KEY = "index_generation"


def bump_generation(session: Session, at: datetime) -> None:
    """Count a change the suggestion index must pick up (in the changing transaction)."""
    row = session.get(KbSetting, GENERATION_KEY, with_for_update=True)
    if row is None:
        session.add(KbSetting(key=GENERATION_KEY, value={"n": 1}, updated_at=at))
    else:
        row.value, row.updated_at = {"n": int(row.value.get("n", 0)) + 1}, at
    session.flush()


def generation(session: Session) -> int:
    """The change generation: bumped in the transaction of every change the index must see."""
    value = session.scalar(select(KbSetting.value).where(KbSetting.key == GENERATION_KEY))
    return int((value or {}).get("n", 0))


def article_stamps(session: Session) -> dict[int, datetime]:
    """Each article's last change: what tells the index which articles to read again."""
    return {row[0]: row[1] for row in session.execute(select(Article.id, Article.updated_at))}


def searchable_articles(session: Session, *, ids: Sequence[int] | None = None) -> Sequence[Any]:
    """Articles for the index, with their status: the given ones (any status: an archived one must
    leave the index), or every published one."""
    stmt = select(Article.id, Article.title, Article.body_text, Article.visibility, Article.status)
    if ids is None:
        return session.execute(stmt.where(Article.status == ArticleStatus.published)).all()
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        rows.extend(session.execute(stmt.where(Article.id.in_(list(ids[start : start + 500])))).all())
    return rows


def phrases(session: Session, article_ids: Sequence[int]) -> dict[int, list[str]]:
    """Subjects of the tickets linked to each article, newest first (at most PHRASES_PER_ARTICLE)."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(article_ids), 500):
        chunk = list(article_ids[start : start + 500])
        rows = session.execute(
            select(ArticleLink.article_id, Ticket.subject)
            .join(Ticket, Ticket.id == ArticleLink.ticket_id)
            .where(ArticleLink.article_id.in_(chunk), ArticleLink.kind != LinkKind.created)
            .order_by(ArticleLink.article_id, ArticleLink.at.desc())
        ).all()
        for article_id, subject in rows:
            bucket = out.setdefault(article_id, [])
            if len(bucket) < PHRASES_PER_ARTICLE:
                bucket.append(subject)
    return out


def titles(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, int | None]]:
    """id -> (title, visibility, category id)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Article.id, Article.title, Article.visibility, Article.category_id).where(
            Article.id.in_(list(ids))
        )
    ).all()
    return {r.id: (r.title, r.visibility, r.category_id) for r in rows}


# --- full text ---------------------------------------------------------------------------------


def full_text_sqlite(session: Session, match: str, *, public_only: bool, limit: int) -> Sequence[Any]:
    sql = text(
        "SELECT a.id AS id, -bm25(kb_articles_fts, 5.0, 1.0) AS score, "
        "snippet(kb_articles_fts, 1, char(2), char(3), '…', 24) AS snippet "
        "FROM kb_articles_fts JOIN kb_articles a ON a.id = kb_articles_fts.rowid "
        "WHERE kb_articles_fts MATCH :match AND a.status = 'published' "
        "AND (a.visibility = 'public' OR NOT :public_only) "
        "ORDER BY bm25(kb_articles_fts, 5.0, 1.0) LIMIT :limit"
    )
    return session.execute(sql, {"match": match, "limit": limit, "public_only": public_only}).all()


def full_text_postgres(session: Session, query: str, *, public_only: bool, limit: int) -> Sequence[Any]:
    sql = text(
        "SELECT a.id AS id, ts_rank_cd(a.search_vector, q) AS score, "
        "ts_headline('english', a.body_text, q, :options) AS snippet "
        "FROM kb_articles a, to_tsquery('english', :query) q "
        "WHERE a.search_vector @@ q AND a.status = 'published' "
        "AND (a.visibility = 'public' OR NOT :public_only) "
        "ORDER BY score DESC, a.id LIMIT :limit"
    )
    options = "StartSel=\x02, StopSel=\x03, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
    params = {"query": query, "options": options, "limit": limit, "public_only": public_only}
    return session.execute(sql, params).all()


# --- searches, votes, self-service -------------------------------------------------------------


def search(session: Session, search_id: int) -> KbSearch | None:
    return session.get(KbSearch, search_id, with_for_update=True)


def record_outcome(
    session: Session, row: KbSearch, *, outcome: SearchOutcome, at: datetime, ticket_id: int | None
) -> bool:
    """Set the outcome once: the first one stands (True when it was set now)."""
    result = session.execute(
        update(KbSearch)
        .where(KbSearch.id == row.id, KbSearch.outcome.is_(None))
        .values(outcome=outcome, outcome_at=at, ticket_id=ticket_id)
    )
    session.refresh(row)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def vote(session: Session, *, article_id: int, user_id: int | None, helpful: bool, at: datetime) -> None:
    """One vote per signed-in reader and article (a new answer replaces the old one)."""
    if user_id is not None:
        old = session.scalar(
            select(ArticleVote).where(ArticleVote.article_id == article_id, ArticleVote.user_id == user_id)
        )
        if old is not None:
            if old.helpful != helpful:
                column = Article.helpful if old.helpful else Article.not_helpful
                session.execute(update(Article).where(Article.id == article_id).values({column: column - 1}))
                old.helpful, old.at = helpful, at
                _count_vote(session, article_id, helpful)
            return
    session.add(ArticleVote(article_id=article_id, user_id=user_id, helpful=helpful, at=at))
    _count_vote(session, article_id, helpful)
    session.flush()


def _count_vote(session: Session, article_id: int, helpful: bool) -> None:
    column = Article.helpful if helpful else Article.not_helpful
    session.execute(update(Article).where(Article.id == article_id).values({column: column + 1}))


def count_view(session: Session, article_id: int) -> None:
    session.execute(update(Article).where(Article.id == article_id).values(views=Article.views + 1))


def self_service(session: Session, row: SelfServiceEvent) -> None:
    session.add(row)
    session.flush()


def setting(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(KbSetting, key)
    return None if row is None else dict(row.value)


def put_setting(session: Session, key: str, value: dict[str, Any], at: datetime) -> None:
    row = session.get(KbSetting, key)
    if row is None:
        session.add(KbSetting(key=key, value=value, updated_at=at))
    else:
        row.value, row.updated_at = value, at
    session.flush()


# --- analytics, staleness and gaps -------------------------------------------------------------


def searches_between(session: Session, start: datetime, end: datetime) -> Sequence[Any]:
    return session.execute(
        select(
            KbSearch.query, KbSearch.clicked_article_id, KbSearch.outcome, KbSearch.no_match, KbSearch.results
        ).where(KbSearch.at >= start, KbSearch.at < end)
    ).all()


def self_service_between(session: Session, start: datetime, end: datetime) -> Sequence[Any]:
    return session.execute(
        select(SelfServiceEvent.article_id, SelfServiceEvent.outcome, func.count())
        .where(
            SelfServiceEvent.at >= start, SelfServiceEvent.at < end, SelfServiceEvent.article_id.is_not(None)
        )
        .group_by(SelfServiceEvent.article_id, SelfServiceEvent.outcome)
    ).all()


def effectiveness_rows(session: Session, limit: int) -> Sequence[Any]:
    votes = Article.helpful + Article.not_helpful
    return session.execute(
        select(Article.id, Article.title, Article.helpful, Article.not_helpful)
        .where(votes > 0, Article.status == ArticleStatus.published)
        .order_by(votes.desc(), Article.id)
        .limit(limit)
    ).all()


def freshness(session: Session, fresh_after: datetime) -> tuple[int, int]:
    """(published articles, those reviewed after ``fresh_after``)."""
    row = session.execute(
        select(func.count(), func.count().filter(Article.reviewed_at >= fresh_after)).where(
            Article.status == ArticleStatus.published
        )
    ).one()
    return int(row[0]), int(row[1])


def resolved_without_article(session: Session, since: datetime, limit: int) -> Sequence[Any]:
    """Tickets resolved or closed since ``since`` that link no article, newest first."""
    linked = select(ArticleLink.id).where(ArticleLink.ticket_id == Ticket.id).exists()
    return session.execute(
        select(Ticket.id, Ticket.subject, Ticket.description)
        .where(
            Ticket.status.in_([Status.resolved, Status.closed]),
            Ticket.last_resolved_at >= since,
            ~linked,
        )
        .order_by(Ticket.last_resolved_at.desc())
        .limit(limit)
    ).all()


def resolution_of(session: Session, ticket_id: int) -> str | None:
    """The last public reply an agent wrote on a ticket: the resolution an article is drafted from."""
    return session.scalar(
        select(Message.body)
        .where(
            Message.ticket_id == ticket_id, Message.public.is_(True), Message.author_kind == AuthorKind.agent
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
