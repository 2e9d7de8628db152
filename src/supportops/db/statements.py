"""Plain table writes sent straight to the driver, inside the session's transaction.

Opening a ticket writes a handful of rows, and SQLAlchemy's work around each execution (the
statement cache lookup, an execution context, building the parameters through two layers of type
processing, a result object) costs more CPU than the database spends storing them. A
:class:`Write` compiles its statement once per dialect and set of keys, keeps each parameter's
bind processor, and hands the converted values to the DBAPI cursor of the connection. The SQL and
the processors are the ones ``Connection.execute`` uses, so the rows stored are the same; errors
are raised as SQLAlchemy raises them.

On PostgreSQL, a dozen rows or more of a plain INSERT (no ``ON CONFLICT``, no ``RETURNING``) go as
one ``COPY … FROM STDIN``: executed row by row, each costs the server the start of a statement and
the driver a pipelined round of messages, and the SLA clocks and events of a batch of new tickets
are dozens of rows.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Delete, Insert, Table, Update, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from supportops.db.session import READ_ONLY_OPTION, WriteInReadSession

Row = Mapping[str, Any]
_Processor = Callable[[Any], Any]

COPY_FROM_ROWS = 12
"""Fewer rows go as ``executemany``: a COPY takes two round trips to the server where pipelined rows
take one, and below about a dozen rows that costs more than the rows save (``bench/copy_rows.py``)."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """One compiled form of a statement: its SQL and how a row becomes the driver's parameters."""

    sql: str
    convert: Callable[[Row], Any]
    returning: bool
    """The new primary key comes back as a returned row; otherwise as the cursor's ``lastrowid``."""
    values: Callable[[Row], list[Any]]
    """A row's processed values in the statement's parameter order, which is the COPY's column order."""
    copy: str | None
    """On PostgreSQL, a plain INSERT of ``COPY_FROM_ROWS`` rows or more is sent as this COPY."""


class Write:
    """An INSERT, UPDATE or DELETE without RETURNING, run on the driver's cursor of a connection in
    a transaction (begun here if need be, as ``Connection.execute`` would). Rows are dicts keyed by
    column (or bind parameter) name; columns left out get their scalar Python-side default."""

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._plans: weakref.WeakKeyDictionary[Dialect, dict[tuple[tuple[str, ...], bool], _Plan]] = (
            weakref.WeakKeyDictionary()
        )

    def run(self, conn: Connection, rows: Sequence[Row]) -> None:
        """One row with ``execute``, several with ``executemany`` as SQLAlchemy does, or on PostgreSQL
        ``COPY_FROM_ROWS`` rows or more of a plain INSERT as one COPY."""
        if not rows:
            return
        plan = self._plan(conn.dialect, tuple(rows[0]), single=False)
        if len(rows) == 1:
            self._send(conn, plan, rows[0], many=False)
        else:
            self._send(conn, plan, rows, many=True)

    def insert_one(self, conn: Connection, row: Row) -> int:
        """Insert one row and return its new primary key (``RETURNING`` or ``lastrowid``, as
        SQLAlchemy chooses for the dialect)."""
        plan = self._plan(conn.dialect, tuple(row), single=True)
        key = self._send(conn, plan, row, many=False, want_key=True)
        assert key is not None
        return key

    def _plan(self, dialect: Dialect, keys: tuple[str, ...], *, single: bool) -> _Plan:
        plans = self._plans.get(dialect)
        if plans is None:
            plans = self._plans.setdefault(dialect, {})
        plan = plans.get((keys, single))
        if plan is None:
            plan = plans[(keys, single)] = _compile(self.statement, dialect, keys, single=single)
        return plan

    @staticmethod
    def _send(conn: Connection, plan: _Plan, rows: Any, *, many: bool, want_key: bool = False) -> int | None:
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            raise WriteInReadSession(f"a reading unit of work cannot write: {plan.sql[:60]}...")
        if not conn.in_transaction():
            conn.begin()
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        params: Any = rows
        cursor = None
        try:
            if many and plan.copy is not None and len(rows) >= COPY_FROM_ROWS:
                cursor = dbapi.cursor()
                with cursor.copy(plan.copy) as copy:
                    for r in rows:
                        copy.write_row(plan.values(r))
            elif many:
                params = [plan.convert(r) for r in rows]
                cursor = dbapi.cursor()
                cursor.executemany(plan.sql, params)
            else:
                params = plan.convert(rows)
                cursor = dbapi.cursor()
                cursor.execute(plan.sql, params)
            key = None
            if want_key:
                found = cursor.fetchone() if plan.returning else (cursor.lastrowid,)
                assert found is not None
                key = int(found[0])
            cursor.close()
            return key
        except BaseException as exc:
            # SQLAlchemy's own (private) handler: the same exception classes, and a lost connection
            # invalidated, as when Connection.execute fails.
            conn._handle_dbapi_exception(exc, plan.sql, params, cursor, None)


def _compile(
    statement: Insert | Update | Delete, dialect: Dialect, keys: tuple[str, ...], *, single: bool
) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=not single)
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise NotImplementedError("statements with expanding or literal-execute parameters")
    returning = bool(compiled.effective_returning)
    if single and not returning and not compiled.postfetch_lastrowid:
        raise NotImplementedError(f"{dialect.name} gives no way to read the new primary key")
    if compiled.returning and not single:
        raise NotImplementedError("statements with RETURNING")
    if compiled.positional:
        assert compiled.positiontup is not None
        names = tuple(compiled.positiontup)
    else:
        names = tuple(dict.fromkeys(compiled.bind_names.values()))
    constants = _defaults(compiled, keys, names)
    processors = [_processor(compiled, name, dialect) for name in names]
    values = _converter(names, constants, processors)
    copy = None if single else _copy(statement, compiled, dialect, names)
    convert: Callable[[Row], Any] = values
    if not compiled.positional:
        escaped = compiled.escaped_bind_names
        out_names = tuple(escaped.get(n, n) for n in names)

        def convert(row: Row) -> Any:
            return dict(zip(out_names, values(row), strict=True))

    return _Plan(compiled.string, convert, returning, values, copy)


def _copy(
    statement: Insert | Update | Delete, compiled: SQLCompiler, dialect: Dialect, names: tuple[str, ...]
) -> str | None:
    """``COPY table (columns) FROM STDIN`` for a plain INSERT on PostgreSQL, where storing a row
    costs the server far less than executing a statement for it; else None (an ``ON CONFLICT`` or
    ``RETURNING`` clause, or a value that is an SQL expression, needs the INSERT)."""
    if dialect.name != "postgresql" or not isinstance(statement, Insert):
        return None
    table = statement.table
    if not isinstance(table, Table) or any(name not in table.c for name in names):
        return None
    plain = insert(table).compile(dialect=dialect, column_keys=list(names), for_executemany=True)
    if plain.string != compiled.string:
        return None
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.format_column(table.c[name]) for name in names)
    return f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"


def _defaults(compiled: SQLCompiler, keys: tuple[str, ...], names: tuple[str, ...]) -> dict[str, Any]:
    """Values of the parameters the rows do not carry: scalar Python-side column defaults only, as
    anything else would need SQLAlchemy's execution context."""
    prefetch = {c.key: c for c in [*compiled.insert_prefetch, *compiled.update_prefetch]}
    constants: dict[str, Any] = {}
    for name in names:
        if name in keys:
            continue
        default = prefetch[name].default if name in prefetch else None
        if default is None or not default.is_scalar:
            raise NotImplementedError(f"parameter {name!r} needs a value or a scalar column default")
        constants[name] = default.arg  # type: ignore[attr-defined]
    return constants


def _processor(compiled: SQLCompiler, name: str, dialect: Dialect) -> _Processor | None:
    processor: _Processor | None = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _converter(
    names: tuple[str, ...], constants: dict[str, Any], processors: list[_Processor | None]
) -> Callable[[Row], list[Any]]:
    """A function from a row dict to the processed values, in the statement's parameter order.
    Constants are processed once; rows are read with one ``itemgetter`` call."""
    template: list[Any] = [None] * len(names)
    slots: list[int] = []
    process: list[tuple[int, _Processor]] = []
    for i, (name, processor) in enumerate(zip(names, processors, strict=True)):
        if name in constants:
            value = constants[name]
            template[i] = processor(value) if processor is not None else value
            continue
        slots.append(i)
        if processor is not None:
            process.append((i, processor))
    get = _getter([names[i] for i in slots])

    if not constants:

        def convert(row: Row) -> list[Any]:
            values = list(get(row))
            for i, p in process:
                values[i] = p(values[i])
            return values

        return convert

    def convert_with_constants(row: Row) -> list[Any]:
        values = template.copy()
        for i, v in zip(slots, get(row), strict=True):
            values[i] = v
        for i, p in process:
            values[i] = p(values[i])
        return values

    return convert_with_constants


def _getter(fields: list[str]) -> Callable[[Row], Sequence[Any]]:
    """``itemgetter`` that always returns a tuple, also for one or no field."""
    if len(fields) > 1:
        return itemgetter(*fields)
    if not fields:
        return lambda row: ()
    one = itemgetter(fields[0])
    return lambda row: (one(row),)
