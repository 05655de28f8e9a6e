"""Stories from the posts folder to Telegram chats, through the real outbox and the fake API."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsbot.app import Newsroom
from newsbot.delivery.errors import ChatMigrated, PermanentError, RetryAfter, TransientError
from newsbot.delivery.fitting import utf16_len
from newsbot.store import schema
from newsbot.types import Chat, Style
from newsbot_telegram import TelegramAdapter
from tests.helpers import SITE_URL, write_post
from tests.telegram.fake_bot_api import ApiError, FakeBotAPI, command, group, person

IMAGE = "image: assets/images/a.jpg"
IMAGE_URL = f"{SITE_URL}/assets/images/a.jpg"


def tg(chat_id: int) -> Chat:
    return Chat("telegram", str(chat_id))


async def outbox(room: Newsroom) -> list[tuple[str, str, str]]:
    o = schema.outbox
    async with room.store.engine.connect() as conn:
        rows = await conn.execute(select(o.c.post_id, o.c.chat_id, o.c.status).order_by(o.c.id))
        return [tuple(r) for r in rows.all()]


async def publish(room: Newsroom, posts: Path, name: str, title: str, **kw: Any) -> None:
    write_post(posts, name, title, **kw)
    await room.scan()
    await room.drain()


async def test_new_post_reaches_every_subscribed_chat_once_and_no_other(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    for chat_id in (111, -100222, -100333):
        await room.subscriptions.subscribe(tg(chat_id))
    await room.subscriptions.subscribe(tg(444), ["sport"])  # filtered out
    await room.drain()
    assert fake.delivered() == []  # the first run pushes nothing

    await publish(room, posts, "2026-02-01-fresh.md", "Fresh story", tags=["politics"])
    await room.scan()  # looking again announces nothing twice
    await room.drain()

    delivered = fake.delivered()
    assert sorted(c.chat_id for c in delivered) == [-100333, -100222, 111]
    url = f"{SITE_URL}/news/2026/02/01/fresh.html"
    for call in delivered:
        assert call.method == "sendMessage"
        assert call.params["parse_mode"] == "HTML"
        assert call.params["text"].startswith(f'<b><a href="{url}">Fresh story</a></b>')
        assert call.visible == (
            "Fresh story\n\nBody text of the story.\n\n1 February 2026\n#politics #News"
        )
    post = "2026-02-01-fresh.md"
    assert sorted(await outbox(room)) == sorted(
        [(post, "111", "sent"), (post, "-100222", "sent"), (post, "-100333", "sent")]
    )


async def test_group_subscribed_by_its_admin_receives_the_next_story(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    readers, ann = group(-100321), person(77)
    fake.set_member(readers.id, ann.id, "creator")
    await fake.ask(command(readers, "/subscribe uk", sender=ann))
    await publish(room, posts, "2026-02-01-a.md", "Not for them", tags=["sport"])
    await publish(room, posts, "2026-02-02-b.md", "For them", tags=["UK"])
    stories = [c for c in fake.delivered(readers.id) if "reply_parameters" not in c.params]
    assert [str(c.visible).split("\n")[0] for c in stories] == ["For them"]


async def test_tag_filters_choose_the_chats(room: Newsroom, fake: FakeBotAPI, posts: Path) -> None:
    await room.subscriptions.subscribe(tg(1), ["politics"])
    await room.subscriptions.subscribe(tg(2), ["Economy", "uk"])
    await room.subscriptions.subscribe(tg(3), ["news"])  # a category
    await room.subscriptions.subscribe(tg(4), ["sport"])
    await publish(room, posts, "2026-02-01-a.md", "A", tags=["politics"])
    await publish(room, posts, "2026-02-02-b.md", "B", tags=["economy"], categories=["Money"])
    got = sorted((c.chat_id, str(c.visible).split("\n")[0]) for c in fake.delivered())
    assert got == [(1, "A"), (2, "B"), (3, "A")]


async def test_story_with_image_is_a_photo_with_caption(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(5))
    await publish(room, posts, "2026-02-01-pic.md", "Pic", extra=IMAGE)
    [call] = fake.delivered()
    assert call.method == "sendPhoto"
    assert call.params["photo"] == IMAGE_URL
    assert call.params["parse_mode"] == "HTML"
    assert call.visible is not None and call.visible.startswith("Pic\n\n")


async def test_html_hostile_title_renders_literally_and_stays_within_limits(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(6))
    long_excerpt = "excerpt: \"" + "Words & more words 🙂 " * 300 + "\""
    await publish(room, posts, "2026-02-01-x.md", "Hello <b>x</b> & y",
                  extra=f"{IMAGE}\n{long_excerpt}")
    [call] = fake.delivered()
    assert call.params["caption"].startswith(
        '<b><a href="https://news.example.org/news/2026/02/01/x.html">'
        "Hello &lt;b&gt;x&lt;/b&gt; &amp; y</a></b>\n\nWords &amp; more words 🙂"
    )
    assert call.visible is not None
    assert call.visible.startswith("Hello <b>x</b> & y\n\nWords & more words 🙂")
    assert utf16_len(call.visible) <= TelegramAdapter.caption_limit
    assert "…\n\n1 February 2026" in call.visible


async def test_flood_wait_then_success_delivers_once(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(7))
    fake.fail(ApiError.retry_after(1), method="sendMessage", chat_id=7)
    await publish(room, posts, "2026-02-01-a.md", "A")
    assert [c.status for c in fake.requests("sendMessage", 7)] == [429, 200]
    assert len(fake.delivered(7)) == 1
    assert await outbox(room) == [("2026-02-01-a.md", "7", "sent")]


async def test_blocked_chat_goes_dead_and_stops_receiving(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(8))
    await room.subscriptions.subscribe(tg(9))
    fake.fail(ApiError.blocked(), chat_id=8, times=None)
    await publish(room, posts, "2026-02-01-a.md", "A")
    sub = await room.queries.settings(tg(8))
    assert sub is not None and sub.dead and "blocked" in sub.dead_reason
    await publish(room, posts, "2026-02-02-b.md", "B")
    assert len(fake.requests("sendMessage", 8)) == 1  # never tried again
    assert len(fake.delivered(9)) == 2
    assert ("2026-02-01-a.md", "8", "dead") in await outbox(room)


async def test_refused_photo_falls_back_to_text_with_the_link(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(10))
    fake.fail(ApiError.photo_url(), method="sendPhoto")
    await publish(room, posts, "2026-02-01-a.md", "A", extra=IMAGE)
    [refused] = fake.requests("sendPhoto")
    assert refused.status == 400 and refused.params["photo"] == IMAGE_URL
    [call] = fake.delivered(10)
    assert call.method == "sendMessage"
    assert '<a href="https://news.example.org/news/2026/02/01/a.html">A</a>' in call.params["text"]
    assert await outbox(room) == [("2026-02-01-a.md", "10", "sent")]


async def test_migrated_group_moves_its_subscription_and_gets_the_story(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(-4001), ["politics"])
    fake.fail(ApiError.migrated(-1004001), chat_id=-4001, times=None)
    await publish(room, posts, "2026-02-01-a.md", "A", tags=["politics"])
    [call] = fake.delivered()
    assert call.chat_id == -1004001
    assert await room.queries.settings(tg(-4001)) is None
    moved = await room.queries.settings(tg(-1004001))
    assert moved is not None and moved.tags == ("politics",)
    await publish(room, posts, "2026-02-02-b.md", "B", tags=["politics"])
    assert [c.chat_id for c in fake.delivered()] == [-1004001, -1004001]
    assert len(fake.requests("sendMessage", -4001)) == 1


SUMMARY_POST = "2026-02-01-a.md"


@pytest.mark.parametrize(
    ("error", "raised", "detail"),
    [
        (ApiError.retry_after(3), RetryAfter, "3"),
        (ApiError.blocked(), PermanentError, "blocked"),
        (ApiError.kicked(), PermanentError, "kicked"),
        (ApiError.chat_not_found(), PermanentError, "not found"),
        (ApiError.no_rights(), PermanentError, "rights"),
        (ApiError.migrated(-1009), ChatMigrated, "-1009"),
        (ApiError.server(), TransientError, "Internal Server Error"),
    ],
    ids=["429", "blocked", "kicked", "chat-not-found", "no-rights", "migrated", "500"],
)
async def test_send_reports_each_failure_as_the_core_expects(
    room: Newsroom, adapter: TelegramAdapter, fake: FakeBotAPI,
    error: ApiError, raised: type[Exception], detail: str,
) -> None:
    [summary] = await room.queries.latest(1)
    fake.fail(error, chat_id=12)
    with pytest.raises(raised) as info:
        await adapter.send("12", summary)
    assert detail in str(info.value)
    if isinstance(info.value, RetryAfter):
        assert info.value.seconds == 3 and info.value.whole_platform
    if isinstance(info.value, ChatMigrated):
        assert info.value.new_chat_id == "-1009"
    assert fake.delivered() == []


async def test_network_failure_is_transient(room: Newsroom, adapter: TelegramAdapter,
                                            fake: FakeBotAPI) -> None:
    [summary] = await room.queries.latest(1)
    await fake.close()  # the server is gone: connection refused
    with pytest.raises(TransientError):
        await adapter.send("12", summary)


async def test_send_returns_the_message_id(room: Newsroom, adapter: TelegramAdapter,
                                           fake: FakeBotAPI) -> None:
    [summary] = await room.queries.latest(1)
    message_id = await adapter.send("13", summary)
    [call] = fake.delivered(13)
    assert message_id == str(call.result["message_id"])


async def test_a_story_changed_between_two_sends_goes_out_as_changed(
    room: Newsroom, adapter: TelegramAdapter, fake: FakeBotAPI
) -> None:
    [summary] = await room.queries.latest(1)
    await adapter.send("16", summary)
    await adapter.send("17", summary)  # the same story again: the same message
    await adapter.send("18", replace(summary, title="The vote, counted"))
    assert [call.params["text"] == fake.delivered(16)[0].params["text"]
            for call in (fake.delivered(17)[0], fake.delivered(18)[0])] == [True, False]
    assert "The vote, counted" in fake.delivered(18)[0].visible


async def test_html_refused_falls_back_to_plain_text(room: Newsroom, adapter: TelegramAdapter,
                                                     fake: FakeBotAPI) -> None:
    [summary] = await room.queries.latest(1)
    fake.fail(ApiError(400, "Bad Request: can't parse entities: whatever"),
              method="sendMessage", chat_id=14)
    await adapter.send("14", summary)
    [call] = fake.delivered(14)
    assert "parse_mode" not in call.params
    assert call.params["text"].startswith(f"The vote\n{SITE_URL}/news/2026/01/21/vote.html")


async def test_what_goes_on_the_wire_is_the_preview(
    room: Newsroom, adapter: TelegramAdapter, fake: FakeBotAPI
) -> None:
    for summary in await room.queries.latest():
        await adapter.send("15", summary)
        preview = json.loads(TelegramAdapter.preview(summary))
        call = fake.delivered(15)[-1]
        assert call.method == preview["method"]
        assert {k: v for k, v in call.params.items() if k != "chat_id"} == preview["params"]


async def test_story_refused_even_as_plain_text_is_dropped_and_the_next_one_flows(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await room.subscriptions.subscribe(tg(15))
    fake.fail(ApiError(400, "Bad Request: message is malformed"),
              method="sendMessage", chat_id=15, times=2)  # HTML, then the plain fallback
    await publish(room, posts, "2026-02-01-poison.md", "Poison")
    await publish(room, posts, "2026-02-02-fine.md", "Fine")
    [call] = fake.delivered(15)
    assert call.params["text"].startswith("<b><a href=") and "Fine" in call.params["text"]
    rows = {post: status for post, _, status in await outbox(room)}
    assert rows == {"2026-02-01-poison.md": "dropped", "2026-02-02-fine.md": "sent"}


async def test_each_destination_gets_its_format_on_the_wire(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    """What the real library sends for each format (checked against the Bot API spec by
    the fake) is the preview of that format."""
    looks = {21: Style("full"), 22: Style("compact", True), 23: Style("headline")}
    for chat_id, style in looks.items():
        await room.subscriptions.subscribe(tg(chat_id))
        await room.subscriptions.set_style(tg(chat_id), style)
    await publish(room, posts, "2026-02-01-pic.md", "Picture day",
                  extra="image: /img/p.jpg\nexcerpt: One. Two.")
    [summary] = await room.queries.latest(1)
    for chat_id, style in looks.items():
        [call] = fake.delivered(chat_id)
        preview = json.loads(TelegramAdapter.preview(summary, style))
        assert call.method == preview["method"]
        assert {k: v for k, v in call.params.items() if k != "chat_id"} == preview["params"]
    assert fake.delivered(21)[0].method == "sendPhoto"
    assert fake.delivered(22)[0].params["disable_notification"] is True
    assert fake.delivered(23)[0].visible == "Picture day"
