"""Columnar copies of database facts, kept per process and in a file, and brought up to date by
deltas: the machinery the metrics snapshot and the finding facts share.

A copy is a set of numpy arrays plus a small JSON header. It is written atomically (a reader sees
the old file or the new one) and mapped back read-only, only when its header names the format the
code expects: loading a copy of several hundred megabytes costs no copy of it.
A :class:`Kept` holds one copy per database URL in memory, loads it from its file on first use, asks
the owner to bring it up to date, and writes the file again when it was rebuilt or once enough
tickets changed since the last write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Float, Select, cast, extract
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

C = TypeVar("C")
FloatArray = npt.NDArray[np.float64]


MAGIC = b"supportops columns\n"
_ALIGN = 64


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


def save_arrays(path: Path, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Write ``arrays`` and the JSON header ``meta`` to ``path`` atomically: a reader sees the old
    file or the new one. The layout is a magic line, the header's length and the header (with each
    array's dtype, shape and offset), then the raw arrays, each aligned to 64 bytes, so that
    :func:`load_arrays` can map them instead of copying them."""
    layout: list[dict[str, Any]] = []
    offset = 0
    contiguous = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    for name, a in contiguous.items():
        offset = _aligned(offset)
        layout.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": offset})
        offset += a.nbytes
    header = json.dumps({"meta": meta, "arrays": layout}).encode()
    base = _aligned(len(MAGIC) + 8 + len(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + len(header).to_bytes(8, "little") + header)
            for entry in layout:
                handle.seek(base + entry["offset"])
                handle.write(contiguous[entry["name"]].tobytes())
            handle.truncate(base + offset)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_arrays(
    path: Path, names: Sequence[str], fmt: int
) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]] | None:
    """The header and the arrays ``names`` of a file written by :func:`save_arrays`, mapped read-only
    from the file (the page cache serves them; nothing is copied), or None when there is no such
    file, it is unreadable, or its header names another format than ``fmt``."""
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if mapped[: len(MAGIC)] != MAGIC:
            return None
        size = int.from_bytes(mapped[len(MAGIC) : len(MAGIC) + 8], "little")
        start = len(MAGIC) + 8
        header = json.loads(mapped[start : start + size])
        if header["meta"].get("format") != fmt:
            return None
        base = _aligned(start + size)
        layout = {entry["name"]: entry for entry in header["arrays"]}
        arrays: dict[str, npt.NDArray[Any]] = {}
        for name in names:
            entry = layout[name]
            dtype, shape = np.dtype(entry["dtype"]), tuple(entry["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            arrays[name] = (
                np.frombuffer(mapped, dtype=dtype, count=count, offset=base + entry["offset"]).reshape(shape)
                if count
                else np.empty(shape, dtype=dtype)
            )
        return header["meta"], arrays
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.info("kept copy %s not used: %s", path, exc)
        return None


@dataclass
class Kept(Generic[C]):
    """One process's copy per database, backed by a file named ``prefix-<digest of the URL>.cols`` in
    ``folder`` (None: memory only)."""

    folder: Path | None
    prefix: str
    load: Callable[[Path], C | None]
    save: Callable[[C, Path], None]
    save_after: int = 20_000
    """Write the file again once this many tickets changed since it was written."""
    _copies: dict[str, tuple[C, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def path(self, url: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{self.prefix}-{hashlib.sha256(url.encode()).hexdigest()[:16]}.cols"

    def kept(self, session: Session, update: Callable[[C | None], tuple[C, int]]) -> C:
        """The copy after ``update(held copy or None)``, which returns the new copy and how many
        tickets it read again (-1: it was built from scratch)."""
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
        path = self.path(url)
        with self._lock:
            held = self._copies.get(url)
            if held is None and path is not None:
                saved = self.load(path)
                held = (saved, 0) if saved is not None else None
            copy, changed = update(held[0] if held is not None else None)
            unsaved = -1 if changed < 0 or held is None else held[1] + changed
            if path is not None and (unsaved < 0 or unsaved >= self.save_after):
                self.save(copy, path)
                unsaved = 0
            self._copies[url] = (copy, max(unsaved, 0))
            return copy

    def forget(self) -> None:
        with self._lock:
            self._copies.clear()


S = TypeVar("S", bound="Kept[Any]")


class Registry(Generic[S]):
    """One store per cache folder in this process: ``registry(folder)`` makes it on first use."""

    def __init__(self, make: Callable[[Path | None], S]) -> None:
        self._make = make
        self._stores: dict[Path | None, S] = {}

    def __call__(self, folder: Path | None) -> S:
        if folder not in self._stores:
            self._stores[folder] = self._make(folder)
        return self._stores[folder]

    def forget_all(self) -> None:
        """Drop every process-held copy (the files stay): the next use reads the database again."""
        for store in self._stores.values():
            store.forget()


# -- reading columns ------------------------------------------------------------------------------

SETTLE_SECONDS = 60.0
"""Longer than any writing transaction lasts, plus the clock skew between processes."""


def raw_time(column: Any, dialect: str) -> Any:
    """A timestamp column as :func:`epochs` wants it: SQLite keeps timestamps as ISO text, which
    numpy parses fastest; PostgreSQL converts to epoch seconds itself."""
    return column if dialect == "sqlite" else cast(extract("epoch", column), Float)


def epochs(values: Sequence[Any], dialect: str) -> FloatArray:
    """Values read from a :func:`raw_time` column as epoch seconds, exact to the microsecond; NaN
    for NULL."""
    if dialect == "sqlite":
        parsed = np.array(["NaT" if v is None else v for v in values], dtype="datetime64[us]")
        out = parsed.astype(np.int64).astype(np.float64) / 1e6
        out[np.isnat(parsed)] = np.nan
        return out
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def read_columns(session: Session, stmt: Select[Any]) -> list[Sequence[Any]]:
    """The result as columns of raw driver values, read in chunks (no per-row objects)."""
    result = session.connection().execute(stmt)
    cursor = result.cursor
    parts: list[list[Sequence[Any]]] = [[] for _ in stmt.selected_columns]
    while cursor is not None:
        rows = cursor.fetchmany(200_000)
        if not rows:
            break
        for i, column in enumerate(zip(*rows, strict=True)):
            parts[i].append(column)
    result.close()
    return [[v for chunk in part for v in chunk] for part in parts]


def changed_after(column: Any, mark: float, read_at: float) -> ColumnElement[bool] | None:
    """Rows a copy must read again: those stamped past its mark, and those a transaction still open
    at its last read could have written since. Such a transaction began after ``read_at -
    SETTLE_SECONDS`` (it lasts less than that), so it stamped its rows no earlier; everything older
    was already read. None when the copy has no mark yet."""
    if not np.isfinite(mark):
        return None
    settled = read_at - SETTLE_SECONDS
    if settled >= mark:
        return column > datetime.fromtimestamp(mark, UTC)  # type: ignore[no-any-return]
    return column >= datetime.fromtimestamp(settled, UTC)  # type: ignore[no-any-return]
