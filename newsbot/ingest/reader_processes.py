"""Reading a scan's changed files: in a thread, or in reader processes when there are many.

Parsing a post is pure Python (YAML, Markdown, text repair), so threads only
take turns on one core. A big scan (the first start over a large site, a
`git pull` of thousands of posts) therefore reads in reader processes, one
per CPU, while the indexer writes what has been read so far; small scans,
the everyday case, read in a thread, since starting processes costs more
than it saves. Either way the reads come back in the order of the files, so
a scan does the same on one core and on many, and the next batch is read
while the caller writes the current one.

A reader is `python -m newsbot.ingest.reader_processes`: a fresh Python importing the post
reader and nothing else (about 40 MB), where multiprocessing's spawn would
re-import the parent's main module in every child (the whole bot, or a
script without a `__main__` guard, started a second time). It speaks
length-prefixed pickles with the parent that started it: first `(root,
site)`, then one list of `Wanted` per task, each answered by `(reads,
warnings)`; end of input ends it. A task whose reader died is read in a
thread instead: a scan never depends on the readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import struct
import sys
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import IO, Any

from newsbot.config import SiteConfig
from newsbot.ingest.file_reads import FileRead, Wanted, read_files

log = logging.getLogger(__name__)

#: scans with at least this many changed files read in reader processes
PARALLEL_MIN_FILES = 2000
#: files per task handed to a reader (a few tens of milliseconds of work)
TASK_FILES = 200
#: upper bound on reader processes, whatever the CPU count
MAX_READERS = 8

_HEADER = struct.Struct(">Q")
Result = tuple[list[FileRead], list[str]]


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


async def read_batches(
    root: Path, site: SiteConfig, wanted: Sequence[Wanted], batch: int
) -> AsyncGenerator[list[FileRead], None]:
    """The reads of `wanted`, in order, in batches of about `batch` files.

    Use with `contextlib.aclosing` so an early exit stops the reading.
    """
    count = min(usable_cpus(), MAX_READERS)
    readers: list[ReaderProcess] = []
    if len(wanted) >= PARALLEL_MIN_FILES and count > 1:
        readers = await _start_readers(root, site, count)
    if not readers:
        async for reads in _threaded(root, site, wanted, batch):
            yield reads
        return
    tasks = [wanted[start : start + TASK_FILES] for start in range(0, len(wanted), TASK_FILES)]
    # enough tasks ahead to keep every reader busy while a batch is written, and no more:
    # what has been read but not written is what the scan holds in memory
    ahead = max(2 * count, batch // TASK_FILES + count)
    try:
        async for reads in _in_processes(readers, root, site, tasks, batch, ahead):
            yield reads
    finally:
        await asyncio.gather(*(reader.close() for reader in readers), return_exceptions=True)


async def _start_readers(root: Path, site: SiteConfig, count: int) -> list[ReaderProcess]:
    started = await asyncio.gather(
        *(ReaderProcess.start(root, site) for _ in range(count)), return_exceptions=True
    )
    readers = [r for r in started if isinstance(r, ReaderProcess)]
    problems = [r for r in started if not isinstance(r, ReaderProcess)]
    if problems:
        log.info("reading posts without reader processes (%r)", problems[0])
        await asyncio.gather(*(reader.close() for reader in readers), return_exceptions=True)
        return []
    return readers


async def _threaded(
    root: Path, site: SiteConfig, wanted: Sequence[Wanted], batch: int
) -> AsyncGenerator[list[FileRead], None]:
    chunks = [wanted[start : start + batch] for start in range(0, len(wanted), batch)]

    def start(chunk: Sequence[Wanted]) -> asyncio.Future[Result]:
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


def _log_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        log.warning("%s", warning)


class ReaderProcess:
    """One child process reading tasks for the posts folder it was started for."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, root: Path, site: SiteConfig) -> ReaderProcess:
        paths = [os.getcwd() if entry == "" else entry for entry in sys.path]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
        )
        reader = cls(process)
        await reader._send((root, site))
        return reader

    async def _send(self, message: object) -> None:
        assert self.process.stdin is not None
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(_HEADER.pack(len(data)) + data)
        await self.process.stdin.drain()

    async def read(self, wanted: Sequence[Wanted]) -> Result:
        assert self.process.stdout is not None
        await self._send(list(wanted))
        size = _HEADER.unpack(await self.process.stdout.readexactly(_HEADER.size))[0]
        result: Result = pickle.loads(await self.process.stdout.readexactly(size))
        return result

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5.0)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def _in_processes(
    readers: list[ReaderProcess],
    root: Path,
    site: SiteConfig,
    tasks: list[Sequence[Wanted]],
    batch: int,
    ahead: int,
) -> AsyncGenerator[list[FileRead], None]:
    """The reads of every task, in order, in batches of at least `batch` files (the last
    may be smaller); at most `ahead` tasks are read before the caller takes them."""
    results: dict[int, Result | None] = {}  # None: its reader failed, read it here
    changed = asyncio.Condition()
    taken = 0  # tasks handed out
    consumed = 0  # tasks given back to the caller
    alive = len(readers)  # readers still taking tasks

    async def work(reader: ReaderProcess) -> None:
        nonlocal taken, alive
        try:
            while True:
                async with changed:
                    while taken < len(tasks) and taken >= consumed + ahead:
                        await changed.wait()
                    if taken >= len(tasks):
                        return
                    number, taken = taken, taken + 1
                try:
                    result: Result | None = await reader.read(tasks[number])
                except Exception as exc:  # any failure: its share is read here instead
                    log.warning("a reader process failed (%r); reading its share here", exc)
                    result = None
                async with changed:
                    results[number] = result
                    changed.notify_all()
                if result is None:
                    return
        finally:
            async with changed:
                alive -= 1
                changed.notify_all()

    workers = [asyncio.create_task(work(reader)) for reader in readers]
    pending: list[FileRead] = []
    try:
        for number in range(len(tasks)):
            async with changed:
                while number not in results and alive:
                    await changed.wait()
                result = results.pop(number, None)
                consumed = number + 1
                changed.notify_all()
            if result is None:  # its reader died (or every reader has)
                result = await asyncio.to_thread(read_files, root, site, tasks[number])
            reads, warnings = result
            _log_warnings(warnings)
            pending += reads
            if len(pending) >= batch:
                yield pending
                pending = []
        if pending:
            yield pending
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _load(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    return pickle.loads(stream.read(_HEADER.unpack(header)[0]))


def main() -> int:
    """The reader's side: read tasks until the parent closes the pipe."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers may reach the parent's pipe
    with contextlib.suppress(EOFError, KeyboardInterrupt, BrokenPipeError):
        root, site = _load(requests)
        while True:
            data = pickle.dumps(read_files(root, site, _load(requests)),
                                protocol=pickle.HIGHEST_PROTOCOL)
            answers.write(_HEADER.pack(len(data)) + data)
            answers.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
