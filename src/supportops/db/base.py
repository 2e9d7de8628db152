"""Declarative base with a naming convention, and column types that behave the same on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, TypeDecorator, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC, always returned aware in UTC; a naive value on the way in is refused."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, one function instead of two chained ones (half the time): a ticket creation
        converts about thirty of these. It stores the text SQLite's DATETIME stores, and refuses
        what it refused; PostgreSQL keeps the chain."""
        if _plain_sqlite_datetime(self.impl_instance):
            return _sqlite_text
        return super().bind_processor(dialect)


_SQLITE_DATETIME_FORMAT = sqlite.DATETIME._storage_format


def _plain_sqlite_datetime(impl: Any) -> bool:
    """SQLite's DATETIME with its default text format: the one the fast path reproduces."""
    return (
        type(impl) is sqlite.DATETIME
        and impl._storage_format == _SQLITE_DATETIME_FORMAT
        and impl._reg is None
    )


# Recent instants and their text. A ticket creation binds its ``now`` a dozen times and each clock's
# due time twice or more; a lookup is a fraction of a conversion. Equal instants have equal text in
# any time zone; a naive value equals no aware key, so it still reaches the check below.
_TEXTS: dict[datetime, str] = {}
_TEXTS_KEPT = 256


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    stored = _TEXTS.get(value)
    if stored is not None:
        return stored
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    # The UTC instant's isoformat ends in "+00:00"; its first 26 characters are the stored text.
    stored = datetime.isoformat(value.astimezone(UTC), " ", "microseconds")[:26]
    if len(_TEXTS) >= _TEXTS_KEPT:
        _TEXTS.clear()
    _TEXTS[value] = stored
    return stored


class JSONType(TypeDecorator[Any]):
    """JSONB on PostgreSQL, JSON text elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


# BIGINT on PostgreSQL; INTEGER on SQLite so that it is the rowid alias and autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def where_set(column: str) -> dict[str, Any]:
    """Keyword arguments of ``Index`` for a partial index of the rows where ``column`` is set. For a
    column that is empty when its row is written (a ticket's resolution time, a clock's breach), an
    insert then costs the index nothing, and a query comparing the column still uses it: a
    comparison implies ``IS NOT NULL`` on both databases."""
    clause = text(f"{column} IS NOT NULL")
    return {"sqlite_where": clause, "postgresql_where": clause}
