"""Knowledge-base errors, each naming what to fix."""

from __future__ import annotations

from supportops.kit.errors import Conflict, InvalidInput, NotFound


class ArticleNotFound(NotFound):
    def __init__(self, article_id: int) -> None:
        super().__init__(f"Article {article_id} does not exist, or you cannot see it.")


class CategoryNotFound(NotFound):
    def __init__(self, category_id: int) -> None:
        super().__init__(f"Category {category_id} does not exist.")


class UnknownCategory(InvalidInput):
    def __init__(self, name: str, known: list[str]) -> None:
        listed = ", ".join(f"'{k}'" for k in known[:20]) or "none yet; an admin or lead creates them"
        super().__init__(f"Unknown category '{name}'. Known categories: {listed}.", field="category")


class CategoryNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"A category named '{name}' exists already.", field="name")


class CategoryInUse(Conflict):
    def __init__(self, name: str, articles: int) -> None:
        super().__init__(f"Category '{name}' still holds {articles} article(s); move or archive them first.")


class SearchNotFound(NotFound):
    def __init__(self, search_id: int) -> None:
        super().__init__(f"Search {search_id} does not exist, or it is not yours.")


class StaleArticle(Conflict):
    def __init__(self, current: int, sent: int) -> None:
        super().__init__(
            f"The article changed since you loaded it (you edited version {sent}; it is now at "
            f"version {current}). Reload it and apply your change again.",
            current_version=current,
        )
