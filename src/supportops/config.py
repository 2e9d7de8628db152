"""Settings read from the environment (prefix ``SUPPORTOPS_``) with defaults for a laptop install."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PriorityScheme = Literal["p1-p5", "p0-p3"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPORTOPS_", extra="ignore")

    database_url: str = "sqlite:///./var/supportops.db"
    host: str = "127.0.0.1"
    port: int = 8000
    run_worker_in_serve: bool = True
    worker_poll_seconds: float = 1.0
    http_hang_seconds: float = Field(default=60.0, ge=0, le=3600)
    """With ``serve --workers`` of 2 or more: an HTTP process whose event loop has not run for this
    long is killed and replaced (0: never)."""
    priority_scheme: PriorityScheme = "p1-p5"
    auto_close_days: int = Field(default=4, ge=1, le=28)
    session_days: int = Field(default=14, ge=1, le=90)
    secure_cookies: bool = False
    token_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    triage_threshold: float = Field(default=0.7, gt=0, lt=1)
    """Below this confidence a predicted category is not applied and the ticket waits for triage."""
    metrics_cache_dir: Path | None = Path("./var/cache")
    """Where the columnar copy of the report facts is kept between runs (none: memory only)."""
    handoffs_before_approval: int = Field(default=2, ge=0, le=20)
    """Handoffs between groups an agent may make; the next one needs a lead or admin (0: no limit)."""
    secret_key: SecretStr = SecretStr("")
    """Signs links that need no login (survey links). Empty: a key generated once into var/secret_key;
    set it when processes run on several machines."""
    survey_link_days: int = Field(default=14, ge=1, le=365)
    """Survey links (CSAT and NPS) stop working this many days after the survey was sent."""
    nps_interval_days: int = Field(default=90, ge=1, le=730)
    """A customer with a ticket in the last N days gets an NPS survey, at most once every N days."""
    semantic_search: bool = True
    """Blend word-embedding similarity into knowledge-base suggestions when the optional ``semantic``
    extra is installed (its model ships inside the package; nothing is downloaded)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
