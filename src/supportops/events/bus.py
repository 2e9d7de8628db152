"""Synchronous publish/subscribe inside the publisher's transaction.

Handlers run in the same session, so their writes commit or roll back with the change that caused
them. Work that must leave the process (email, webhooks, timers) is enqueued as a durable job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every domain event; subclasses are frozen dataclasses named in the past tense."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]

_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(
    event_type: type[E],
) -> Callable[[Callable[[Session, E], None]], Callable[[Session, E], None]]:
    def register(handler: Callable[[Session, E], None]) -> Callable[[Session, E], None]:
        if handler not in _handlers[event_type]:
            _handlers[event_type].append(handler)
        return handler

    return register


def publish(session: Session, event: DomainEvent) -> None:
    for event_type in type(event).__mro__:
        for handler in _handlers.get(event_type, ()):
            handler(session, event)
