"""The store: migrations at start-up, and what survives them."""

from __future__ import annotations

import sqlite3

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from newsbot.chat.queries import Queries
from newsbot.store.database import MIGRATIONS, Store, async_url, describe_url
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat


def newest_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


async def test_migrations_run_once_and_keep_subscriptions(tmp_path):
    url = f"sqlite:///{tmp_path}/s.sqlite3"
    store = await Store.open(url)
    await Subscriptions(store).subscribe(Chat("telegram", "-1001"), ["news"])
    await store.close()

    store = await Store.open(url)  # a restart (or an upgrade) migrates to head again
    try:
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("select version_num from alembic_version"))).all()
        assert version == [(newest_revision(),)]
        sub = await Queries(store).settings(Chat("telegram", "-1001"))
        assert sub is not None and sub.tags == ("news",)
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert {"posts", "post_labels", "files", "subscriptions", "outbox", "meta"} <= tables


def test_urls_map_to_async_drivers_and_hide_passwords():
    assert async_url("sqlite:///x.sqlite3") == "sqlite+aiosqlite:///x.sqlite3"
    assert async_url("postgresql://u:pw@h/db") == "postgresql+asyncpg://u:pw@h/db"
    assert describe_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
