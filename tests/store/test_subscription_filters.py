"""Revisions 0004 to 0006: subscriptions gain excluded tags, filters and a style;
existing ones keep what they had (no exclusion, no filter, a full card with a
notification, not published) and go on receiving the same stories."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from newsbot.chat.queries import Queries
from newsbot.store.database import Store
from newsbot.types import Chat, Filters, Style
from tests.store.revisions import store_at


def _a_subscription(conn: Connection) -> None:
    conn.execute(text(
        "INSERT INTO subscriptions (platform, chat_id, title, tags, dead, dead_reason,"
        " created_at, updated_at) VALUES ('telegram', '-1001', 'News', '[\"uk\"]', 0,"
        " '', '2026-01-01', '2026-01-01')"
    ))


async def test_existing_subscriptions_keep_their_tags_and_get_no_filter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store_at(url, "0003", _a_subscription)
    store = await Store.open(url)  # migrates to the newest revision
    try:
        sub = await Queries(store).settings(Chat("telegram", "-1001"))
    finally:
        await store.close()
    assert sub is not None
    assert (sub.tags, sub.exclude, sub.filters, sub.chat.title) == (("uk",), (), Filters(), "News")
    assert sub.style == Style("full", silent=False, publish=False)  # revisions 0005, 0006
