"""Big scans: written in batches, read in reader processes, with the same rules as small ones.

Batches are made tiny here (three files) so a handful of posts spans several
transactions; reader processes are forced on for a few files.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from newsbot.app import Newsroom
from newsbot.config import SiteConfig
from newsbot.ingest import file_reads as reading
from newsbot.ingest import indexer
from newsbot.ingest import reader_processes as readers
from newsbot.store import schema
from tests.helpers import ScriptedAdapter, chat, make_config, scripted_room, write_post


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer, "BATCH_FILES", 3)


async def count(room: Newsroom, table: Any, *where: Any) -> int:
    async with room.store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where)))
                   .scalar_one())


async def test_batched_first_run_announces_nothing_then_each_new_post_once(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    for day in range(1, 11):
        write_post(posts, f"2026-01-{day:02d}-old.md", f"Old {day}", tags=["politics"])
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    await room.start()
    try:
        await room.subscriptions.subscribe(chat("all"))
        assert await count(room, schema.posts) == 10
        assert await count(room, schema.outbox) == 0  # first run: nothing queued
        for day in range(1, 8):
            write_post(posts, f"2026-02-{day:02d}-new.md", f"New {day}")
        report = await room.scan()
        assert sorted(p.title for p in report.announced) == [f"New {d}" for d in range(1, 8)]
        assert report.queued == 7 and report.parsed == 7
        await room.scan()  # nothing twice
        await room.drain()
        assert sorted(post for _, post in adapter.sent) == [
            f"2026-02-{day:02d}-new.md" for day in range(1, 8)
        ]
        p = schema.posts
        assert await count(room, p, p.c.announced.is_(True)) == 17
    finally:
        await room.stop()


async def test_a_first_run_cut_short_is_still_a_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    for day in range(1, 11):
        write_post(posts, f"2026-01-{day:02d}-old.md", f"Old {day}")
    written = 0
    real_write = indexer.Indexer._write

    async def crash_after_two(self: indexer.Indexer, *args: Any) -> None:
        nonlocal written
        if written == 2:
            raise OSError("disk full")
        written += 1
        await real_write(self, *args)

    monkeypatch.setattr(indexer.Indexer, "_write", crash_after_two)
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    with pytest.raises(OSError, match="disk full"):
        await room.start()
    monkeypatch.setattr(indexer.Indexer, "_write", real_write)
    room = scripted_room(config, adapter)
    await room.start()
    try:
        await room.subscriptions.subscribe(chat("all"))
        report = await room.scan()
        assert report.announced == [] and await count(room, schema.outbox) == 0
        assert await count(room, schema.posts) == 10
    finally:
        await room.stop()


async def test_posts_a_scan_wrote_but_never_announced_are_announced_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    write_post(posts, "2026-01-01-old.md", "Old")
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    await room.start()
    try:
        await room.subscriptions.subscribe(chat("all"))
        for day in range(7, 0, -1):
            write_post(posts, f"2026-02-{day:02d}-new.md", f"New {day}")
        real_finish = indexer.Indexer._finish

        async def crash(self: indexer.Indexer, *args: Any) -> None:
            raise OSError("killed")

        monkeypatch.setattr(indexer.Indexer, "_finish", crash)
        with pytest.raises(OSError, match="killed"):
            await room.scan()  # batches of 3 and 3 written, nothing announced
        monkeypatch.setattr(indexer.Indexer, "_finish", real_finish)
        report = await room.scan()
        assert report.parsed == 1  # only the last batch, which shares the final transaction
        assert [p.title for p in report.announced] == [f"New {d}" for d in range(1, 8)]
        await room.drain()
        assert [post for _, post in adapter.sent] == [
            f"2026-02-{day:02d}-new.md" for day in range(1, 8)
        ]
    finally:
        await room.stop()


def test_reader_processes_read_what_a_thread_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_config(tmp_path).site
    posts = site.posts_dir
    for day in range(1, 8):
        write_post(posts, f"2026-01-{day:02d}-story.md", f"Story {day}", tags=["uk"],
                   extra="image: assets/a.jpg")
    write_post(posts, "2026-01-08-draft.md", "Draft", extra="published: false")
    (posts / "2026-01-09-broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    wanted: list[reading.Wanted] = [
        (path.name, 0, 0, None) for path in sorted(posts.iterdir())
    ]
    wanted.append(("2026-01-10-vanished.md", 0, 0, None))
    monkeypatch.setattr(readers, "TASK_FILES", 2)
    monkeypatch.setattr(readers, "usable_cpus", lambda: 2)
    started: list[list[readers.ReaderProcess]] = []
    start_readers = readers._start_readers

    async def recorded(*args: Any) -> list[readers.ReaderProcess]:
        started.append(await start_readers(*args))
        return started[-1]

    monkeypatch.setattr(readers, "_start_readers", recorded)

    def read_all(parallel_from: int) -> list[tuple[Any, ...]]:
        monkeypatch.setattr(readers, "PARALLEL_MIN_FILES", parallel_from)
        return asyncio.run(collect(posts, site, wanted))

    threaded = read_all(10**9)
    assert started == []
    in_processes = read_all(1)
    assert len(started) == 1 and len(started[0]) == 2
    assert all(r.process.returncode == 0 for r in started[0])  # closed, not killed
    assert in_processes == threaded
    assert [(path, title) for path, _, title, *_ in threaded] == [
        *[(f"2026-01-{d:02d}-story.md", f"Story {d}") for d in range(1, 8)],
        ("2026-01-08-draft.md", None),
        ("2026-01-09-broken.md", None),
    ]
    assert threaded[-1][-1] is not None  # the broken file's error, line and all


async def test_a_reader_that_dies_costs_nothing_but_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_config(tmp_path).site
    for day in range(1, 10):
        write_post(site.posts_dir, f"2026-01-{day:02d}-story.md", f"Story {day}")
    wanted: list[reading.Wanted] = [
        (path.name, 0, 0, None) for path in sorted(site.posts_dir.iterdir())
    ]
    monkeypatch.setattr(readers, "TASK_FILES", 2)
    monkeypatch.setattr(readers, "usable_cpus", lambda: 2)
    monkeypatch.setattr(readers, "PARALLEL_MIN_FILES", 1)
    real_read = readers.ReaderProcess.read
    calls = 0

    async def dies_on_second_task(self: readers.ReaderProcess, task: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            self.process.kill()
        return await real_read(self, task)

    monkeypatch.setattr(readers.ReaderProcess, "read", dies_on_second_task)
    titles = [r[2] for r in await collect(site.posts_dir, site, wanted)]
    assert titles == [f"Story {day}" for day in range(1, 10)]
    assert "a reader process failed" in caplog.text


async def collect(posts: Path, site: SiteConfig, wanted: list[reading.Wanted]) -> list[Any]:
    out = []
    async for batch in readers.read_batches(posts, site, wanted, 4):
        for r in batch:
            error = None if r.error is None else (str(r.error), r.error.line)
            out.append((r.path, r.sha256, r.post and r.post.title, r.post, r.skipped, error))
    return out
