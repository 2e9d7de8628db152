"""Articles, categories, searches and suggestions on the way in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from supportops.kit.text import DbId, LongText, PlainText, ShortText, Tag
from supportops.knowledge.enums import ArticleStatus, SearchOutcome, Visibility

_NO_EXTRA = ConfigDict(extra="forbid")
Body = Annotated[LongText, StringConstraints(strip_whitespace=True, min_length=1)]
Section = Annotated[PlainText, StringConstraints(strip_whitespace=True, max_length=120)]
Note = Annotated[PlainText, StringConstraints(strip_whitespace=True, max_length=255)]
SynonymGroup = Annotated[
    list[Annotated[ShortText, StringConstraints(max_length=60)]], Field(min_length=2, max_length=20)
]
"""Words and phrases that mean the same to searchers: a query word expands to the whole group."""
QueryText = Annotated[str, StringConstraints(max_length=100_000)]
"""Control characters (NUL included) are dropped from queries, not refused."""


class ArticleCreate(BaseModel):
    """A new article. ``category`` is the name of an existing category."""

    model_config = _NO_EXTRA
    title: ShortText
    body: Body = Field(description="Markdown. Raw HTML is cleaned: scripts and event handlers are removed.")
    category: ShortText | None = None
    section: Section = ""
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    visibility: Visibility = Visibility.public
    status: Annotated[ArticleStatus, Field(description="draft or published")] = ArticleStatus.draft
    owner_id: DbId | None = Field(
        default=None, description="Staff member who keeps it fresh; the author by default."
    )
    source_ticket_id: DbId | None = None


class ArticleUpdate(BaseModel):
    """Change some fields. A content change (title or body) makes a new version and counts as a
    review. ``reviewed: true`` records a review without a change."""

    model_config = _NO_EXTRA
    title: ShortText | None = None
    body: Body | None = None
    category: ShortText | None = None
    section: Section | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    visibility: Visibility | None = None
    status: ArticleStatus | None = None
    owner_id: DbId | None = None
    reviewed: bool = False
    note: Note = ""


class ArticleSummary(BaseModel):
    id: int
    title: str
    category: str | None
    section: str
    tags: list[str]
    visibility: Visibility
    status: ArticleStatus
    version: int
    owner_id: int | None
    updated_at: datetime
    reviewed_at: datetime
    review_due: datetime
    fresh: bool
    helpful: int
    not_helpful: int
    effectiveness: float | None = Field(description="Helpful votes / votes; None before any vote.")
    views: int
    url: str


class ArticleRead(ArticleSummary):
    body: str
    body_html: str
    author_id: int | None
    created_at: datetime
    published_at: datetime | None
    source_ticket_id: int | None
    linked_tickets: list[int] = Field(default_factory=list, description="Staff only.")


class ArticleVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    title: str
    body: str
    status: ArticleStatus
    author_id: int | None
    created_at: datetime
    note: str


class CategoryCreate(BaseModel):
    model_config = _NO_EXTRA
    name: Annotated[ShortText, StringConstraints(max_length=120)]
    description: Annotated[PlainText, StringConstraints(max_length=2000)] = ""
    position: int = Field(default=0, ge=0, le=10_000)


class CategoryUpdate(BaseModel):
    model_config = _NO_EXTRA
    name: Annotated[ShortText, StringConstraints(max_length=120)] | None = None
    description: Annotated[PlainText, StringConstraints(max_length=2000)] | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    position: int
    articles: int = 0


class SuggestRequest(BaseModel):
    """What the customer has typed so far on the ticket form."""

    model_config = _NO_EXTRA
    subject: QueryText = ""
    description: QueryText = ""


class Suggestion(BaseModel):
    article_id: int
    title: str
    score: float
    snippet: str = Field(description="HTML: the closest passage, escaped, query words in <mark>.")
    url: str


class SuggestResponse(BaseModel):
    suggestions: list[Suggestion]
    no_match: bool = Field(
        description=(
            "True when the confidence (the best score less 0.15 times the runner-up article's) is"
            " below the calibrated threshold."
        )
    )
    search_id: int | None = Field(description="Send it back with a click, a vote or the outcome.")
    threshold: float


class SearchHit(BaseModel):
    article_id: int
    title: str
    score: float
    snippet: str = Field(description="HTML: escaped text with the matched words in <mark>.")
    category: str | None
    visibility: Visibility
    url: str


class SearchResponse(BaseModel):
    query: str
    corrected: str | None = Field(description="The query as searched after typo correction, when it changed.")
    results: list[SearchHit]
    search_id: int | None


class Click(BaseModel):
    model_config = _NO_EXTRA
    article_id: DbId


class OutcomeCreate(BaseModel):
    """What followed a search: the customer solved it (``self_service``), left the ticket form right
    after reading a suggestion (``indirect``), or created a ticket (``ticket``, with its id)."""

    model_config = _NO_EXTRA
    outcome: SearchOutcome
    article_id: DbId | None = None
    ticket_id: DbId | None = None


class OutcomeRead(BaseModel):
    search_id: int
    outcome: SearchOutcome
    recorded: bool = Field(description="False when the search already had an outcome; the first one stands.")


class VoteCreate(BaseModel):
    model_config = _NO_EXTRA
    helpful: bool


class VoteRead(BaseModel):
    article_id: int
    helpful: int
    not_helpful: int
    effectiveness: float | None


class LinkCreate(BaseModel):
    model_config = _NO_EXTRA
    ticket_id: DbId


class LinkRead(BaseModel):
    article_id: int
    ticket_id: int
    kind: str
    linked_by: int | None
    at: datetime


class ReplyWithArticle(BaseModel):
    model_config = _NO_EXTRA
    ticket_id: DbId
    text: Annotated[PlainText, StringConstraints(max_length=10_000)] = Field(
        default="", description="Your words before the article."
    )


class FromTicket(BaseModel):
    model_config = _NO_EXTRA
    ticket_id: DbId


class KbSettingsRead(BaseModel):
    no_match_threshold: float
    threshold_source: str = Field(description="'setting' (stored by a lead) or 'calibrated default'.")
    semantic: str | None = Field(description="The embedding model blended into suggestions, if any.")
    synonyms: list[list[str]]


class KbSettingsUpdate(BaseModel):
    model_config = _NO_EXTRA
    no_match_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    synonyms: list[SynonymGroup] | None = Field(default=None, max_length=500)


class FailedSearch(BaseModel):
    query: str
    searches: int


class DeflectingArticle(BaseModel):
    article_id: int
    title: str
    deflections: int
    indirect: int


class ArticleEffectiveness(BaseModel):
    article_id: int
    title: str
    helpful: int
    not_helpful: int
    effectiveness: float | None


class SearchAnalytics(BaseModel):
    """Searches in ``[from, to)``: success is a click and no ticket; failure is no result clicked."""

    start: datetime
    end: datetime
    searches: int
    successful: int
    search_success_rate: float | None
    with_ticket: int
    no_match: int
    self_service: int
    indirect: int
    top_failed: list[FailedSearch]
    top_deflecting: list[DeflectingArticle]
    effectiveness: list[ArticleEffectiveness]
    published: int
    fresh: int
    freshness_rate: float | None


class GapTicket(BaseModel):
    ticket_id: int
    subject: str


class Gap(BaseModel):
    size: int
    suggested_title: str
    terms: list[str]
    examples: list[GapTicket]


class GapReport(BaseModel):
    since: datetime
    resolved_without_article: int
    clusters: list[Gap]
