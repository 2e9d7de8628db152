"""Signed one-time survey links that need no login: ``{survey id}.{expiry}.{signature}``.

The signature is HMAC-SHA256, keyed from the app's secret, over the survey kind, the survey id and
the expiry, so changing any character, or using a CSAT link as an NPS link, breaks it. The token is
a pure function of those three, so the same survey always has the same link and nothing needs to be
stored; "one-time" is enforced by the survey row (an answered survey refuses a second answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from supportops.config import Settings
from supportops.surveys.enums import SurveyKind
from supportops.surveys.errors import SurveyLinkExpired, SurveyLinkInvalid

KEY_FILE = Path("var/secret_key")
"""Where the generated secret lives when ``SUPPORTOPS_SECRET_KEY`` is not set (beside the default
SQLite database), shared by every process on the machine."""

_PURPOSE = b"supportops/survey-links/v1"
_TOKEN = re.compile(r"^([1-9]\d{0,18})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class SignedSurvey:
    """What a verified link names."""

    kind: SurveyKind
    survey_id: int
    expires_at: datetime


def signing_key(settings: Settings) -> bytes:
    """The key for survey links, derived from the app's secret so that the secret itself can serve
    other purposes without one signature ever standing for another."""
    configured = settings.secret_key.get_secret_value()
    master = configured.encode() if configured else _key_file(KEY_FILE)
    return hmac.new(master, _PURPOSE, hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _key_file(path: Path) -> bytes:
    """Read the generated secret, creating it on first use. The new file is linked into place, so
    two processes starting at once end up with the same key."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret; delete it or set SUPPORTOPS_SECRET_KEY.")
    return key.encode()


def expiry(sent_at: datetime, settings: Settings) -> datetime:
    """A link works until this instant (whole seconds, as the token carries it)."""
    return (sent_at + timedelta(days=settings.survey_link_days)).replace(microsecond=0)


def _signature(key: bytes, kind: SurveyKind, survey_id: int, expires: int) -> str:
    message = f"{kind.value}:{survey_id}:{expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(kind: SurveyKind, survey_id: int, expires_at: datetime, key: bytes) -> str:
    expires = int(expires_at.timestamp())
    return f"{survey_id}.{expires}.{_signature(key, kind, survey_id, expires)}"


def verify(token: str, kind: SurveyKind, key: bytes, *, now: datetime) -> SignedSurvey:
    """The survey a link names; :class:`SurveyLinkInvalid` for a changed or foreign link,
    :class:`SurveyLinkExpired` once its time is up."""
    match = _TOKEN.match(token)
    if match is None:
        raise SurveyLinkInvalid()
    survey_id, expires = int(match.group(1)), int(match.group(2))
    if survey_id > _MAX_ID:
        raise SurveyLinkInvalid()
    if not hmac.compare_digest(match.group(3), _signature(key, kind, survey_id, expires)):
        raise SurveyLinkInvalid()
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise SurveyLinkExpired(expires_at)
    return SignedSurvey(kind=kind, survey_id=survey_id, expires_at=expires_at)


def path(kind: SurveyKind, token: str) -> str:
    """The page that asks the survey."""
    return f"/survey/{kind.value}/{token}"
