"""A store at an older revision, with rows written the way that revision's code wrote
them: what upgrade tests start from."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine

from newsbot.store.database import MIGRATIONS


def store_at(url: str, revision: str, fill: Callable[[Connection], None]) -> None:
    """Create the SQLite store at `url` at `revision`, then let `fill` write old rows."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            fill(conn)
    finally:
        engine.dispose()
