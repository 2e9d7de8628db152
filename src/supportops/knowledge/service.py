"""Knowledge-base use cases: articles and their versions, categories, links to tickets, search and
suggestions with their analytics, votes, self-service outcomes, staleness and settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.kit.errors import Forbidden, InvalidInput
from supportops.kit.pagination import Page, decode_cursor, encode_cursor
from supportops.knowledge import live, repository
from supportops.knowledge.enums import ArticleStatus, LinkKind, SearchOutcome, SearchSource, Visibility
from supportops.knowledge.errors import (
    ArticleNotFound,
    CategoryInUse,
    CategoryNameTaken,
    CategoryNotFound,
    SearchNotFound,
    StaleArticle,
    UnknownCategory,
)
from supportops.knowledge.index import LayeredIndex, Match
from supportops.knowledge.markup import plain_text, render, sanitize_source
from supportops.knowledge.models import Article, ArticleVersion, KbCategory, KbSearch, SelfServiceEvent
from supportops.knowledge.schemas import (
    ArticleCreate,
    ArticleEffectiveness,
    ArticleRead,
    ArticleSummary,
    ArticleUpdate,
    ArticleVersionRead,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    DeflectingArticle,
    FailedSearch,
    KbSettingsRead,
    KbSettingsUpdate,
    LinkRead,
    OutcomeCreate,
    OutcomeRead,
    SearchAnalytics,
    SearchHit,
    SearchResponse,
    Suggestion,
    SuggestRequest,
    SuggestResponse,
    VoteRead,
)
from supportops.knowledge.search import PreparedQuery, backend_for, clean_query, highlight, prepare
from supportops.tickets import service as tickets
from supportops.tickets.schemas import MessageCreate

FRESH_DAYS = 90
"""Content counts as fresh for this many days after its last review."""
NO_MATCH_THRESHOLD = 0.235
"""Below this confidence (:func:`confidence`: the best score less a share of the runner-up's) a
suggestion request answers ``no_match``. Calibrated by ``bench/kb_deflection.py`` on CLINC150
training sentences held out from the articles: the highest threshold that costs at most two points
of in-scope accuracy, because a wrong ``no_match`` hides the answer from the customer
(docs/benchmarks.md). It follows the runner-up weight: re-run the bench after changing either."""
NO_MATCH_THRESHOLD_SEMANTIC = 0.295
"""The same calibration for scores blended with embeddings (``knowledge.semantic``)."""
RUNNER_UP_WEIGHT = 0.15
"""How much of the runner-up's score the no_match decision takes off the best one: a query that two
articles answer about as well is less likely to be answered by the first. Chosen by
``bench/kb_deflection.py`` on CLINC150 calibration data, among 0 to 1 by 0.05: the weight whose
deflection-rule threshold rejects the most out-of-scope training queries (the 250 of OOS+)."""
RUNNER_UP_WEIGHT_SEMANTIC = 0.15
"""The same choice for scores blended with embeddings."""
SUGGESTIONS = 3
DEFAULT_SYNONYMS: list[list[str]] = [
    ["login", "log in", "sign in", "signin", "logon"],
    ["logout", "log out", "sign out"],
    ["password", "passcode", "passphrase"],
    ["refund", "reimbursement", "money back"],
    ["cancel", "terminate", "close account"],
    ["invoice", "bill", "receipt"],
    ["delivery", "shipping", "shipment"],
    ["error", "failure"],
    ["email", "e-mail", "mail"],
    ["2fa", "two factor", "mfa"],
]


def _changed(session: Session, now: datetime) -> None:
    """Tell the suggestion index (of every process) that articles changed."""
    repository.bump_generation(session, now)
    live.changed(session)


def _touch(article: Article, now: datetime) -> None:
    """Move the article's ``updated_at`` on, by at least a microsecond: the suggestion index reads
    again exactly the articles whose stamp changed, so two changes must never share one."""
    article.updated_at = max(now, article.updated_at + timedelta(microseconds=1))


def _url(article_id: int) -> str:
    return f"/kb/{article_id}"


def _effectiveness(helpful: int, not_helpful: int) -> float | None:
    votes = helpful + not_helpful
    return None if votes == 0 else round(helpful / votes, 4)


def _summary_fields(article: Article, category: str | None, now: datetime) -> dict[str, Any]:
    due = article.reviewed_at + timedelta(days=FRESH_DAYS)
    return {
        "id": article.id,
        "title": article.title,
        "category": category,
        "section": article.section,
        "tags": list(article.tags or []),
        "visibility": article.visibility,
        "status": article.status,
        "version": article.version,
        "owner_id": article.owner_id,
        "updated_at": article.updated_at,
        "reviewed_at": article.reviewed_at,
        "review_due": due,
        "fresh": now < due,
        "helpful": article.helpful,
        "not_helpful": article.not_helpful,
        "effectiveness": _effectiveness(article.helpful, article.not_helpful),
        "views": article.views,
        "url": _url(article.id),
    }


def _read(session: Session, article: Article, *, actor: Principal, now: datetime) -> ArticleRead:
    names = repository.category_names(session, {article.category_id} if article.category_id else set())
    return ArticleRead(
        **_summary_fields(article, names.get(article.category_id or 0), now),
        body=article.body,
        body_html=article.body_html,
        author_id=article.author_id,
        created_at=article.created_at,
        published_at=article.published_at,
        source_ticket_id=article.source_ticket_id if actor.is_staff else None,
        linked_tickets=repository.linked_tickets(session, article.id) if actor.is_staff else [],
    )


# --- categories --------------------------------------------------------------------------------


def list_categories(session: Session) -> list[CategoryRead]:
    return [
        CategoryRead(id=c.id, name=c.name, description=c.description, position=c.position, articles=n)
        for c, n in repository.categories(session)
    ]


def create_category(
    session: Session, *, actor: Principal, data: CategoryCreate, now: datetime
) -> CategoryRead:
    actor.require_manager("manage knowledge-base categories")
    if repository.category_by_name(session, data.name) is not None:
        raise CategoryNameTaken(data.name)
    row = KbCategory(name=data.name, description=data.description, position=data.position, created_at=now)
    repository.add(session, row)
    return CategoryRead(id=row.id, name=row.name, description=row.description, position=row.position)


def update_category(
    session: Session, *, actor: Principal, category_id: int, data: CategoryUpdate
) -> CategoryRead:
    actor.require_manager("manage knowledge-base categories")
    row = repository.category(session, category_id)
    if row is None:
        raise CategoryNotFound(category_id)
    renamed = data.name is not None and data.name.lower() != row.name.lower()
    if renamed and repository.category_by_name(session, data.name or "") is not None:
        raise CategoryNameTaken(data.name or "")
    for field in ("name", "description", "position"):
        value = getattr(data, field)
        if value is not None:
            setattr(row, field, value)
    session.flush()
    return CategoryRead(
        id=row.id,
        name=row.name,
        description=row.description,
        position=row.position,
        articles=repository.articles_in_category(session, row.id),
    )


def delete_category(session: Session, *, actor: Principal, category_id: int) -> None:
    actor.require_manager("manage knowledge-base categories")
    row = repository.category(session, category_id)
    if row is None:
        raise CategoryNotFound(category_id)
    used = repository.articles_in_category(session, category_id)
    if used:
        raise CategoryInUse(row.name, used)
    repository.delete_category(session, row)


def _category_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    row = repository.category_by_name(session, name)
    if row is None:
        raise UnknownCategory(name, [c.name for c, _ in repository.categories(session)])
    return row.id


# --- articles ----------------------------------------------------------------------------------


def _content(body: str) -> tuple[str, str, str]:
    """(Markdown with raw HTML cleaned, sanitized HTML, plain text); an empty result is refused."""
    source = sanitize_source(body)
    text = plain_text(source)
    if not text.strip():
        raise InvalidInput("The body has no readable text once unsafe HTML is removed.", field="body")
    return source, render(source), text


def create_article(session: Session, *, actor: Principal, data: ArticleCreate, now: datetime) -> ArticleRead:
    actor.require_staff("write knowledge-base articles")
    if data.status == ArticleStatus.archived:
        raise InvalidInput("A new article is a draft or published.", field="status")
    source, body_html, body_text = _content(data.body)
    if data.source_ticket_id is not None:
        tickets.get_ticket(session, actor=actor, ticket_id=data.source_ticket_id)
    article = Article(
        title=data.title,
        body=source,
        body_html=body_html,
        body_text=body_text,
        category_id=_category_id(session, data.category),
        section=data.section,
        tags=sorted(set(data.tags)),
        visibility=data.visibility,
        status=data.status,
        version=1,
        author_id=actor.user_id,
        owner_id=data.owner_id or actor.user_id,
        created_at=now,
        updated_at=now,
        published_at=now if data.status == ArticleStatus.published else None,
        reviewed_at=now,
        source_ticket_id=data.source_ticket_id,
        helpful=0,
        not_helpful=0,
        views=0,
    )
    repository.add(session, article)
    _version(session, article, actor=actor, now=now, note="created")
    if data.source_ticket_id is not None:
        repository.link(
            session,
            article_id=article.id,
            ticket_id=data.source_ticket_id,
            kind=LinkKind.created,
            by=actor.user_id,
            at=now,
        )
    _changed(session, now)
    return _read(session, article, actor=actor, now=now)


def _version(session: Session, article: Article, *, actor: Principal, now: datetime, note: str) -> None:
    repository.add(
        session,
        ArticleVersion(
            article_id=article.id,
            version=article.version,
            title=article.title,
            body=article.body,
            status=article.status,
            author_id=actor.user_id,
            created_at=now,
            note=note[:255],
        ),
    )


def _get(session: Session, article_id: int, *, actor: Principal, for_update: bool = False) -> Article:
    article = repository.get_article(session, article_id, principal=actor, for_update=for_update)
    if article is None:
        raise ArticleNotFound(article_id)
    return article


def read_article(session: Session, *, actor: Principal, article_id: int, now: datetime) -> ArticleRead:
    return _read(session, _get(session, article_id, actor=actor), actor=actor, now=now)


def view_article(session: Session, *, actor: Principal, article_id: int, now: datetime) -> ArticleRead:
    """Read an article as a reader opening it: counts a view."""
    article = _get(session, article_id, actor=actor)
    repository.count_view(session, article.id)
    session.refresh(article)
    return _read(session, article, actor=actor, now=now)


def list_articles(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    status: ArticleStatus | None = None,
    category_id: int | None = None,
    owner_id: int | None = None,
    tag: str | None = None,
    stale: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ArticleSummary]:
    before = int(decode_cursor(cursor, keys=["before"])["before"]) if cursor else None
    rows = repository.list_articles(
        session,
        principal=actor,
        status=status,
        category_id=category_id,
        owner_id=owner_id,
        tag=tag,
        stale_before=now - timedelta(days=FRESH_DAYS) if stale else None,
        before_id=before,
        limit=limit + 1,
    )
    names = repository.category_names(session, {a.category_id for a in rows if a.category_id})
    items = [ArticleSummary(**_summary_fields(a, names.get(a.category_id or 0), now)) for a in rows[:limit]]
    next_cursor = encode_cursor({"before": rows[limit - 1].id}) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


def update_article(
    session: Session,
    *,
    actor: Principal,
    article_id: int,
    data: ArticleUpdate,
    now: datetime,
    expected_version: int | None = None,
) -> ArticleRead:
    """Change an article. A new title or body makes a new version and counts as a review; a stale
    ``expected_version`` is refused, never silently overwritten."""
    actor.require_staff("edit knowledge-base articles")
    article = _get(session, article_id, actor=actor, for_update=True)
    if expected_version is not None and expected_version != article.version:
        raise StaleArticle(article.version, expected_version)
    content_changed = False
    if data.title is not None and data.title != article.title:
        article.title, content_changed = data.title, True
    if data.body is not None:
        source, body_html, body_text = _content(data.body)
        if source != article.body:
            article.body, article.body_html, article.body_text = source, body_html, body_text
            content_changed = True
    if data.category is not None:
        article.category_id = _category_id(session, data.category)
    if data.section is not None:
        article.section = data.section
    if data.tags is not None:
        article.tags = sorted(set(data.tags))
    if data.visibility is not None:
        article.visibility = data.visibility
    if data.owner_id is not None:
        article.owner_id = data.owner_id
    status_changed = data.status is not None and data.status != article.status
    if data.status is not None and status_changed:
        article.status = data.status
        if data.status == ArticleStatus.published and article.published_at is None:
            article.published_at = now
    if content_changed or status_changed:
        article.version += 1
        _version(
            session,
            article,
            actor=actor,
            now=now,
            note=data.note or ("edited" if content_changed else data.status or ""),
        )
    if content_changed or data.reviewed:
        article.reviewed_at = now
    _touch(article, now)
    session.flush()
    _changed(session, now)
    return _read(session, article, actor=actor, now=now)


def archive_article(session: Session, *, actor: Principal, article_id: int, now: datetime) -> ArticleRead:
    return update_article(
        session,
        actor=actor,
        article_id=article_id,
        data=ArticleUpdate(status=ArticleStatus.archived, note="archived"),
        now=now,
    )


def list_versions(session: Session, *, actor: Principal, article_id: int) -> list[ArticleVersionRead]:
    actor.require_staff("read article history")
    _get(session, article_id, actor=actor)
    return [ArticleVersionRead.model_validate(v) for v in repository.versions(session, article_id)]


# --- the knowledge loop ------------------------------------------------------------------------


def link_ticket(
    session: Session,
    *,
    actor: Principal,
    article_id: int,
    ticket_id: int,
    now: datetime,
    kind: LinkKind = LinkKind.linked,
) -> LinkRead:
    actor.require_staff("link articles to tickets")
    article = _get(session, article_id, actor=actor)
    tickets.get_ticket(session, actor=actor, ticket_id=ticket_id)
    row = repository.link(
        session, article_id=article.id, ticket_id=ticket_id, kind=kind, by=actor.user_id, at=now
    )
    _touch(article, now)
    _changed(session, now)
    return LinkRead(
        article_id=row.article_id, ticket_id=row.ticket_id, kind=row.kind, linked_by=row.linked_by, at=row.at
    )


def unlink_ticket(
    session: Session, *, actor: Principal, article_id: int, ticket_id: int, now: datetime
) -> None:
    actor.require_staff("unlink articles from tickets")
    _get(session, article_id, actor=actor)
    if repository.unlink(session, article_id=article_id, ticket_id=ticket_id):
        _touch(_get(session, article_id, actor=actor), now)
        _changed(session, now)


def ticket_articles(session: Session, *, actor: Principal, ticket_id: int) -> list[LinkRead]:
    actor.require_staff("see the articles linked to a ticket")
    tickets.get_ticket(session, actor=actor, ticket_id=ticket_id)
    return [
        LinkRead(
            article_id=link.article_id,
            ticket_id=link.ticket_id,
            kind=link.kind,
            linked_by=link.linked_by,
            at=link.at,
        )
        for link, _title in repository.links_of_ticket(session, ticket_id)
    ]


def reply_with_article(
    session: Session,
    *,
    actor: Principal,
    article_id: int,
    ticket_id: int,
    text: str,
    now: datetime,
    base_url: str = "",
) -> int:
    """Answer a ticket with a public article: a public reply carrying its title, its opening and its
    link, and a link between the two. Returns the message id."""
    actor.require_staff("reply with an article")
    article = _get(session, article_id, actor=actor)
    if article.status != ArticleStatus.published or article.visibility != Visibility.public:
        raise InvalidInput(
            "Only a published public article can be sent to a customer; this one is "
            f"{article.status} and {article.visibility}.",
            field="article_id",
        )
    ticket = tickets.get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    opening = article.body_text.split("\n", 1)[0][:400]
    body = "\n\n".join(
        p for p in (text.strip(), f"{article.title}\n{opening}\n{base_url}{_url(article.id)}") if p
    )
    message, landed, _ = tickets.add_message(
        session, actor=actor, ticket=ticket, data=MessageCreate(body=body), now=now
    )
    repository.link(
        session, article_id=article.id, ticket_id=landed.id, kind=LinkKind.replied, by=actor.user_id, at=now
    )
    _touch(article, now)
    _changed(session, now)
    return message.id


def draft_from_ticket(session: Session, *, actor: Principal, ticket_id: int, now: datetime) -> ArticleRead:
    """A draft article from a ticket: its subject as the title, the problem as the customer put it,
    and the resolution as the agent last wrote it. Internal until someone edits and publishes it."""
    actor.require_staff("draft articles from tickets")
    ticket = tickets.get_ticket(session, actor=actor, ticket_id=ticket_id)
    resolution = repository.resolution_of(session, ticket.id) or "_Describe the solution here._"
    problem = ticket.description.strip() or ticket.subject
    body = f"## Problem\n\n{problem}\n\n## Solution\n\n{resolution.strip()}\n"
    return create_article(
        session,
        actor=actor,
        data=ArticleCreate(
            title=ticket.subject[:255],
            body=body,
            visibility=Visibility.internal,
            status=ArticleStatus.draft,
            source_ticket_id=ticket.id,
        ),
        now=now,
    )


# --- search and suggestions --------------------------------------------------------------------


def warm_index(session: Session) -> None:
    """Bring the suggestion index up to date in a read transaction, so that a (re)build never runs
    inside the write transaction that logs a search (on SQLite that would hold the write lock)."""
    live.current(session)


def settings_of(session: Session) -> KbSettingsRead:
    """The settings in force: a stored no-match threshold, or the calibrated default of the
    suggestion mode this process runs (lexical, or blended with embeddings)."""
    index, _known = live.current(session)
    return _settings(session, index)


def confidence(scores: Sequence[float], *, runner_up_weight: float) -> float | None:
    """How sure the index is that its best article answers the query: the best score less
    ``runner_up_weight`` times the second best (another article), or None with no match. The
    no_match threshold applies to it; the suggestions keep their order and their own scores."""
    if not scores:
        return None
    second = scores[1] if len(scores) > 1 else 0.0
    return round(scores[0] - runner_up_weight * second, 4)


def runner_up_weight(index: LayeredIndex) -> float:
    """The calibrated runner-up weight of the suggestion mode this index runs."""
    return RUNNER_UP_WEIGHT if index.semantic is None else RUNNER_UP_WEIGHT_SEMANTIC


def _confidence(index: LayeredIndex, matches: Sequence[Match]) -> float | None:
    """:func:`confidence` of ``index``'s matches, with the weight of its suggestion mode."""
    return confidence([m.score for m in matches], runner_up_weight=runner_up_weight(index))


def _settings(session: Session, index: LayeredIndex) -> KbSettingsRead:
    suggest = repository.setting(session, "suggest") or {}
    synonyms = repository.setting(session, "synonyms")
    default = NO_MATCH_THRESHOLD if index.semantic is None else NO_MATCH_THRESHOLD_SEMANTIC
    return KbSettingsRead(
        no_match_threshold=float(suggest.get("no_match_threshold", default)),
        threshold_source="setting" if "no_match_threshold" in suggest else "calibrated default",
        semantic=index.semantic,
        synonyms=DEFAULT_SYNONYMS if synonyms is None else list(synonyms.get("groups", [])),
    )


def update_settings(
    session: Session, *, actor: Principal, data: KbSettingsUpdate, now: datetime
) -> KbSettingsRead:
    actor.require_manager("change knowledge-base settings")
    if data.no_match_threshold is not None:
        repository.put_setting(session, "suggest", {"no_match_threshold": data.no_match_threshold}, now)
    if data.synonyms is not None:
        repository.put_setting(session, "synonyms", {"groups": [list(g) for g in data.synonyms]}, now)
    return settings_of(session)


def _log_search(
    session: Session,
    *,
    actor: Principal,
    source: SearchSource,
    query: str,
    results: list[int],
    top: float | None,
    no_match: bool,
    now: datetime,
) -> int | None:
    if not query:
        return None
    row = KbSearch(
        at=now,
        user_id=actor.user_id,
        audience="staff" if actor.is_staff else "public",
        source=source,
        query=query[:500],
        results=results,
        top_score=top,
        no_match=no_match,
    )
    repository.add(session, row)
    return row.id


def _expanded(query: PreparedQuery) -> str:
    """The query's words with their synonyms, as the suggestion index reads them."""
    return " ".join(" ".join(group) for group in query.groups)


def suggest(
    session: Session, *, actor: Principal, data: SuggestRequest, now: datetime, log: bool = True
) -> SuggestResponse:
    """Up to three published articles for what a customer is typing, and whether none fits. Customers
    and visitors get public articles only."""
    index, known = live.current(session)
    settings = _settings(session, index)
    text = clean_query(f"{data.subject}\n{data.description}")
    query = prepare(text, vocabulary=known, synonyms=settings.synonyms)
    matches = index.search(_expanded(query) or text, public_only=not actor.is_staff, limit=SUGGESTIONS)
    top = matches[0].score if matches else None
    sure = _confidence(index, matches)
    no_match = sure is None or sure < settings.no_match_threshold
    titles = repository.titles(session, [m.article_id for m in matches])
    suggestions = [
        Suggestion(
            article_id=m.article_id,
            title=titles[m.article_id][0],
            score=m.score,
            snippet=highlight(m.passage, query),
            url=_url(m.article_id),
        )
        for m in matches
        if m.article_id in titles
    ]
    search_id = (
        None
        if not log
        else _log_search(
            session,
            actor=actor,
            source=SearchSource.suggest,
            query=text,
            results=[s.article_id for s in suggestions],
            top=top,
            no_match=no_match,
            now=now,
        )
    )
    return SuggestResponse(
        suggestions=suggestions, no_match=no_match, search_id=search_id, threshold=settings.no_match_threshold
    )


def search(
    session: Session, *, actor: Principal, q: str, limit: int, now: datetime, log: bool = True
) -> SearchResponse:
    """Ranked full-text search with typo correction and synonyms; the suggestion index fills in when
    full text finds fewer than ``limit``. Customers and visitors see public articles only."""
    index, known = live.current(session)
    settings = _settings(session, index)
    query = prepare(q, vocabulary=known, synonyms=settings.synonyms)
    public_only = not actor.is_staff
    hits = backend_for(session).search(session, query, public_only=public_only, limit=limit)
    seen = {h.article_id for h in hits}
    results: list[tuple[int, float, str]] = [(h.article_id, h.score, h.snippet) for h in hits]
    if len(results) < limit and query.groups:
        matches = index.search(_expanded(query), public_only=public_only, limit=max(limit, SUGGESTIONS))
        sure = _confidence(index, matches)
        if sure is not None and sure >= settings.no_match_threshold:  # what /kb/suggest would show
            for m in matches[:limit]:
                if (
                    m.article_id not in seen
                    and m.score >= settings.no_match_threshold
                    and len(results) < limit
                ):
                    results.append((m.article_id, m.score, highlight(m.passage, query)))
                    seen.add(m.article_id)
    info = repository.titles(session, [r[0] for r in results])
    names = repository.category_names(session, {c for _, _, c in info.values() if c})
    found = [
        SearchHit(
            article_id=article_id,
            title=info[article_id][0],
            score=score,
            snippet=snippet,
            category=names.get(info[article_id][2] or 0),
            visibility=Visibility(info[article_id][1]),
            url=_url(article_id),
        )
        for article_id, score, snippet in results
        if article_id in info
    ]
    search_id = (
        _log_search(
            session,
            actor=actor,
            source=SearchSource.search,
            query=query.text,
            results=[h.article_id for h in found],
            top=found[0].score if found else None,
            no_match=not found,
            now=now,
        )
        if log
        else None
    )
    return SearchResponse(query=query.text, corrected=query.corrected, results=found, search_id=search_id)


def _search_of(session: Session, *, actor: Principal, search_id: int) -> KbSearch:
    row = repository.search(session, search_id)
    if row is None or (row.user_id is not None and row.user_id != actor.user_id and not actor.is_system):
        raise SearchNotFound(search_id)
    return row


def click(session: Session, *, actor: Principal, search_id: int, article_id: int, now: datetime) -> None:
    """The searcher opened a result."""
    row = _search_of(session, actor=actor, search_id=search_id)
    if article_id not in (row.results or []):
        raise InvalidInput(f"Article {article_id} was not among this search's results.", field="article_id")
    if row.clicked_article_id is None:
        row.clicked_article_id, row.clicked_at = article_id, now
        session.flush()


def record_outcome(
    session: Session, *, actor: Principal, search_id: int, data: OutcomeCreate, now: datetime
) -> OutcomeRead:
    """What followed a search. A self-service or indirect outcome also counts as a self-service event
    (the deflection rate's numerator); the first outcome of a search stands."""
    row = _search_of(session, actor=actor, search_id=search_id)
    if data.outcome == SearchOutcome.ticket:
        if data.ticket_id is None:
            raise InvalidInput("A ticket outcome names the ticket it created.", field="ticket_id")
        tickets.get_ticket(session, actor=actor, ticket_id=data.ticket_id)
    article_id = (
        data.article_id
        or row.clicked_article_id
        or (row.results[0] if row.results and data.outcome != SearchOutcome.ticket else None)
    )
    if data.article_id is not None and data.article_id not in (row.results or []):
        raise InvalidInput(
            f"Article {data.article_id} was not among this search's results.", field="article_id"
        )
    if data.outcome == SearchOutcome.indirect and row.clicked_article_id is None and data.article_id is None:
        raise InvalidInput(
            "An indirect deflection follows reading a suggestion: open one first (or name it).",
            field="article_id",
        )
    recorded = repository.record_outcome(session, row, outcome=data.outcome, at=now, ticket_id=data.ticket_id)
    if recorded and data.outcome in (SearchOutcome.self_service, SearchOutcome.indirect):
        if data.article_id is not None and row.clicked_article_id is None:
            row.clicked_article_id, row.clicked_at = data.article_id, now
        repository.self_service(
            session,
            SelfServiceEvent(
                customer_id=actor.user_id if not actor.is_staff else None,
                outcome="resolved" if data.outcome == SearchOutcome.self_service else "indirect",
                at=now,
                source="portal",
                article_id=article_id,
                search_id=row.id,
            ),
        )
    return OutcomeRead(
        search_id=row.id, outcome=SearchOutcome(row.outcome or data.outcome), recorded=recorded
    )


def ticket_after_search(
    session: Session, *, actor: Principal, search_id: int, ticket_id: int, now: datetime
) -> None:
    """The portal form was submitted after its suggestions: the search's outcome is a ticket. A search
    that is not the customer's, or already has an outcome, is left as it is."""
    row = repository.search(session, search_id)
    if row is None or row.user_id != actor.user_id:
        return
    repository.record_outcome(session, row, outcome=SearchOutcome.ticket, at=now, ticket_id=ticket_id)


def vote(session: Session, *, actor: Principal, article_id: int, helpful: bool, now: datetime) -> VoteRead:
    article = _get(session, article_id, actor=actor)
    if article.status != ArticleStatus.published:
        raise Forbidden("Only published articles take votes.")
    repository.vote(session, article_id=article.id, user_id=actor.user_id, helpful=helpful, at=now)
    session.refresh(article)
    return VoteRead(
        article_id=article.id,
        helpful=article.helpful,
        not_helpful=article.not_helpful,
        effectiveness=_effectiveness(article.helpful, article.not_helpful),
    )


# --- analytics ---------------------------------------------------------------------------------


def analytics(
    session: Session, *, actor: Principal, start: datetime, end: datetime, now: datetime, top: int = 10
) -> SearchAnalytics:
    """Search success (a click and no ticket, over searches), the most frequent failed searches (no
    result opened and no self-service), the articles that deflect most, vote effectiveness and
    content freshness."""
    actor.require_staff("read knowledge-base analytics")
    if end <= start:
        raise InvalidInput("'to' must be after 'from'.", field="to")
    rows = repository.searches_between(session, start, end)
    successful = with_ticket = no_match = 0
    failed: dict[str, int] = {}
    for row in rows:
        solved = row.outcome in (SearchOutcome.self_service, SearchOutcome.indirect)
        if row.outcome == SearchOutcome.ticket:
            with_ticket += 1
        if row.no_match:
            no_match += 1
        if (row.clicked_article_id is not None or solved) and row.outcome != SearchOutcome.ticket:
            successful += 1
        elif row.clicked_article_id is None and not solved:
            key = " ".join(row.query.lower().split())[:120]
            failed[key] = failed.get(key, 0) + 1
    deflections: dict[int, dict[str, int]] = {}
    for article_id, outcome, n in repository.self_service_between(session, start, end):
        deflections.setdefault(article_id, {"resolved": 0, "indirect": 0})[outcome] = int(n)
    ranked = sorted(deflections.items(), key=lambda kv: (-kv[1]["resolved"], -kv[1]["indirect"], kv[0]))[:top]
    titles = repository.titles(session, [a for a, _ in ranked])
    published, fresh = repository.freshness(session, now - timedelta(days=FRESH_DAYS))
    return SearchAnalytics(
        start=start,
        end=end,
        searches=len(rows),
        successful=successful,
        search_success_rate=round(successful / len(rows), 4) if rows else None,
        with_ticket=with_ticket,
        no_match=no_match,
        self_service=sum(d["resolved"] for d in deflections.values()),
        indirect=sum(d["indirect"] for d in deflections.values()),
        top_failed=[
            FailedSearch(query=q, searches=n)
            for q, n in sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        ],
        top_deflecting=[
            DeflectingArticle(
                article_id=a,
                title=titles.get(a, ("?",))[0],
                deflections=d["resolved"],
                indirect=d["indirect"],
            )
            for a, d in ranked
        ],
        effectiveness=[
            ArticleEffectiveness(
                article_id=r.id,
                title=r.title,
                helpful=r.helpful,
                not_helpful=r.not_helpful,
                effectiveness=_effectiveness(r.helpful, r.not_helpful),
            )
            for r in repository.effectiveness_rows(session, top)
        ],
        published=published,
        fresh=fresh,
        freshness_rate=round(fresh / published, 4) if published else None,
    )
