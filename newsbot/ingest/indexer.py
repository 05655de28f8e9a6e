"""Keeps the store in step with the posts folder, and announces what is new.

A scan stats every candidate file and re-reads only those whose size or mtime
changed (and re-parses only those whose content hash changed), so a restart
over an unchanged folder parses nothing. Changed files are read and written
in batches of `BATCH_FILES` (read in reader processes when there are many,
see `reader_processes.py`), one transaction each, so a first start over a hundred
thousand posts holds one batch in memory, not the whole site. The last
transaction, which also takes the last batch, settles the scan as a whole:
files gone, held posts now due, the first-run marker, and the announcements:
every live post not yet announced is announced, oldest first, together with
its outbox rows, so the store never says "announced" without the deliveries,
nor the reverse. A post already announced that changes in a way a reader sees
gets an edit job per message delivered for it (`newsbot.delivery.edits`), in the
transaction that writes the change (and, with `delivery.deletions = "delete"`,
a deleted or unpublished one a deletion job per message). That includes posts a
scan cut short between two batches wrote but never announced: the next scan
announces them.

Rules: the very first scan of a store indexes without announcing (no flood);
it is the first run until that scan completes, so a first scan cut short
announces nothing either when it is done again. A post dated in the future is
held (invisible, unannounced) until its time; a post is announced once,
whatever edits follow; a file that fails to parse is "not yet" (a
half-written save), reported, and leaves the previous version be.

The statements inside the write transactions are in `index_writes.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from newsbot.config import SiteConfig
from newsbot.delivery.edits import DELETE, EditJobs
from newsbot.delivery.outbox import Outbox
from newsbot.ingest import index_writes
from newsbot.ingest.file_reads import FileRead, Wanted
from newsbot.ingest.reader_processes import read_batches
from newsbot.ingest.scan_report import Problem, ScanReport
from newsbot.ingest.site_posts import is_post, post_files
from newsbot.store import Store, schema
from newsbot.store.database import chunks
from newsbot.types import Post

log = logging.getLogger(__name__)
INITIALIZED = "initialized"
#: changed files written per transaction
BATCH_FILES = 2000


@dataclass(slots=True)
class _ScanState:
    """What a scan carries from one batch to the next."""

    now: datetime
    first_run: bool
    report: ScanReport
    seen: set[str] = field(default_factory=set)  # ids of posts read in this scan
    orphans: set[str] = field(default_factory=set)  # ids a changed file no longer gives
    released: bool = False  # held posts went live


def aware_utcnow() -> datetime:
    return datetime.now(UTC)


class Indexer:
    def __init__(
        self,
        store: Store,
        site: SiteConfig,
        outbox: Outbox,
        platforms: Collection[str],
        clock: Callable[[], datetime] = aware_utcnow,
        *,
        edits: EditJobs | None = None,
    ) -> None:
        self.store = store
        self.site = site
        self.root = Path(site.root)
        self.outbox = outbox
        self.platforms = platforms
        self.clock = clock
        #: where corrections of delivered posts go (none unless enabled: `delivery.edits`)
        self.edits = edits if edits is not None and edits.enabled else None
        #: where deletions of withdrawn posts' messages go (none unless enabled)
        self.deletions = edits if edits is not None and edits.deletions else None
        self._lock = asyncio.Lock()  # the watcher, the timer and `scan()` never overlap

    async def scan(self, only: Collection[str] | None = None) -> ScanReport:
        """Bring the store up to date with the folder (or just the paths in `only`)."""
        async with self._lock:
            return await self._scan(only)

    async def _scan(self, only: Collection[str] | None) -> ScanReport:
        if only is None:
            # FileStamps compare equal to (size, mtime_ns) tuples: what the store keeps
            disk: dict[str, Any] = await asyncio.to_thread(post_files, self.site)
        else:
            disk = await asyncio.to_thread(self._stat_some, only)
        report = ScanReport(files=len(disk))
        removed = await self._compare(disk, None if only is None else list(only))
        changed = [path for path, stamp in disk.items() if stamp is not None]
        known = await self._known_files(changed + removed)
        wanted: list[Wanted] = []
        for path in changed:
            size, mtime_ns = disk[path] or (0, 0)
            wanted.append((path, size, mtime_ns, known[path][0] if path in known else None))
        del disk, changed
        async with self.store.engine.connect() as conn:
            first_run = await self.store.get_meta(conn, INITIALIZED) is None
        state = _ScanState(self.clock(), first_run, report)
        report.first_run = first_run
        held: list[FileRead] | None = None
        batches = read_batches(self.root, self.site, wanted, BATCH_FILES)
        try:
            async with contextlib.aclosing(batches):
                async for reads in batches:
                    if held is not None:
                        async with self.store.engine.begin() as conn:
                            await self._write(conn, held, known, state)
                    held = reads
            async with self.store.engine.begin() as conn:
                if held is not None:
                    await self._write(conn, held, known, state)
                await self._finish(conn, removed, known, state)
        except BaseException:
            self.store.posts_changed()  # some batches may have been written
            raise
        if wanted or removed or state.released:
            self.store.posts_changed()
        report.parsed = len(state.seen)
        for problem in report.problems:
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            log.warning("%s: %s (will retry when the file changes)", where, problem.reason)
        return report

    def _stat_some(self, paths: Iterable[str]) -> dict[str, tuple[int, int] | None]:
        found: dict[str, tuple[int, int] | None] = {}
        for rel in paths:
            full = self.root / rel
            try:
                if full.is_file() and is_post(self.site, full):
                    st = full.stat()
                    found[rel] = (st.st_size, st.st_mtime_ns)
            except OSError:
                continue  # vanished between the event and now: treated as removed
        return found

    async def _compare(
        self, disk: dict[str, tuple[int, int] | None], paths: list[str] | None
    ) -> list[str]:
        """Set `disk[path]` to None for every file the store knows unchanged; return the
        known files that are gone. Rows are streamed, not loaded: a restart over a big
        site holds one copy of the file list, not two."""
        f = schema.files
        cols = (f.c.path, f.c.size, f.c.mtime_ns)
        removed: list[str] = []

        def compare(rows: Iterable[Any]) -> None:
            for path, size, mtime_ns in rows:
                stamp = disk.get(path, False)
                if stamp is False:
                    removed.append(path)
                elif stamp == (size, mtime_ns):
                    disk[path] = None

        async with self.store.engine.connect() as conn:
            if paths is None:
                result = await conn.stream(select(*cols))
                async for part in result.partitions(5000):
                    compare(part)
            else:
                for chunk in chunks(paths):
                    compare(await conn.execute(select(*cols).where(f.c.path.in_(chunk))))
        return removed

    async def _known_files(self, paths: list[str]) -> dict[str, tuple[str, str | None]]:
        """(sha256, post id) of those of `paths` the store knows."""
        f = schema.files
        out: dict[str, tuple[str, str | None]] = {}
        if not paths:
            return out
        async with self.store.engine.connect() as conn:
            for chunk in chunks(paths):
                stmt = select(f.c.path, f.c.sha256, f.c.post_id).where(f.c.path.in_(chunk))
                rows = await conn.execute(stmt)
                out.update((path, (sha, post_id)) for path, sha, post_id in rows)
        return out

    async def _write(
        self,
        conn: AsyncConnection,
        reads: list[FileRead],
        known: dict[str, tuple[str, str | None]],
        state: _ScanState,
    ) -> None:
        """One batch of reads: files, posts, labels (announcing waits for `_finish`)."""
        report, now = state.report, state.now
        posts = {r.post.id: r.post for r in reads if r.post is not None}
        previous = await index_writes.post_states(conn, list(posts))
        file_rows = []
        for r in reads:
            old_post = known[r.path][1] if r.path in known else None
            if r.error is not None:
                problem = Problem(r.path, getattr(r.error, "line", None), str(r.error))
                report.problems.append(problem)
                post_id, error = old_post, str(r.error)  # keep the last good version
            else:
                post_id = r.post.id if r.post is not None else (old_post if r.unchanged else None)
                error = None
            if old_post is not None and old_post != post_id:
                state.orphans.add(old_post)
            file_rows.append(
                {"path": r.path, "size": r.size, "mtime_ns": r.mtime_ns,
                 "sha256": r.sha256, "post_id": post_id, "error": error}
            )
        corrected = []
        if self.edits is not None:
            corrected = await index_writes.changed_visibly(conn, posts.values(), previous)
        await index_writes.upsert_files(self.store, conn, file_rows)
        await index_writes.upsert_posts(self.store, conn, posts.values(), previous, now,
                                        publish_future=self.site.future)
        state.seen.update(posts)
        if corrected and self.edits is not None:  # same transaction: no correction lost
            report.edits += await self.edits.queue(conn, corrected)
            report.corrected += corrected
        if state.first_run:  # nothing is queued: the batch's posts are simply not news
            fresh = [
                post for post in posts.values()
                if (post.date <= now or self.site.future)
                and not previous.get(post.id, ("", False))[1]
            ]
            await self._announce(conn, fresh, state)

    async def _finish(
        self,
        conn: AsyncConnection,
        removed: list[str],
        known: dict[str, tuple[str, str | None]],
        state: _ScanState,
    ) -> None:
        """The scan as a whole: files gone, posts orphaned, held posts due, and every live
        post not yet announced announced, oldest first: this scan's new ones, held ones now
        due, and any a scan cut short between its batches left behind."""
        await index_writes.delete_files(conn, removed)
        state.orphans.update(
            post_id for path in removed if (post_id := known[path][1]) is not None
        )
        orphans = state.orphans - state.seen
        gone = await index_writes.delete_orphans(conn, self.outbox, orphans)
        state.report.deleted = len(gone)
        if gone and self.deletions is not None:  # same transaction: no deletion lost
            state.report.withdrawn += await self.deletions.queue(conn, gone, DELETE)
        state.released = await index_writes.release_held(conn, state.now)
        await self._announce(conn, await index_writes.unannounced(conn), state)
        if state.first_run:
            await self.store.set_meta(conn, INITIALIZED, state.now.isoformat())

    async def _announce(
        self, conn: AsyncConnection, posts: Iterable[Post], state: _ScanState
    ) -> None:
        """Queue these posts' deliveries (not on the first run) and mark them announced."""
        to_announce = {p.id: p for p in posts}
        if not to_announce:
            return
        if not state.first_run:
            state.report.queued += await self.outbox.fan_out(
                conn, to_announce.values(), self.platforms
            )
            state.report.announced += to_announce.values()
        await index_writes.mark_announced(conn, to_announce)

    async def next_release(self) -> datetime | None:
        """When the earliest held post is due, if any."""
        p = schema.posts
        async with self.store.engine.connect() as conn:
            stmt = select(p.c.date).where(p.c.status == "held").order_by(p.c.date).limit(1)
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return None if value is None else value.replace(tzinfo=UTC)

    async def release_due(self) -> ScanReport:
        """Release held posts whose time has come (without reading the folder)."""
        return await self.scan(only=())

