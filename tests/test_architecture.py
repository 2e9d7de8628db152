"""The dependency direction of ../STYLE: lower domains never import higher ones."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

from supportops.db.migrate import check
from supportops.db.session import Database

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
    finally:
        os.chdir(cwd)


def test_migrations_match_the_models(db: Database) -> None:
    check(db.engine.url.render_as_string(hide_password=False))
