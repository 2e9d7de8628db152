from enum import StrEnum


class Visibility(StrEnum):
    """Who may read an article: everyone (customers and anonymous portal visitors) or staff only."""

    public = "public"
    internal = "internal"


class ArticleStatus(StrEnum):
    """An article is written as a draft, published to be found, and archived when it no longer
    applies. Archived articles are kept with their versions and links; they are never searched."""

    draft = "draft"
    published = "published"
    archived = "archived"


class SearchSource(StrEnum):
    """Where a search came from: the knowledge-base search box or the ticket form's suggestions."""

    search = "search"
    suggest = "suggest"


class SearchOutcome(StrEnum):
    """What followed a search. ``None`` (no outcome yet) counts as neither success nor ticket."""

    self_service = "self_service"
    """The customer said an article solved the problem."""
    indirect = "indirect"
    """The customer left a started ticket right after reading a suggestion."""
    ticket = "ticket"
    """A ticket was created after the search."""


class LinkKind(StrEnum):
    """How an article came to be linked to a ticket."""

    linked = "linked"
    replied = "replied"
    """An agent answered with the article."""
    created = "created"
    """The article was drafted from this ticket's resolution."""
