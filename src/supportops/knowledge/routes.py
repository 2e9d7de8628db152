"""HTTP for the knowledge base. Reading, searching, suggestions, votes and search outcomes are open
to signed-out portal visitors (public articles only); writing needs staff, settings need a lead."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status

from supportops.auth.deps import CurrentCtx, VisitorCtx
from supportops.kit.clock import utc
from supportops.kit.etag import parse_if_match
from supportops.kit.pagination import MAX_LIMIT, Page
from supportops.knowledge import gaps, service
from supportops.knowledge.enums import ArticleStatus
from supportops.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleSummary,
    ArticleUpdate,
    ArticleVersionRead,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    Click,
    FromTicket,
    GapReport,
    KbSettingsRead,
    KbSettingsUpdate,
    LinkCreate,
    LinkRead,
    OutcomeCreate,
    OutcomeRead,
    ReplyWithArticle,
    SearchAnalytics,
    SearchResponse,
    SuggestRequest,
    SuggestResponse,
    VoteCreate,
    VoteRead,
)

router = APIRouter(prefix="/kb", tags=["knowledge"])
ticket_router = APIRouter(prefix="/tickets", tags=["knowledge"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
OptionalId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]


def _with_etag(response: Response, read: ArticleRead) -> ArticleRead:
    response.headers["ETag"] = f'"{read.version}"'
    return read


@router.post("/articles", status_code=status.HTTP_201_CREATED)
def create_article(data: ArticleCreate, ctx: CurrentCtx, response: Response) -> ArticleRead:
    """Write an article (staff). Markdown body; raw HTML in it is cleaned before it is stored."""
    with ctx.write() as session:
        read = service.create_article(session, actor=ctx.principal, data=data, now=ctx.now)
    response.headers["Location"] = f"/api/v1/kb/articles/{read.id}"
    return _with_etag(response, read)


@router.get("/articles")
def list_articles(
    ctx: VisitorCtx,
    status_: Annotated[ArticleStatus | None, Query(alias="status")] = None,
    category_id: OptionalId = None,
    owner_id: OptionalId = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    stale: Annotated[bool, Query(description="Only articles past their review date.")] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> Page[ArticleSummary]:
    """Articles, newest first. Visitors and customers see published public ones only."""
    with ctx.read() as session:
        return service.list_articles(
            session,
            actor=ctx.principal,
            now=ctx.now,
            status=status_,
            category_id=category_id,
            owner_id=owner_id,
            tag=tag.strip().lower() if tag else None,
            stale=stale,
            cursor=cursor,
            limit=limit,
        )


@router.post("/articles/from-ticket", status_code=status.HTTP_201_CREATED)
def draft_from_ticket(data: FromTicket, ctx: CurrentCtx) -> ArticleRead:
    """A draft article from a ticket's problem and resolution, linked to it."""
    with ctx.write() as session:
        return service.draft_from_ticket(session, actor=ctx.principal, ticket_id=data.ticket_id, now=ctx.now)


@router.get("/articles/{article_id}")
def get_article(article_id: Id, ctx: VisitorCtx, response: Response) -> ArticleRead:
    with ctx.read() as session:
        return _with_etag(
            response, service.read_article(session, actor=ctx.principal, article_id=article_id, now=ctx.now)
        )


@router.patch("/articles/{article_id}")
def update_article(
    article_id: Id, data: ArticleUpdate, ctx: CurrentCtx, response: Response, if_match: IfMatch = None
) -> ArticleRead:
    """Change an article (staff). Send the ETag as If-Match: an edit of a stale version gets 409."""
    expected = parse_if_match(if_match, resource="article")
    with ctx.write() as session:
        read = service.update_article(
            session,
            actor=ctx.principal,
            article_id=article_id,
            data=data,
            now=ctx.now,
            expected_version=expected,
        )
    return _with_etag(response, read)


@router.post("/articles/{article_id}/archive")
def archive_article(article_id: Id, ctx: CurrentCtx) -> ArticleRead:
    """Take an article out of search and suggestions; it keeps its versions and links."""
    with ctx.write() as session:
        return service.archive_article(session, actor=ctx.principal, article_id=article_id, now=ctx.now)


@router.get("/articles/{article_id}/versions")
def list_versions(article_id: Id, ctx: CurrentCtx) -> list[ArticleVersionRead]:
    with ctx.read() as session:
        return service.list_versions(session, actor=ctx.principal, article_id=article_id)


@router.post("/articles/{article_id}/vote")
def vote(article_id: Id, data: VoteCreate, ctx: VisitorCtx) -> VoteRead:
    """Was this article helpful? One vote per signed-in reader (a new one replaces it)."""
    with ctx.write() as session:
        return service.vote(
            session, actor=ctx.principal, article_id=article_id, helpful=data.helpful, now=ctx.now
        )


@router.post("/articles/{article_id}/links", status_code=status.HTTP_201_CREATED)
def link_ticket(article_id: Id, data: LinkCreate, ctx: CurrentCtx) -> LinkRead:
    with ctx.write() as session:
        return service.link_ticket(
            session, actor=ctx.principal, article_id=article_id, ticket_id=data.ticket_id, now=ctx.now
        )


@router.delete("/articles/{article_id}/links/{ticket_id}", status_code=status.HTTP_204_NO_CONTENT)
def unlink_ticket(article_id: Id, ticket_id: Id, ctx: CurrentCtx) -> None:
    with ctx.write() as session:
        service.unlink_ticket(
            session, actor=ctx.principal, article_id=article_id, ticket_id=ticket_id, now=ctx.now
        )


@router.post("/articles/{article_id}/reply", status_code=status.HTTP_201_CREATED)
def reply_with_article(article_id: Id, data: ReplyWithArticle, ctx: CurrentCtx) -> dict[str, int]:
    """Answer a ticket with a published public article (a public reply with its link)."""
    with ctx.write() as session:
        message_id = service.reply_with_article(
            session,
            actor=ctx.principal,
            article_id=article_id,
            ticket_id=data.ticket_id,
            text=data.text,
            now=ctx.now,
        )
    return {"message_id": message_id, "article_id": article_id, "ticket_id": data.ticket_id}


@ticket_router.get("/{ticket_id}/articles")
def ticket_articles(ticket_id: Id, ctx: CurrentCtx) -> list[LinkRead]:
    with ctx.read() as session:
        return service.ticket_articles(session, actor=ctx.principal, ticket_id=ticket_id)


@router.get("/search")
def search(
    ctx: VisitorCtx,
    q: Annotated[str, Query(max_length=500, description="Words to find; typos and synonyms are handled.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResponse:
    with ctx.read() as session:
        service.warm_index(session)
    with ctx.write() as session:
        return service.search(session, actor=ctx.principal, q=q, limit=limit, now=ctx.now)


@router.post("/suggest")
def suggest(data: SuggestRequest, ctx: VisitorCtx) -> SuggestResponse:
    """Up to three articles for a ticket being written, and ``no_match`` when none fits."""
    with ctx.read() as session:
        service.warm_index(session)
    with ctx.write() as session:
        return service.suggest(session, actor=ctx.principal, data=data, now=ctx.now)


@router.post("/searches/{search_id}/click", status_code=status.HTTP_204_NO_CONTENT)
def click(search_id: Id, data: Click, ctx: VisitorCtx) -> None:
    with ctx.write() as session:
        service.click(
            session, actor=ctx.principal, search_id=search_id, article_id=data.article_id, now=ctx.now
        )


@router.post("/searches/{search_id}/outcome")
def record_outcome(search_id: Id, data: OutcomeCreate, ctx: VisitorCtx) -> OutcomeRead:
    """``self_service``: an article solved it, and no ticket is created. ``indirect``: the ticket form
    was left right after reading a suggestion. ``ticket``: a ticket was created (its id)."""
    with ctx.write() as session:
        return service.record_outcome(
            session, actor=ctx.principal, search_id=search_id, data=data, now=ctx.now
        )


@router.get("/analytics")
def analytics(
    ctx: CurrentCtx,
    from_: Annotated[datetime, Query(alias="from")],
    to: Annotated[datetime, Query()],
) -> SearchAnalytics:
    with ctx.read() as session:
        return service.analytics(session, actor=ctx.principal, start=utc(from_), end=utc(to), now=ctx.now)


@router.get("/gaps")
def find_gaps(
    ctx: CurrentCtx,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> GapReport:
    """Clusters of recently resolved tickets no article covers, largest first, with a title to start from."""
    with ctx.read() as session:
        return gaps.find(session, actor=ctx.principal, now=ctx.now, days=days, limit=limit)


@router.get("/categories")
def list_categories(ctx: VisitorCtx) -> list[CategoryRead]:
    with ctx.read() as session:
        return service.list_categories(session)


@router.post("/categories", status_code=status.HTTP_201_CREATED)
def create_category(data: CategoryCreate, ctx: CurrentCtx) -> CategoryRead:
    with ctx.write() as session:
        return service.create_category(session, actor=ctx.principal, data=data, now=ctx.now)


@router.patch("/categories/{category_id}")
def update_category(category_id: Id, data: CategoryUpdate, ctx: CurrentCtx) -> CategoryRead:
    with ctx.write() as session:
        return service.update_category(session, actor=ctx.principal, category_id=category_id, data=data)


@router.delete("/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_category(category_id: Id, ctx: CurrentCtx) -> None:
    with ctx.write() as session:
        service.delete_category(session, actor=ctx.principal, category_id=category_id)


@router.get("/settings")
def read_settings(ctx: CurrentCtx) -> KbSettingsRead:
    ctx.principal.require_staff("read knowledge-base settings")
    with ctx.read() as session:
        return service.settings_of(session)


@router.put("/settings")
def update_settings(data: KbSettingsUpdate, ctx: CurrentCtx) -> KbSettingsRead:
    with ctx.write() as session:
        return service.update_settings(session, actor=ctx.principal, data=data, now=ctx.now)
