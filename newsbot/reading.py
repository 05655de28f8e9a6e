"""Reading changed post files for the indexer: bytes, hash, parse, and what came of it.

Parsing a post is pure Python (YAML, Markdown, text repair), so threads would
only take turns on one core. A big scan (the first start over a large site,
a `git pull` of thousands of posts) therefore reads in worker processes, one
per CPU, while the indexer writes what has been read so far; small scans, the
everyday case, read in a thread, since starting workers costs more than it
saves. Either way the results come back in the order the files were asked
for, so a scan does the same thing on one core and on many.

Workers only read and parse: they never touch the store or log (a warning is
returned to the bot's process, which logs it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsbot.config import SiteConfig
from newsbot.posts import PostError, parse_post
from newsbot.types import Post

log = logging.getLogger(__name__)

#: scans with at least this many changed files read in worker processes
PARALLEL_MIN_FILES = 2000
#: files per task handed to a worker (a few tens of milliseconds of work)
TASK_FILES = 200
#: upper bound on worker processes, whatever the CPU count
MAX_WORKERS = 8


@dataclass(slots=True)
class FileRead:
    """What reading one changed file produced."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    post: Post | None = None
    skipped: bool = False  # published: false
    unchanged: bool = False  # same bytes as last time: nothing to parse
    error: PostError | None = None


#: one file to read: (path under the root, size, mtime_ns, sha256 the store knows or None)
Wanted = tuple[str, int, int, str | None]


def read_files(
    root: Path, site: SiteConfig, wanted: Sequence[Wanted]
) -> tuple[list[FileRead], list[str]]:
    """Read, hash and (when the bytes changed) parse each file; plus warnings to log."""
    reads: list[FileRead] = []
    warnings: list[str] = []
    for path, size, mtime_ns, known_sha in wanted:
        try:
            data = (root / path).read_bytes()
        except OSError as exc:
            warnings.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        read = FileRead(path, size, mtime_ns, hashlib.sha256(data).hexdigest())
        if known_sha == read.sha256:
            read.unchanged = True  # touched, not changed
        else:
            try:
                read.post = parse_post(data, path, site)
                read.skipped = read.post is None
            except PostError as exc:
                read.error = exc
        reads.append(read)
    return reads, warnings


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# Set in each worker process by the pool's initializer: the same for every task.
_worker_site: tuple[Path, SiteConfig] | None = None


def _init_worker(root: Path, site: SiteConfig) -> None:
    global _worker_site
    _worker_site = (root, site)


def _read_in_worker(wanted: Sequence[Wanted]) -> tuple[list[FileRead], list[str]]:
    assert _worker_site is not None
    return read_files(*_worker_site, wanted)


async def read_batches(
    root: Path, site: SiteConfig, wanted: Sequence[Wanted], batch: int
) -> AsyncGenerator[list[FileRead], None]:
    """The reads of `wanted` in batches of up to `batch` files, in order.

    The next batch is being read while the caller handles the current one.
    Use with `contextlib.aclosing` so an early exit stops the reading.
    """
    workers = min(usable_cpus(), MAX_WORKERS)
    if len(wanted) >= PARALLEL_MIN_FILES and workers > 1:
        pool = _start_pool(root, site, workers)
        if pool is not None:
            try:
                async for reads in _pooled(pool, root, site, wanted, batch, workers):
                    yield reads
            finally:
                await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            return
    async for reads in _threaded(root, site, wanted, batch):
        yield reads


def _start_pool(
    root: Path, site: SiteConfig, workers: int
) -> concurrent.futures.ProcessPoolExecutor | None:
    # spawn, not fork: the bot's process has threads (the store's, asyncio's), and
    # forking a process with threads can deadlock the child.
    try:
        return concurrent.futures.ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(root, site),
        )
    except (OSError, NotImplementedError, ImportError) as exc:
        log.info("reading posts in one process (no worker processes here: %s)", exc)
        return None


async def _threaded(
    root: Path, site: SiteConfig, wanted: Sequence[Wanted], batch: int
) -> AsyncGenerator[list[FileRead], None]:
    chunks = [wanted[start : start + batch] for start in range(0, len(wanted), batch)]
    def start(chunk: Sequence[Wanted]) -> asyncio.Future[tuple[list[FileRead], list[str]]]:
        return asyncio.ensure_future(asyncio.to_thread(read_files, root, site, chunk))

    ahead = start(chunks[0]) if chunks else None
    try:
        for number in range(len(chunks)):
            assert ahead is not None
            reads, warnings = await ahead
            ahead = start(chunks[number + 1]) if number + 1 < len(chunks) else None
            _log_warnings(warnings)
            yield reads
    finally:
        if ahead is not None:  # a thread cannot be stopped; let it finish, unused
            await asyncio.gather(ahead, return_exceptions=True)


async def _pooled(
    pool: concurrent.futures.ProcessPoolExecutor,
    root: Path,
    site: SiteConfig,
    wanted: Sequence[Wanted],
    batch: int,
    workers: int,
) -> AsyncGenerator[list[FileRead], None]:
    loop = asyncio.get_running_loop()
    tasks = [wanted[start : start + TASK_FILES] for start in range(0, len(wanted), TASK_FILES)]
    in_flight: deque[asyncio.Future[tuple[list[FileRead], list[str]]]] = deque()
    queued = iter(tasks)
    # enough tasks ahead to keep every worker busy while a batch is written, and no more:
    # what has been read but not written is what the scan holds in memory
    ahead = max(2 * workers, batch // TASK_FILES + workers)
    done = 0
    pending: list[FileRead] = []
    fallback: list[Wanted] = []
    try:
        while done < len(tasks):
            while len(in_flight) < ahead and (task := next(queued, None)) is not None:
                in_flight.append(loop.run_in_executor(pool, _read_in_worker, task))
            try:
                reads, warnings = await in_flight.popleft()
            except concurrent.futures.BrokenExecutor as exc:
                log.warning("a worker reading posts died (%s); reading the rest here", exc)
                fallback = [item for task in tasks[done:] for item in task]
                break
            done += 1
            _log_warnings(warnings)
            pending += reads
            if len(pending) >= batch:
                yield pending
                pending = []
    finally:
        for future in in_flight:
            future.cancel()
    if pending:
        yield pending
    if fallback:
        async for reads in _threaded(root, site, fallback, batch):
            yield reads


def _log_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        log.warning("%s", warning)
