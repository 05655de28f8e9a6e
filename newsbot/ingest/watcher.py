"""Notices changes in the posts folder within a second, and never relies on that alone.

File events come from watchfiles (inotify, FSEvents, …). They are grouped until
the folder has been quiet for `QUIET_MS`, so an editor's save or a `git pull`
arrives as one batch; a file still half-written fails to parse and is simply
"not yet". Event batches touching only files re-read just those files; anything
else (a folder renamed, events dropped) triggers a full scan. Independently, a
full rescan runs every `site.rescan_seconds` for file systems that lose events
(network mounts, some containers), and held posts are released on time.
Both stop quietly on a `StoreError`: the newsroom reports it and stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

from watchfiles import Change, awatch

from newsbot.store import StoreError

log = logging.getLogger(__name__)

#: the folder must be quiet this long before a batch of changes is read
QUIET_MS = 100
#: a full rescan this soon after start catches files written before the watcher was ready
CATCH_UP_SECONDS = 2.0

Scan = Callable[[Collection[str] | None], Awaitable[object]]


async def watch_folder(root: Path, scan: Scan, stop: asyncio.Event) -> None:
    """Call `scan(paths)` for every quiet batch of changes under `root` until `stop`."""
    root = await asyncio.to_thread(root.resolve)
    async for changes in awatch(
        root, stop_event=stop, step=QUIET_MS, debounce=1600, recursive=True,
        raise_interrupt=False, ignore_permission_denied=True,
    ):
        paths, full = _classify(root, changes)
        try:
            await scan(None if full else paths)
        except StoreError:
            return  # the store is unusable: the newsroom is stopping and says why
        except Exception:
            log.exception("scanning after file changes failed; the next rescan retries")


def _classify(root: Path, changes: set[tuple[Change, str]]) -> tuple[set[str], bool]:
    """Relative paths of changed files, and whether only a full scan can tell what changed."""
    paths: set[str] = set()
    full = False
    for change, raw in changes:
        path = Path(raw)
        try:
            rel = path.relative_to(root)
        except ValueError:
            full = True
            continue
        if change == Change.deleted or path.is_file():
            paths.add(rel.as_posix())
        else:
            full = True  # a folder appeared, vanished or moved
    return paths, full


async def rescan_periodically(
    scan: Scan,
    every: float,
    next_release: Callable[[], Awaitable[datetime | None]],
    stop: asyncio.Event,
) -> None:
    """Full rescans every `every` seconds, and a release scan when a held post is due."""
    loop = asyncio.get_running_loop()
    # The file watcher needs a moment to register; one early rescan covers that gap.
    next_full = loop.time() + min(every, CATCH_UP_SECONDS)
    while not stop.is_set():
        wait = next_full - loop.time()
        try:
            due = await next_release()
        except Exception:
            log.exception("cannot read held posts")
            due = None
        release_only = False
        if due is not None:
            until_due = (due - datetime.now(UTC)).total_seconds()
            if until_due < wait:
                wait, release_only = max(0.0, until_due) + 0.01, True
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, wait))
            return
        except TimeoutError:
            pass
        try:
            await scan(() if release_only else None)
        except StoreError:
            return  # as in watch_folder
        except Exception:
            log.exception("periodic rescan failed; trying again in %.0fs", every)
        if not release_only:
            next_full = loop.time() + every
