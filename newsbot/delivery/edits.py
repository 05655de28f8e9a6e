"""Edit jobs: corrections of messages already delivered, kept in the store like deliveries.

A job's `action` is "edit" (show the post's newest version) or "delete" (the post
was deleted or unpublished, and `delivery.deletions = "delete"`); a message has
one job, whose action is the latest that applies (a post deleted, then put back
before its deletion went out, is edited instead).

When a post that was delivered changes in a way a reader sees, `queue` writes one
job per message sent for it (an `outbox` row "sent" with a message id), inside the
transaction that records the change, so a crash loses no correction. A job holds
no text: it renders the post as it is when the edit goes out, so several saves in
a row need one edit per message. Each save bumps the job's `revision`; a job is
marked done only if no save came after the version it read, so a save landing
while its edit is on the way is edited again, never lost.

A destination whose moderators chose no corrections (`subscriptions.edits =
"ignore"`, set with `/format noedits` or the web page) gets no job: the policy is
read by the statement that writes the jobs, in the same transaction as the change.
Its jobs still pending when the choice is made are skipped then (`Subscriptions.
set_edits`), and a job the dispatcher holds is checked again just before it goes out
(`still_wanted`), so no correction reaches a destination after it said no.

Job states: pending → done | gone (the message no longer exists) | failed (the
platform refuses it for good, or the post was withdrawn) | skipped (the destination
takes no corrections). A later change makes a done, failed or skipped job pending
again (for a destination that takes corrections); a gone one stays gone.

A change can also land while the story's first delivery is on its way (read
before the change, confirmed after it): the dispatcher then compares what it sent
with the post as it is now and queues the edit itself (`queue_delivery`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.delivery.outbox import claimed
from newsbot.store import Store, schema, utcnow
from newsbot.store.database import chunks
from newsbot.store.rows import style_from_row
from newsbot.store.subscriptions import SKIPPED_WHY
from newsbot.types import IGNORE, Post, Style, Summary

#: what `edits.status` may be
PENDING, DONE, GONE, FAILED, SKIPPED = "pending", "done", "gone", "failed", "skipped"
#: what `edits.action` may be
EDIT, DELETE = "edit", "delete"


def shown(story: Post | Summary) -> tuple[object, ...]:
    """What a reader sees of a post in a delivered message, whitespace aside: two
    versions with the same `shown` need no edit."""
    summary = Summary.of(story) if isinstance(story, Post) else story

    def words(text: str) -> str:
        return " ".join(text.split())

    return (words(summary.title), words(summary.excerpt), words(summary.author),
            summary.url, summary.image_url or None, summary.date, summary.tags)


@dataclass(slots=True)
class EditJob:
    """A pending edit as the dispatcher holds it."""

    id: int
    post_id: str
    chat_id: str
    message_id: str
    revision: int
    attempts: int
    next_attempt_at: datetime
    style: Style = field(default_factory=Style)
    action: str = EDIT


class EditJobs:
    def __init__(self, store: Store, *, enabled: bool = True, deletions: bool = False) -> None:
        self.store = store
        #: `delivery.edits = "update"`: changes write jobs (pending ones are sent either way)
        self.enabled = enabled
        #: `delivery.deletions = "delete"`: withdrawn posts have their messages deleted
        self.deletions = deletions

    async def queue(
        self, conn: AsyncConnection, post_ids: Collection[str], action: str = EDIT
    ) -> int:
        """One pending job per message sent for these posts (inside the caller's
        transaction); returns how many messages the change touches."""
        o = schema.outbox
        count = 0
        for chunk in chunks(list(post_ids)):
            count += await self._queue(conn, o.c.post_id.in_(chunk), action)
        return count

    async def queue_delivery(self, outbox_id: int) -> None:
        """One pending job for the message of that (sent) outbox row: its post changed
        while the story was on its way, so the message shows an older version."""
        async with self.store.engine.begin() as conn:
            await self._queue(conn, schema.outbox.c.id == outbox_id)

    async def _queue(self, conn: AsyncConnection, which: Any, action: str = EDIT) -> int:
        """A pending job for each sent message of the outbox rows `which` selects."""
        o, e, s = schema.outbox, schema.edits, schema.subscriptions
        now = utcnow()
        # the destination's policy, read here: one that said no gets no job (a chat no
        # longer subscribed has no row, and its messages are corrected as before)
        sent = (await conn.execute(
            select(o.c.id, o.c.post_id, o.c.platform, o.c.chat_id, o.c.message_id)
            .select_from(o.outerjoin(s, _same_destination(o)))
            .where(which, o.c.status == "sent", o.c.message_id.is_not(None),
                   _takes_corrections())
            .order_by(o.c.id)
        )).all()
        rows = [
            {"outbox_id": r.id, "post_id": r.post_id, "platform": r.platform,
             "chat_id": r.chat_id, "message_id": r.message_id, "status": PENDING,
             "action": action, "revision": 1, "attempts": 0, "next_attempt_at": now,
             "created_at": now, "updated_at": now}
            for r in sent
        ]
        if not rows:
            return 0
        stmt = self.store.insert(e)
        stmt = stmt.on_conflict_do_update(
            index_elements=["outbox_id"],
            set_={"status": PENDING, "action": action, "revision": e.c.revision + 1,
                  "attempts": 0,
                  "next_attempt_at": now, "last_error": None, "updated_at": now},
            where=e.c.status != GONE,
        )
        for part in chunks(rows):
            await conn.execute(stmt, part)
        return len(rows)

    async def pending(self, platform: str, claimed_by: str | None = None) -> list[EditJob]:
        """Pending jobs of a platform, oldest first, with the style of their delivery;
        with `claimed_by`, only those of the chats that worker has claimed."""
        e, o = schema.edits, schema.outbox
        stmt = (
            select(e.c.id, e.c.post_id, e.c.chat_id, e.c.message_id, e.c.revision,
                   e.c.attempts, e.c.next_attempt_at, o.c.format, o.c.silent, o.c.publish,
                   e.c.action)
            .join(o, o.c.id == e.c.outbox_id)
            .where(e.c.platform == platform, e.c.status == PENDING)
        )
        stmt = (stmt.order_by(e.c.id) if claimed_by is None
                else claimed(stmt, e, platform, claimed_by))
        async with self.store.autocommit.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            EditJob(r.id, r.post_id, r.chat_id, r.message_id, r.revision, r.attempts,
                    r.next_attempt_at, style_from_row(r), r.action)
            for r in rows
        ]

    async def still_wanted(self, job: EditJob) -> bool:
        """Whether the job should go out now: still pending, for a destination that takes
        corrections. A destination that said no since the job was read has it skipped."""
        e, s = schema.edits, schema.subscriptions
        stmt = (select(e.c.status, s.c.edits).select_from(e.outerjoin(s, _same_destination(e)))
                .where(e.c.id == job.id))
        async with self.store.engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
            if row is None or row.status != PENDING:
                return False  # finished meanwhile (or skipped when the policy changed)
            if row.edits != IGNORE:
                return True
            await conn.execute(
                update(e).where(e.c.id == job.id, e.c.status == PENDING)
                .values(status=SKIPPED, last_error=SKIPPED_WHY, updated_at=utcnow())
            )
        return False

    async def _set(self, job: EditJob, *, same_revision: bool, **values: object) -> bool:
        e = schema.edits
        where = and_(e.c.id == job.id, e.c.status == PENDING)
        if same_revision:
            where = and_(where, e.c.revision == job.revision)
        async with self.store.engine.begin() as conn:
            result = await conn.execute(
                update(e).where(where).values(updated_at=utcnow(), **values)
            )
        return bool(result.rowcount)

    async def finish(self, job: EditJob, status: str, error: str | None = None) -> bool:
        """The job ended (done, gone, failed); False when a newer save made it pending
        again meanwhile (it is then edited once more)."""
        return await self._set(job, same_revision=True, status=status,
                               last_error=None if error is None else error[:500])

    async def postpone(self, job: EditJob, until: datetime, attempts: int, error: str) -> None:
        """Keep the job pending, to be tried again at `until`."""
        await self._set(job, same_revision=False, next_attempt_at=until, attempts=attempts,
                        last_error=error[:500])

    async def count(self, platforms: Collection[str], status: str = PENDING) -> int:
        e = schema.edits
        stmt = select(func.count()).where(
            e.c.status == literal(status), e.c.platform.in_(list(platforms))
        )
        async with self.store.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())


def _same_destination(table: Any) -> ColumnElement[bool]:
    """Join condition: the `subscriptions` row of an outbox or edits row's destination."""
    s = schema.subscriptions
    return and_(s.c.platform == table.c.platform, s.c.chat_id == table.c.chat_id)


def _takes_corrections() -> ColumnElement[bool]:
    """The joined destination (if still subscribed) did not turn corrections off."""
    s = schema.subscriptions
    return or_(s.c.edits.is_(None), s.c.edits != IGNORE)


async def job_counts(conn: AsyncConnection) -> dict[str, int]:
    """How many jobs are in each state (for `newsbot check`)."""
    e = schema.edits
    rows = await conn.execute(select(e.c.status, func.count()).group_by(e.c.status))
    return {status: int(count) for status, count in rows.all()}


async def failed_jobs(conn: AsyncConnection, limit: int = 5) -> list[Any]:
    """The latest jobs that failed, with what the platform said."""
    e = schema.edits
    stmt = (select(e.c.platform, e.c.chat_id, e.c.message_id, e.c.post_id, e.c.action,
                   e.c.last_error)
            .where(e.c.status == FAILED).order_by(e.c.updated_at.desc(), e.c.id.desc())
            .limit(limit))
    return list((await conn.execute(stmt)).all())
