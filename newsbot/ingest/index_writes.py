"""The indexer's statements inside its write transactions: files, posts and their labels
upserted, files gone and the posts they orphaned deleted, held posts released, and
posts marked announced.

Each runs in the caller's transaction (`Indexer` decides which go together), and
cuts its bulk statements with `chunks()` to stay under the database's limits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, false, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.delivery.edits import shown
from newsbot.delivery.outbox import Outbox
from newsbot.store import Store, schema, to_db_time
from newsbot.store.database import chunks
from newsbot.store.rows import label_rows, post_from_row, post_to_row
from newsbot.types import Post

#: the columns of a `files` row a new read replaces
FILE_COLUMNS = ("size", "mtime_ns", "sha256", "post_id", "error")


async def post_states(conn: AsyncConnection, ids: list[str]) -> dict[str, tuple[str, bool]]:
    """(status, announced) of those of the posts `ids` the store has."""
    p = schema.posts
    out: dict[str, tuple[str, bool]] = {}
    for chunk in chunks(ids):
        stmt = select(p.c.id, p.c.status, p.c.announced).where(p.c.id.in_(chunk))
        for row in (await conn.execute(stmt)).all():
            out[row.id] = (row.status, bool(row.announced))
    return out


async def changed_visibly(
    conn: AsyncConnection, posts: Iterable[Post], previous: dict[str, tuple[str, bool]]
) -> list[str]:
    """Ids of the announced live posts among `posts` whose new version a reader would see
    differ from the stored one (call before `upsert_posts` replaces it)."""
    new = {post.id: post for post in posts
           if previous.get(post.id) == ("live", True)}
    p = schema.posts
    out: list[str] = []
    for chunk in chunks(list(new)):
        for row in (await conn.execute(select(p).where(p.c.id.in_(chunk)))).all():
            if shown(post_from_row(row)) != shown(new[row.id]):
                out.append(row.id)
    return out


async def upsert_files(store: Store, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write these `files` rows, replacing the stored ones of the same paths."""
    if not rows:
        return
    stmt = store.insert(schema.files)
    stmt = stmt.on_conflict_do_update(
        index_elements=["path"], set_={c: stmt.excluded[c] for c in FILE_COLUMNS}
    )
    for chunk in chunks(rows):
        await conn.execute(stmt, chunk)


async def upsert_posts(
    store: Store,
    conn: AsyncConnection,
    posts: Iterable[Post],
    previous: dict[str, tuple[str, bool]],
    now: datetime,
    *,
    publish_future: bool = False,
) -> None:
    """Write these posts and their labels: held when dated after `now` (unless the site
    publishes the future, Jekyll's `future: true`), else live; a post keeps the
    announced flag `previous` (from `post_states`) gives it."""
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    for post in posts:
        status = "held" if post.date > now and not publish_future else "live"
        announced = previous.get(post.id, ("", False))[1]
        rows.append(post_to_row(post, status=status, announced=announced, now=now))
        labels += label_rows(post)
    if not rows:
        return
    stmt = store.insert(schema.posts)
    changing = [c.name for c in schema.posts.columns if c.name not in ("id", "announced")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={c: stmt.excluded[c] for c in changing}
    )
    lab = schema.post_labels
    for chunk in chunks(rows):
        await conn.execute(stmt, chunk)
    known = [row["id"] for row in rows if row["id"] in previous]  # new posts have none
    for chunk in chunks(known):
        await conn.execute(delete(lab).where(lab.c.post_id.in_(chunk)))
    # a second indexer overlapping this one for a beat (several workers) may have
    # written the same labels since `previous` was read: those stay
    await store.insert_new(conn, lab, labels, ("post_id", "label"))


async def delete_files(conn: AsyncConnection, paths: list[str]) -> None:
    """Forget the files at `paths` (gone from the folder)."""
    f = schema.files
    for chunk in chunks(paths):
        await conn.execute(delete(f).where(f.c.path.in_(chunk)))


async def delete_orphans(
    conn: AsyncConnection, outbox: Outbox, post_ids: set[str]
) -> list[str]:
    """Posts no file provides any more disappear from queries and from the outbox;
    returns their ids."""
    if not post_ids:
        return []
    f, p = schema.files, schema.posts
    ids = list(post_ids)
    still = set()
    for chunk in chunks(ids):
        stmt = select(f.c.post_id).where(f.c.post_id.in_(chunk))
        still |= {row.post_id for row in (await conn.execute(stmt)).all()}
    gone = [pid for pid in ids if pid not in still]
    for chunk in chunks(gone):
        await conn.execute(update(p).where(p.c.id.in_(chunk)).values(status="deleted"))
    await outbox.drop_for_posts(conn, gone)
    return gone


async def release_held(conn: AsyncConnection, now: datetime) -> bool:
    """Held posts whose time has come go live (`unannounced` then finds the new ones);
    returns whether any did."""
    p = schema.posts
    due = and_(p.c.status == "held", p.c.date <= to_db_time(now))
    result = await conn.execute(update(p).where(due).values(status="live"))
    return bool(result.rowcount)


async def unannounced(conn: AsyncConnection) -> list[Post]:
    """Every live post not announced yet, oldest first."""
    p = schema.posts
    stmt = (
        select(p)
        .where(p.c.announced == false(), p.c.status == "live")
        .order_by(p.c.date, p.c.id)
    )
    return [post_from_row(row) for row in (await conn.execute(stmt)).all()]


async def mark_announced(conn: AsyncConnection, post_ids: Collection[str]) -> None:
    p = schema.posts
    for chunk in chunks(list(post_ids)):
        await conn.execute(update(p).where(p.c.id.in_(chunk)).values(announced=True))
