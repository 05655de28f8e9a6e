"""On time however the site is deployed: future posts written while running, symlink
switches and folders replaced whole.

Every room here rescans the whole folder only once an hour, so only the watcher and
the release timer can bring a post out in time. The waits are deadlines that are
generous for a slow CI and far below that hour, never measurements.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsbot_console import ConsoleAdapter
from tests.helpers import console_room, make_config, write_post

DEADLINE = 15.0  # seconds; the hourly rescan would take 3600


async def sent_titles(console: Callable[[], ConsoleAdapter], count: int) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while len(console().sent) < count and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return [summary.title for _, summary, _ in console().sent]


async def test_future_post_written_while_running_is_released_at_its_time(tmp_path: Path) -> None:
    config = make_config(tmp_path, rescan_seconds=3600)
    room, console = console_room(config, watch=True)
    await room.start()
    try:
        await asyncio.sleep(2.5)  # past the catch-up rescan: only the timer can release it
        due = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
        write_post(config.site.posts_dir, f"{due:%Y-%m-%d}-soon.md", "Soon",
                   date=due.isoformat())
        assert await sent_titles(console, 1) == ["Soon"]
        assert datetime.now(UTC) >= due  # not before its time either
    finally:
        await room.stop()


def release(base: Path, number: int, posts: dict[str, str]) -> Path:
    folder = base / "releases" / str(number) / "_posts"
    for name, title in posts.items():
        write_post(folder, name, title)
    return folder.parent


def switch(link: Path, target: Path) -> None:
    """What deploy tools do: a new symlink renamed over the old one, atomically."""
    temporary = link.with_name(link.name + ".new")
    temporary.symlink_to(target)
    os.replace(temporary, link)


async def test_a_deploy_switching_a_symlink_is_followed(tmp_path: Path) -> None:
    old = {"2026-01-01-first.md": "First"}
    (tmp_path / "current").symlink_to(release(tmp_path, 1, old))
    config = make_config(tmp_path, rescan_seconds=3600, posts_dir="current/_posts")
    room, console = console_room(config, watch=True)
    await room.start()  # the first run indexes without pushing
    try:
        new = release(tmp_path, 2, {**old, "2026-01-02-second.md": "Second"})
        switch(tmp_path / "current", new)
        assert await sent_titles(console, 1) == ["Second"]
        write_post(new / "_posts", "2026-01-03-third.md", "Third")  # watched in the new place
        assert await sent_titles(console, 2) == ["Second", "Third"]
        newer = release(tmp_path, 3, {**old, "2026-01-02-second.md": "Second",
                                      "2026-01-03-third.md": "Third",
                                      "2026-01-04-fourth.md": "Fourth"})
        switch(tmp_path / "current", newer)
        shutil.rmtree(new)  # deploy tools prune old releases
        assert await sent_titles(console, 3) == ["Second", "Third", "Fourth"]
    finally:
        await room.stop()
    assert [s.title for _, s, _ in console().sent] == ["Second", "Third", "Fourth"]


async def test_a_posts_folder_replaced_whole_is_followed(tmp_path: Path) -> None:
    config = make_config(tmp_path, rescan_seconds=3600)
    posts = config.site.posts_dir
    write_post(posts, "2026-01-01-first.md", "First")
    room, console = console_room(config, watch=True)
    await room.start()
    try:
        staged = tmp_path / "_posts.new"
        write_post(staged, "2026-01-01-first.md", "First")
        write_post(staged, "2026-01-02-second.md", "Second")
        posts.rename(tmp_path / "_posts.old")
        staged.rename(posts)
        assert await sent_titles(console, 1) == ["Second"]
        write_post(posts, "2026-01-03-third.md", "Third")
        assert await sent_titles(console, 2) == ["Second", "Third"]
    finally:
        await room.stop()
