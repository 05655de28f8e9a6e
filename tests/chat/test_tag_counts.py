"""Tag counts are kept between questions, and never outlive a change the indexer made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import console_room, make_config, write_post


async def test_tag_counts_follow_new_edited_deleted_and_released_posts(tmp_path: Path) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    clock = [now]
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    write_post(posts, "2026-02-01-a.md", "A", tags=["uk"])
    room, _ = console_room(config, clock=lambda: clock[0])
    await room.start()
    try:
        async def counts() -> dict[str, int]:
            return {t.tag: t.count for t in await room.queries.tags()}

        assert await counts() == {"News": 1, "uk": 1}
        assert await counts() == {"News": 1, "uk": 1}  # asked twice, same answer
        write_post(posts, "2026-02-02-b.md", "B", tags=["uk", "sport"])
        await room.scan()
        assert await counts() == {"News": 2, "uk": 2, "sport": 1}
        write_post(posts, "2026-02-02-b.md", "B", tags=["sport"])  # edited
        (posts / "2026-02-01-a.md").unlink()
        await room.scan()
        assert await counts() == {"News": 1, "sport": 1}
        write_post(posts, "2026-03-02-c.md", "C", tags=["later"], date="2026-03-02T09:00:00Z")
        await room.scan()
        assert "later" not in await counts()  # held: dated in the future
        clock[0] = datetime(2026, 3, 2, 10, tzinfo=UTC)
        await room.scan(only=())  # the release scan, reading no file
        assert (await counts())["later"] == 1
    finally:
        await room.stop()
