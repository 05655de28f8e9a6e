"""Revision 0002: labels carry their post's date, so `by_tag` reads one index in order.

A store written before it (revision 0001) is upgraded at start-up: its labels
get their posts' dates, and tag queries answer as before.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, text

from newsbot.chat.queries import Queries
from newsbot.store.database import Store
from tests.store.revisions import store_at


def _labels_without_dates(conn: Connection) -> None:
    for day in (3, 1, 2):
        conn.execute(text(
            "INSERT INTO posts (id, title, url, excerpt, author, date, tags, categories,"
            " source, status, announced, updated_at) VALUES (:id, :title, :url, '', '',"
            " :date, '[\"uk\"]', '[]', :id, 'live', 1, :date)"
        ), {"id": f"p{day}", "title": f"Story {day}", "url": f"https://x.org/{day}",
            "date": datetime(2026, 1, day, 12)})
        conn.execute(text(
            "INSERT INTO post_labels (post_id, label, display) VALUES (:id, 'uk', 'uk')"
        ), {"id": f"p{day}"})


async def test_upgrade_dates_existing_labels_and_tag_queries_still_answer(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store_at(url, "0001", _labels_without_dates)
    store = await Store.open(url)  # migrates to the newest revision
    try:
        async with store.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT post_labels.post_id FROM post_labels JOIN posts"
                " ON posts.id = post_labels.post_id WHERE post_labels.date = posts.date"
            ))).all()
            indexes = (await conn.execute(text("PRAGMA index_list('post_labels')"))).all()
        assert sorted(row.post_id for row in rows) == ["p1", "p2", "p3"]
        assert "ix_post_labels_label_date" in {row.name for row in indexes}
        result = await Queries(store).by_tag("UK", 2)
        assert [s.title for s in result.summaries] == ["Story 3", "Story 2"]
    finally:
        await store.close()
