"""Stories reaching Discord channels through the whole bot: scan → outbox → adapter → fake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.cli import main
from newsbot.store import schema
from newsbot.types import Chat, Style
from newsbot_discord import DiscordAdapter
from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import ANNOUNCE, NEWS, SPORT, STAFF, pings
from tests.helpers import SITE_URL, write_post


def chat(channel_id: str) -> Chat:
    return Chat("discord", channel_id)


async def publish(room: Newsroom, posts: Path, name: str, title: str, **kw: object) -> None:
    write_post(posts, name, title, **kw)  # type: ignore[arg-type]
    await room.scan()
    await room.drain()


async def outbox_rows(room: Newsroom) -> list[tuple[str, str, str]]:
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = (await conn.execute(select(o.c.post_id, o.c.chat_id, o.c.status))).all()
    return [tuple(r) for r in rows]


async def test_new_post_reaches_every_subscribed_channel_once_as_an_embed(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    await room.subscriptions.subscribe(chat(SPORT))

    await publish(
        room, posts, "2026-02-01-tokyo.md", "Starmer in Tokyo", tags=["politics"],
        extra='author: "badely"\nexcerpt: "Talks in Tokyo"\nimage: assets/images/a.jpg',
        date="2026-02-01T15:32:27",
    )
    await room.scan()  # a second scan announces nothing again
    await room.drain()

    for channel in (NEWS, SPORT):
        [body] = fake.sent(channel)
        [embed] = body["embeds"]
        assert embed["title"] == "Starmer in Tokyo"
        assert embed["url"] == f"{SITE_URL}/news/2026/02/01/tokyo.html"
        assert embed["image"] == {"url": f"{SITE_URL}/assets/images/a.jpg"}
        assert datetime.fromisoformat(embed["timestamp"]) == datetime(
            2026, 2, 1, 15, 32, 27, tzinfo=UTC
        )
        assert embed["description"] == "Talks in Tokyo"
        assert embed["author"] == {"name": "badely"}
        assert embed["footer"] == {"text": "politics · News"}
        assert body["allowed_mentions"] == {"parse": []}
    assert fake.sent(STAFF) == []
    statuses = {(chat_id, status) for _, chat_id, status in await outbox_rows(room)}
    assert statuses == {(NEWS, "sent"), (SPORT, "sent")}


async def test_the_body_on_the_wire_is_the_preview(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    await publish(room, posts, "2026-02-01-a.md", "A story", extra='excerpt: "Short"')

    [summary] = await room.queries.latest(1)
    assert fake.sent(NEWS) == [json.loads(DiscordAdapter.preview(summary, chat_id=NEWS))]
    preview = json.loads(DiscordAdapter.preview(summary))
    assert "nonce" not in preview
    assert preview["embeds"] == fake.sent(NEWS)[0]["embeds"]


async def test_cli_preview_prints_what_was_sent(
    room: Newsroom, fake: FakeDiscord, posts: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    await publish(room, posts, "2026-02-01-a.md", "A story", tags=["uk"],
                  extra='excerpt: "Short"\nimage: /assets/a.png\nauthor: Ann')

    code = main(["preview", str(posts / "2026-02-01-a.md"), "--platform", "discord",
                 "--config", str(tmp_path / "newsbot.toml")])

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    [sent] = fake.sent(NEWS)
    assert {**printed, "nonce": sent["nonce"], "enforce_nonce": True} == sent


async def test_tag_filters_choose_the_channels(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS), ["politics"])
    await room.subscriptions.subscribe(chat(SPORT), ["football", "Tennis"])

    await publish(room, posts, "2026-02-01-cup.md", "Cup final", tags=["football"],
                  categories=["Sport"])
    await publish(room, posts, "2026-02-02-poll.md", "New poll", tags=["politics"])
    await publish(room, posts, "2026-02-03-open.md", "Open final", tags=["tennis"])

    titles = {c: [b["embeds"][0]["title"] for b in fake.sent(c)] for c in (NEWS, SPORT)}
    assert titles == {NEWS: ["New poll"], SPORT: ["Cup final", "Open final"]}


async def test_mentions_in_a_story_ping_nobody(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))

    await publish(
        room, posts, "2026-02-01-ping.md", "Hello @everyone <@123>",
        extra='excerpt: "Ask @here, <@!42> and <@&456>"\nauthor: "@everyone"',
    )

    [body] = fake.sent(NEWS)
    assert body["embeds"][0]["title"] == "Hello @everyone <@123>"
    assert body["content"] is None
    assert body["allowed_mentions"] == {"parse": []}
    assert pings(body) == set()
    # the same text as message content would still ping nobody under these rules
    text = body["embeds"][0]["title"] + body["embeds"][0]["description"]
    assert pings({**body, "content": text}) == set()
    assert pings({"content": text}) == {"everyone", "123", "42", "&456"}


async def test_rate_limited_then_accepted_is_delivered_once(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    fake.fail(NEWS, "rate_limited")

    await publish(room, posts, "2026-02-01-a.md", "Once only")

    assert [r.status for r in fake.attempts(NEWS)] == [429, 200]
    assert [b["embeds"][0]["title"] for b in fake.sent(NEWS)] == ["Once only"]
    assert [s for _, _, s in await outbox_rows(room)] == ["sent"]


async def test_missing_access_marks_the_channel_dead(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    await room.subscriptions.subscribe(chat(SPORT))
    fake.fail(SPORT, "missing_access")

    await publish(room, posts, "2026-02-01-a.md", "First")
    await publish(room, posts, "2026-02-02-b.md", "Second")

    sub = await room.queries.settings(chat(SPORT))
    assert sub is not None and sub.dead
    assert "50001" in sub.dead_reason
    assert len(fake.attempts(SPORT)) == 1  # a dead channel costs no more requests
    assert [b["embeds"][0]["title"] for b in fake.sent(NEWS)] == ["First", "Second"]
    rows = {(post, c): s for post, c, s in await outbox_rows(room)}
    assert rows[("2026-02-01-a.md", SPORT)] == "dead"
    assert (("2026-02-02-b.md", SPORT)) not in rows


async def test_channel_the_bot_cannot_see_or_that_is_gone_is_dead(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    gone = "1499999999999999999"
    for channel in (STAFF, ANNOUNCE, gone):
        await room.subscriptions.subscribe(chat(channel))

    await publish(room, posts, "2026-02-01-a.md", "First")

    reasons = {}
    for channel in (STAFF, ANNOUNCE, gone):
        sub = await room.queries.settings(chat(channel))
        assert sub is not None and sub.dead
        reasons[channel] = sub.dead_reason
    assert "Missing Access" in reasons[STAFF]
    assert "Missing Permissions" in reasons[ANNOUNCE]
    assert "Unknown Channel" in reasons[gone]


async def test_payload_discord_refuses_is_dropped_and_the_next_story_flows(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    await room.subscriptions.subscribe(chat(NEWS))
    fake.fail(NEWS, "invalid_form_body")
    await publish(room, posts, "2026-02-01-a.md", "First")
    await publish(room, posts, "2026-02-02-b.md", "Second")
    assert [b["embeds"][0]["title"] for b in fake.sent(NEWS)] == ["Second"]
    sub = await room.queries.settings(chat(NEWS))
    assert sub is not None and not sub.dead  # the channel is fine; the story was not
    rows = {post: s for post, c, s in await outbox_rows(room)}
    assert rows == {"2026-02-01-a.md": "dropped", "2026-02-02-b.md": "sent"}


async def test_each_channel_gets_its_format_and_silence_on_the_wire(
    room: Newsroom, fake: FakeDiscord, posts: Path
) -> None:
    looks = {NEWS: Style("headline", True), SPORT: Style("compact")}
    for channel, style in looks.items():
        await room.subscriptions.subscribe(chat(channel))
        await room.subscriptions.set_style(chat(channel), style)
    await publish(room, posts, "2026-02-01-a.md", "A story", extra='excerpt: "Short. Long."')

    [summary] = await room.queries.latest(1)
    for channel, style in looks.items():
        assert fake.sent(channel) == [
            json.loads(DiscordAdapter.preview(summary, style, chat_id=channel))]
    assert fake.sent(NEWS)[0]["flags"] == 4096  # SUPPRESS_NOTIFICATIONS
    assert fake.sent(SPORT)[0]["embeds"][0]["description"] == "Short."
