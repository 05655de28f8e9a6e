"""The questions every adapter asks: latest, by tag, tags, subscriptions."""

from __future__ import annotations

import pytest

from newsbot.chat.requests import UsageError
from newsbot.chat.tags import clean_filter
from tests.helpers import chat, console_room, make_config, write_post


@pytest.fixture
async def room(tmp_path):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, timezone="Europe/London")
    posts = config.site.posts_dir
    for day in range(1, 26):
        tags = ["Politics"] if day % 2 else ["economy", "Breaking News"]
        write_post(posts, f"2026-01-{day:02d}-story-{day}.md", f"Story {day}", tags=tags)
    room, _ = console_room(config)
    await room.start()
    yield room
    await room.stop()


async def test_latest_is_newest_first_with_default_and_bounds(room):
    assert [s.title for s in await room.queries.latest()] == [
        "Story 25", "Story 24", "Story 23", "Story 22", "Story 21"
    ]
    assert len(await room.queries.latest(3)) == 3
    assert len(await room.queries.latest(500)) == 20
    assert len(await room.queries.latest(0)) == 1
    [first] = await room.queries.latest(1)
    assert first.date.isoformat() == "2026-01-25T10:00:00+00:00"
    assert str(first.date.tzinfo) == "Europe/London"


async def test_by_tag_is_case_insensitive_and_accepts_hashtags(room):
    result = await room.queries.by_tag("POLITICS", 2)
    assert result.known and [s.title for s in result.summaries] == ["Story 25", "Story 23"]
    result = await room.queries.by_tag("#BreakingNews")
    assert result.known and result.summaries[0].title == "Story 24"
    result = await room.queries.by_tag("news")  # the category
    assert len(result.summaries) == 5


async def test_unknown_tag_suggests_close_ones(room):
    result = await room.queries.by_tag("economi")
    assert not result.known and result.summaries == []
    assert result.suggestions == ["economy"]
    hostile = await room.queries.by_tag("x' OR 1=1; DROP TABLE posts; --" * 300)
    assert not hostile.known and len(hostile.tag) <= 64
    assert len(await room.queries.latest()) == 5  # nothing dropped


async def test_tags_counts_most_used_first(room):
    counts = [(t.tag, t.count) for t in await room.queries.tags()]
    assert counts == [("News", 25), ("Politics", 13), ("Breaking News", 12), ("economy", 12)]


async def test_subscribe_unsubscribe_settings(room):
    c = chat("42", "console")
    assert await room.queries.settings(c) is None
    sub = await room.subscriptions.subscribe(c, clean_filter(["#Politics", "politics", "tech"]))
    assert sub.tags == ("Politics", "tech")
    assert (await room.queries.settings(c)).tags == ("Politics", "tech")
    await room.subscriptions.subscribe(c)  # no tags: everything
    assert (await room.queries.settings(c)).tags == ()
    assert await room.subscriptions.unsubscribe(c) is True
    assert await room.subscriptions.unsubscribe(c) is False
    with pytest.raises(UsageError, match="at most 64"):
        clean_filter(["x" * 65])
    with pytest.raises(UsageError, match="at most 25 tags"):
        clean_filter([f"t{i}" for i in range(26)])
    assert await room.queries.settings(c) is None


async def test_complete_tag_prefers_prefix_matches(room):
    assert await room.queries.complete_tag("e") == ["economy", "News", "Breaking News"]
    assert await room.queries.complete_tag("pol") == ["Politics"]
