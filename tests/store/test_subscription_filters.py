"""Revision 0004: subscriptions gain excluded tags and filters; existing ones keep what
they had (no exclusion, no filter) and go on receiving the same stories."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from newsbot.chat.queries import Queries
from newsbot.store.database import MIGRATIONS, Store
from newsbot.types import Chat, Filters


def _at_revision_0003(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
            conn.execute(text(
                "INSERT INTO subscriptions (platform, chat_id, title, tags, dead, dead_reason,"
                " created_at, updated_at) VALUES ('telegram', '-1001', 'News', '[\"uk\"]', 0,"
                " '', '2026-01-01', '2026-01-01')"
            ))
    finally:
        engine.dispose()


async def test_existing_subscriptions_keep_their_tags_and_get_no_filter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _at_revision_0003(url)
    store = await Store.open(url)  # migrates to the newest revision
    try:
        sub = await Queries(store).settings(Chat("telegram", "-1001"))
    finally:
        await store.close()
    assert sub is not None
    assert (sub.tags, sub.exclude, sub.filters, sub.chat.title) == (("uk",), (), Filters(), "News")
