"""Revision 0007: an `edits` table for corrections. A store from before it migrates with
no job, and a story it had delivered gets its edit when corrected after the upgrade.
Revision 0008: a destination's own policy (`subscriptions.edits`) decides whether jobs
are written for it, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select, text

from newsbot.delivery.edits import EditJobs
from newsbot.store import schema
from newsbot.store.database import Store, utcnow
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat
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


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: SQLite in tmp_path, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'policy.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


async def test_a_destination_that_said_no_gets_no_job_and_its_pending_ones_are_skipped(
    store_url: str,
) -> None:
    store = await Store.open(store_url)
    edits, subs = EditJobs(store), Subscriptions(store)
    said_no, follows, gone = (Chat("telegram", c) for c in ("-1001", "-1002", "-1003"))
    try:
        for chat in (said_no, follows):
            await subs.subscribe(chat)
        async with store.engine.begin() as conn:  # "a.md" was sent to all three
            now = utcnow()
            await conn.execute(insert(schema.outbox), [
                {"post_id": "a.md", "platform": "telegram", "chat_id": chat.id,
                 "status": "sent", "attempts": 0, "next_attempt_at": now, "created_at": now,
                 "message_id": str(n), "sent_at": now}
                for n, chat in enumerate((said_no, follows, gone), 1)])
            assert await edits.queue(conn, ["a.md"]) == 3
        assert await job_rows(store) == [("-1001", "pending", 1), ("-1002", "pending", 1),
                                         ("-1003", "pending", 1)]
        [first, *_] = await edits.pending("telegram")
        await subs.set_edits(said_no, "ignore")  # its pending job is skipped at once
        assert not await edits.still_wanted(first)
        async with store.engine.begin() as conn:  # the next correction: no job for it
            assert await edits.queue(conn, ["a.md"]) == 2
        assert await job_rows(store) == [("-1001", "skipped", 1), ("-1002", "pending", 2),
                                         ("-1003", "pending", 2)]  # unsubscribed: as before
        assert [job.chat_id for job in await edits.pending("telegram")] == ["-1002", "-1003"]
        sub = await subs.set_edits(said_no, "update")  # back on: the next change reaches it
        assert sub is not None and sub.edits == "update" and sub.takes_corrections
        async with store.engine.begin() as conn:
            assert await edits.queue(conn, ["a.md"]) == 3
        assert [row[1:] for row in await job_rows(store)] == [
            ("pending", 2), ("pending", 3), ("pending", 3)]
    finally:
        await store.close()


async def job_rows(store: Store) -> list[tuple[str, str, int]]:
    e = schema.edits
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(e.c.chat_id, e.c.status, e.c.revision)
                                  .order_by(e.c.chat_id))
        return [tuple(r) for r in rows.all()]
