"""Errors that carry their HTTP status and a message a person can act on.

    SupportOpsError (500)
    ├── InvalidInput (422)        names the failing field
    ├── Unauthenticated (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    │   └── IllegalTransition (409) names the allowed transitions
    └── PreconditionFailed (412)  stale If-Match

The API renders every one of them as RFC 9457 problem details.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SupportOpsError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    slug: ClassVar[str] = "internal"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (a unit of work's error travels back from the writer process), whatever
        arguments a subclass's constructor takes."""
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type[SupportOpsError], args: tuple[Any, ...], state: dict[str, Any]) -> SupportOpsError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidInput(SupportOpsError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        errors = [{"field": field, "message": detail}] if field else []
        super().__init__(detail, errors=errors, **extra)
        self.field = field


class Unauthenticated(SupportOpsError):
    status = 401
    title = "Authentication required"
    slug = "unauthenticated"


class Forbidden(SupportOpsError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(SupportOpsError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(SupportOpsError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class IllegalTransition(Conflict):
    title = "Illegal status transition"
    slug = "illegal-transition"


class PreconditionFailed(SupportOpsError):
    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"
