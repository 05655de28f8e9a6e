"""The indexer's work as one piece: the first scan, the folder watcher and the periodic
rescans, started and stopped together, and what each scan is reported as.

With one process (SQLite) the newsroom begins it at start and ends it at stop.
With several workers on one PostgreSQL store it is the Role "indexer"
(`newsbot.workers.roles`): only the worker holding that lease runs it, and
another takes over once the lease has expired. Taking over needs nothing
special: the store says which posts were announced, and the first-run marker is
set once the very first scan completed, so a new indexer's first scan announces
only what is new.

A worker can index only when its posts folder exists and holds at least one post
(`able`): one whose folder is missing or empty only sends, so a mount that failed
on one machine never makes the store believe every post was deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Coroutine
from typing import Any

from newsbot.config import SiteConfig
from newsbot.ingest.indexer import Indexer
from newsbot.ingest.scan_report import ScanReport
from newsbot.ingest.site_posts import post_files
from newsbot.ingest.watcher import rescan_periodically, watch_folder
from newsbot.store import StoreError

log = logging.getLogger(__name__)

#: how often a worker that may index looks again whether its folder holds posts
LOOK_SECONDS = 60.0

#: told about an exception from the store; returns the `StoreError` to stop with, if any
Trouble = Callable[[BaseException], StoreError | None]


class IndexerRole:
    """Keeps the store in step with the posts folder while it runs."""

    name = "indexer"

    def __init__(
        self,
        indexer: Indexer,
        site: SiteConfig,
        *,
        watch: bool,
        trouble: Trouble,
        changed: Callable[[ScanReport], None],
    ) -> None:
        """`trouble` says whether an error means the store is unusable; `changed` is told
        about every scan that wrote something others should hear of (queued deliveries,
        edits, deletions, posts read)."""
        self.indexer = indexer
        self.site = site
        self.watch = watch
        self._trouble = trouble
        self._changed = changed
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        #: set after a scan that read posts: one dated in the future may wait for its time
        self._held_changed = asyncio.Event()
        self._has_posts = False
        self._looked_at: float | None = None
        self._warned = False

    # -- scanning ----------------------------------------------------------------------

    async def scan(self, only: Collection[str] | None = None) -> ScanReport:
        """Rescan the folder (or some paths) now; new posts go to the outbox and out.

        Raises `StoreError` (and has the bot stop) when the store cannot take the result.
        """
        try:
            report = await self.indexer.scan(only)
        except Exception as exc:
            trouble = self._trouble(exc)
            if trouble is None:
                raise
            raise trouble from None
        if report.parsed:
            self._held_changed.set()
        if report.queued:
            log.info(
                "announcing %s: %d deliveries queued",
                ", ".join(p.source or p.id for p in report.announced), report.queued,
            )
        if report.edits:
            log.info("correcting %s: %d messages to edit",
                     ", ".join(report.corrected), report.edits)
        if report.withdrawn:
            log.info("%d posts withdrawn: %d messages to delete", report.deleted,
                     report.withdrawn)
        if report.queued or report.edits or report.withdrawn or report.parsed or report.deleted:
            self._changed(report)
        return report

    async def _first_scan(self) -> None:
        report = await self.scan()
        log.info(
            "indexed %d files (%d parsed, %d problems)%s",
            report.files, report.parsed, len(report.problems),
            "; first run, nothing pushed" if report.first_run else "",
        )

    # -- the role ----------------------------------------------------------------------

    async def begin(self, *, wait: bool = False) -> None:
        """Watch the folder, scan it, then rescan it periodically. With `wait` this returns
        once the first scan is done (raising what it raised); without, at once, the scan
        running in the background (a role's lease must keep being renewed meanwhile)."""
        self._stop = asyncio.Event()
        if self.watch:
            # Watch before the first scan: anything written while it runs is seen again.
            self._spawn(watch_folder(self.site.root, self.scan, self._stop))
        if wait:
            await self._first_scan()
            self._rescans()
        else:
            self._spawn(self._first_then_rescans())

    async def _first_then_rescans(self) -> None:
        try:
            await self._first_scan()
        except StoreError:
            return  # the newsroom was told and is stopping
        except Exception:
            log.exception("the first scan failed; the next rescan retries")
        self._rescans()

    def _rescans(self) -> None:
        if self.watch:
            self._spawn(
                rescan_periodically(
                    self.scan, self.site.rescan_seconds, self.indexer.next_release,
                    self._stop, self._held_changed,
                )
            )

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.create_task(coro))

    async def end(self) -> None:
        """Stop watching and scanning (a scan cut short is taken up again by the next)."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # -- who may run it ----------------------------------------------------------------

    def able(self) -> bool:
        """Whether this worker can index: its folder is there and held posts when last
        looked at (`look`)."""
        return self._has_posts and self.site.root.is_dir()

    async def look(self) -> None:
        """Find out again whether the folder holds posts: at every call while it does not
        (a mount may come back), every `LOOK_SECONDS` while it does; not while this worker
        indexes (its scans read the folder anyway)."""
        now = asyncio.get_running_loop().time()
        if self._tasks or (self._has_posts and self._looked_at is not None
                           and now - self._looked_at < LOOK_SECONDS):
            return
        self._looked_at = now
        had = self._has_posts
        self._has_posts = await asyncio.to_thread(self._holds_posts)
        if not self._has_posts and (had or not self._warned):
            root = self.site.root
            why = "holds no posts" if root.is_dir() else "is not there"
            log.warning("%s %s: this worker only sends (a worker that has the posts "
                        "indexes them)", root, why)
            self._warned = True

    def _holds_posts(self) -> bool:
        return self.site.root.is_dir() and bool(post_files(self.site))
