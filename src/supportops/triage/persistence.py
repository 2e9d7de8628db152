"""The model file: a zip of one JSON header and ``.npy`` arrays, read back without pickle.

Nothing in the file is executable, so loading a model cannot run code, and the file does not depend on
the version of the library that trained it. The header names the format version; a reader refuses any
other version rather than guessing what its fields mean. A model with sentence-embedding features
names its embedding model in the optional ``embedding`` header field; a reader from before that field
refuses such a file as damaged (its weights have more columns than its vocabulary), never misreads it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from supportops.triage.errors import ModelFormatError

KIND = "supportops-triage-model"
FORMAT_VERSION = 1
_HEADER = "header.json"
_ARRAY_SUFFIX = ".npy"


def pack(header: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_HEADER, orjson.dumps({**header, "kind": KIND, "format_version": FORMAT_VERSION}))
        for name, array in arrays.items():
            with archive.open(name + _ARRAY_SUFFIX, "w") as entry:
                np.save(entry, array, allow_pickle=False)
    return buffer.getvalue()


def unpack(data: bytes) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The header and the arrays of a model file of this format version."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            header = orjson.loads(archive.read(_HEADER))
            _check_header(header)
            arrays = {
                name.removesuffix(_ARRAY_SUFFIX): np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
                if name.endswith(_ARRAY_SUFFIX)
            }
    except (zipfile.BadZipFile, KeyError, orjson.JSONDecodeError, ValueError, EOFError) as exc:
        raise ModelFormatError(f"not a triage model file, or a damaged one ({exc})") from None
    return header, arrays


def _check_header(header: Any) -> None:
    if not isinstance(header, dict) or header.get("kind") != KIND:
        raise ModelFormatError("not a triage model file")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"the model file has format version {version}, this version reads only version"
            f" {FORMAT_VERSION}; train the model again"
        )
