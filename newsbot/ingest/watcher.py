"""Notices changes in the posts folder within a second, and never relies on that alone.

File events come from watchfiles (inotify, FSEvents, …). They are grouped until
the folder has been quiet for `QUIET_MS`, so an editor's save or a `git pull`
arrives as one batch; a file still half-written fails to parse and is simply
"not yet". Event batches touching only files re-read just those files; anything
else (a folder renamed, events dropped) triggers a full scan. Independently, a
full rescan runs every `site.rescan_seconds` for file systems that lose events
(network mounts, some containers), and held posts are released on time, also
those written while the bot runs. The posts folder is watched where its path
leads now, so a deploy that switches a symlink or replaces the folder is followed.
Both stop quietly on a `StoreError`: the newsroom reports it and stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
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
#: how often the watcher checks where the posts folder leads (a deploy's symlink switch)
RECHECK_SECONDS = 0.25

Scan = Callable[[Collection[str] | None], Awaitable[object]]


async def watch_folder(root: Path, scan: Scan, stop: asyncio.Event) -> None:
    """Call `scan(paths)` for every quiet batch of changes under `root` until `stop`.

    `root` is watched where it points now: when a deploy switches a symlink on the
    way to it (`current -> releases/N`) or replaces the folder whole, the watch
    moves to the new folder within `RECHECK_SECONDS` and a full scan follows.
    """
    while not stop.is_set():
        place = await asyncio.to_thread(_where, root)
        if place is None:  # between a deploy's remove and rename: wait for it to return
            await _sleep_unless(stop, RECHECK_SECONDS)
            continue
        moved = asyncio.Event()
        follower = asyncio.create_task(_notice_move(root, place, stop, moved))
        try:
            await _watch(Path(place[0]), scan, moved)
        except Exception:  # e.g. the old release deleted under the watcher
            log.debug("watching %s ended", place[0], exc_info=True)
            await _sleep_unless(moved, RECHECK_SECONDS)
        finally:
            moved.set()
            await follower
        if stop.is_set():
            return
        log.info("%s now leads to another folder; watching it there", root)
        try:
            await scan(None)
        except StoreError:
            return
        except Exception:
            log.exception("scanning the new folder failed; the next rescan retries")


async def _watch(real: Path, scan: Scan, halt: asyncio.Event) -> None:
    async for changes in awatch(
        real, stop_event=halt, step=QUIET_MS, debounce=1600, recursive=True,
        raise_interrupt=False, ignore_permission_denied=True,
    ):
        paths, full = _classify(real, changes)
        try:
            await scan(None if full else paths)
        except StoreError:
            return  # the store is unusable: the newsroom is stopping and says why
        except Exception:
            log.exception("scanning after file changes failed; the next rescan retries")


def _where(root: Path) -> tuple[str, int, int] | None:
    """The real folder `root` leads to, and its identity (a folder replaced whole has a
    new one); None while it is missing."""
    try:
        real = os.path.realpath(root)
        st = os.stat(real)
    except OSError:
        return None
    return real, st.st_dev, st.st_ino


async def _notice_move(root: Path, place: tuple[str, int, int], stop: asyncio.Event,
                       moved: asyncio.Event) -> None:
    """Set `moved` when `stop` is set or `root` leads somewhere else than `place`."""
    while not moved.is_set():
        if stop.is_set() or await asyncio.to_thread(_where, root) != place:
            moved.set()
            return
        await _sleep_unless(moved, RECHECK_SECONDS)


async def _sleep_unless(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


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
    held_changed: asyncio.Event | None = None,
) -> None:
    """Full rescans every `every` seconds, and a release scan when a held post is due.

    `held_changed` is set when a scan may have stored a post dated in the future:
    the wait is then worked out again, so that post goes out at its time, not at
    the next full rescan.
    """
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
        if await _stop_or_change(stop, held_changed, max(0.0, wait)):
            if stop.is_set():
                return
            continue  # something new may be held: when is the next one due?
        try:
            await scan(() if release_only else None)
        except StoreError:
            return  # as in watch_folder
        except Exception:
            log.exception("periodic rescan failed; trying again in %.0fs", every)
        if not release_only:
            next_full = loop.time() + every


async def _stop_or_change(stop: asyncio.Event, change: asyncio.Event | None,
                          seconds: float) -> bool:
    """Wait up to `seconds`; True when `stop` or `change` (then cleared) came first."""
    events = [stop] if change is None else [stop, change]
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        done, _ = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
    if change is not None and change.is_set():
        change.clear()
    return bool(done)
