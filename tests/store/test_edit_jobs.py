"""Revision 0007: an `edits` table for corrections. A store from before it migrates with
no job, and a story it had delivered gets its edit when corrected after the upgrade."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select, text

from newsbot.delivery.edits import EditJobs
from newsbot.store import schema
from newsbot.store.database import Store
from tests.store.revisions import store_at


def _a_delivered_story(conn: Connection) -> None:
    conn.execute(text(
        "INSERT INTO outbox (post_id, platform, chat_id, status, attempts, next_attempt_at,"
        " message_id, created_at, sent_at, format, silent, publish) VALUES ('a.md',"
        " 'telegram', '-1001', 'sent', 0, '2026-01-01', '42', '2026-01-01', '2026-01-01',"
        " 'compact', 1, 0)"
    ))


async def test_a_store_from_revision_0006_migrates_and_takes_edit_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store_at(url, "0006", _a_delivered_story)
    store = await Store.open(url)  # migrates to the newest revision
    try:
        edits = EditJobs(store)
        async with store.engine.connect() as conn:
            assert (await conn.execute(select(schema.edits))).all() == []
        for _ in range(2):  # saved twice: still one job, at its second revision
            async with store.engine.begin() as conn:
                assert await edits.queue(conn, ["a.md", "unknown.md"]) == 1
        (job,) = await edits.pending("telegram")
    finally:
        await store.close()
    assert (job.post_id, job.chat_id, job.message_id, job.revision) == ("a.md", "-1001", "42", 2)
    assert (job.style.format, job.style.silent, job.action) == ("compact", True, "edit")
