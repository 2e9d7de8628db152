"""Knowledge-base rows: categories, articles with their versions, links to tickets, votes, the search
log, and self-service outcomes (the L0 side of the deflection rate)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, JSONType, UTCDateTime


class KbCategory(Base):
    """A top-level shelf of the knowledge base; articles name one, and sections live inside it."""

    __tablename__ = "kb_categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KbSetting(Base):
    """Knowledge-base settings by key: ``suggest`` (the no-match threshold) and ``synonyms``."""

    __tablename__ = "kb_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Article(Base):
    """The current version of an article. ``body`` is Markdown as written; ``body_html`` is the
    sanitized rendering served to readers and ``body_text`` the plain text that search indexes."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        Index("ix_kb_articles_status_visibility", "status", "visibility"),
        Index("ix_kb_articles_updated_at", "updated_at"),
        Index("ix_kb_articles_owner_id_reviewed_at", "owner_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id"))
    section: Mapped[str] = mapped_column(String(120), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    visibility: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """The last review (creation and every content change count as one); fresh for 90 days after."""
    source_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    """The ticket this article was drafted from, if any."""
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)


class ArticleVersion(Base):
    """Every saved version of an article's content, kept for history and restore."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "version", name="uq_kb_article_versions_article_version"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(255), default="")


class ArticleLink(Base):
    """An article linked to a ticket: by an agent, by a reply that carried it, or as its source."""

    __tablename__ = "kb_article_links"
    __table_args__ = (
        UniqueConstraint("article_id", "ticket_id", name="uq_kb_article_links_article_ticket"),
        Index("ix_kb_article_links_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(10))
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class KbSearch(Base):
    """One search or suggestion request, what it returned, what was clicked and what followed."""

    __tablename__ = "kb_searches"
    __table_args__ = (Index("ix_kb_searches_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None for an anonymous portal visitor."""
    audience: Mapped[str] = mapped_column(String(10))
    """``public`` (customers and visitors) or ``staff``."""
    source: Mapped[str] = mapped_column(String(10))
    query: Mapped[str] = mapped_column(String(500))
    results: Mapped[list[int]] = mapped_column(JSONType, default=list)
    top_score: Mapped[float | None] = mapped_column(Float)
    no_match: Mapped[bool] = mapped_column(Boolean, default=False)
    clicked_article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(12))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class ArticleVote(Base):
    """A reader's "was this helpful?" answer; one per signed-in reader and article (a new answer
    replaces the old), any number from anonymous visitors."""

    __tablename__ = "kb_votes"
    __table_args__ = (Index("ix_kb_votes_article_id", "article_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SelfServiceEvent(Base):
    """A customer solved their problem without a ticket: ``resolved`` when they said so, ``indirect``
    when they left a started ticket right after reading a suggestion."""

    __tablename__ = "self_service_events"
    __table_args__ = (Index("ix_self_service_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None for an anonymous portal visitor."""
    outcome: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10), default="portal")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id"))
    search_id: Mapped[int | None] = mapped_column(ForeignKey("kb_searches.id"))
