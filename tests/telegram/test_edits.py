"""Corrections: a delivered story that changes visibly is edited in every chat it reached,
through the real outbox, the edit jobs and the fake Bot API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from newsbot.app import Newsroom
from newsbot.config import AppConfig
from newsbot.store import Store, schema
from newsbot.types import Chat
from tests.helpers import make_config, write_post
from tests.telegram.conftest import telegram_room
from tests.telegram.fake_bot_api import (
    TOKEN,
    ApiError,
    FakeBotAPI,
    command,
    group,
    person,
    private,
)

POST = "2026-02-01-fresh.md"
IMAGE = "image: assets/images/a.jpg"
OTHER_IMAGE = "image: assets/images/b.jpg"
ANN, BOB = person(501, "Ann", "ann"), person(502, "Bob")


def tg(chat_id: int) -> Chat:
    return Chat("telegram", str(chat_id))


async def edit_rows(room: Newsroom | Store) -> list[tuple[str, str, str, int]]:
    """(chat, message id, status, revision) of every edit job, oldest first."""
    e = schema.edits
    store = room.store if isinstance(room, Newsroom) else room
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(e.c.chat_id, e.c.message_id, e.c.status, e.c.revision).order_by(e.c.id))
        return [tuple(r) for r in rows.all()]


async def save(room: Newsroom, posts: Path, title: str, **kw: Any) -> None:
    write_post(posts, POST, title, **kw)
    await room.scan()
    await room.drain()


async def delivered_to(room: Newsroom, posts: Path, chats: list[int], **kw: Any) -> None:
    """`chats` subscribed, and the story delivered to them with a typo in its title."""
    for chat_id in chats:
        await room.subscriptions.subscribe(tg(chat_id))
    await save(room, posts, "Fresh stroy", **kw)


async def test_a_title_fixed_after_delivery_is_edited_in_every_chat(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111, -100222])
    sent = {c.chat_id: c.result["message_id"] for c in fake.delivered()}

    await save(room, posts, "Fresh story")

    edits = fake.edits()
    assert sorted(c.chat_id for c in edits) == [-100222, 111]
    for call in edits:
        assert call.method == "editMessageText"
        assert call.params["message_id"] == sent[call.chat_id]
        assert str(call.visible).startswith("Fresh story\n\nBody text of the story.")
    assert len(fake.delivered()) == 2  # edited, not sent again
    assert sorted(await edit_rows(room)) == sorted(
        [("111", str(sent[111]), "done", 1), ("-100222", str(sent[-100222]), "done", 1)]
    )


async def test_changes_nobody_sees_edit_nothing(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111])
    await save(room, posts, "Fresh  stroy", body="Body text   of the story.\n\n")
    await save(room, posts, "Fresh stroy", extra="layout: wide")
    assert fake.edits() == []
    assert fake.requests("editMessageText") == []
    assert await edit_rows(room) == []


async def test_ignore_edits_nothing(tmp_path: Path, fake: FakeBotAPI, posts: Path) -> None:
    config = make_config(
        tmp_path, sections={"telegram": {"api_url": fake.api_url},
                            "delivery": {"edits": "ignore"}},
        env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN},
    )
    room = telegram_room(config)
    await room.start()
    try:
        await delivered_to(room, posts, [ANN.id, 222])
        # the site's "ignore" wins over a chat that asked for edits
        said = await fake.ask(command(private(ANN), "/format edits"))
        assert said.visible == (
            "Format saved: this chat receives stories as full cards. Corrections: sent "
            "stories stay as they were (the site's setting).")
        await room.subscriptions.set_edits(tg(222), "update")
        await save(room, posts, "Fresh story")
        assert fake.edits() == [] and await edit_rows(room) == []
    finally:
        await room.stop()


async def test_a_chat_whose_admins_said_noedits_keeps_its_message_while_others_are_edited(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111, -100222])
    group_ = group(-100222, "Readers")
    fake.set_member(group_.id, ANN.id, "administrator")
    fake.set_member(group_.id, BOB.id, "member")
    refused = await fake.ask(command(group_, "/format noedits", sender=BOB))
    assert refused.visible == "Only administrators can change this chat's subscription."
    said = await fake.ask(command(group_, "/format noedits", sender=ANN))
    assert said.visible == (
        "Format saved: this chat receives stories as full cards. Corrections: sent stories "
        "stay as they were (/format edits turns corrections on).")
    sent = {c.chat_id: c.result["message_id"] for c in fake.delivered() if c.chat_id == 111}

    await save(room, posts, "Fresh story")

    assert [(c.chat_id, c.params["message_id"]) for c in fake.edits()] == [(111, sent[111])]
    assert fake.requests("editMessageText", -100222) == []
    assert [(chat, status) for chat, _, status, _ in await edit_rows(room)] == [("111", "done")]
    back = await fake.ask(command(group_, "/format edits", sender=ANN))
    assert back.visible.endswith("Corrections: sent stories are edited in place.")
    await save(room, posts, "Fresh story, fixed")  # the next correction reaches it again
    assert sorted(c.chat_id for c in fake.edits()) == [-100222, 111, 111]
    assert str(fake.edits(-100222)[0].visible).startswith("Fresh story, fixed\n")


async def test_corrections_pending_when_a_chat_says_noedits_are_never_sent(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111, 222, 333])
    write_post(posts, POST, "Fresh story")
    await room.indexer.scan()  # three jobs written, not yet sent (no dispatcher woken)
    await room.subscriptions.set_edits(tg(222), "ignore")  # skips its job at once
    # and one whose job was written as the policy changed (another transaction's view):
    async with room.store.engine.begin() as conn:
        s = schema.subscriptions
        await conn.execute(update(s).where(s.c.chat_id == "333").values(edits="ignore"))
    assert [status for _, _, status, _ in await edit_rows(room)] == [
        "pending", "skipped", "pending"]
    for dispatcher in room.dispatchers.values():
        dispatcher.wake()
    await room.drain()
    assert [c.chat_id for c in fake.edits()] == [111]
    assert [c.chat_id for c in fake.calls if c.method.startswith("editMessage")] == [111]
    assert [status for _, _, status, _ in await edit_rows(room)] == [
        "done", "skipped", "skipped"]


async def test_saves_in_a_row_make_one_edit_per_message_with_the_newest_text(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111, 222])
    for title in ("Fresh story", "Fresh story!", "Fresh story, fixed"):
        write_post(posts, POST, title)
        await room.indexer.scan()  # written, not yet sent (the dispatchers are not woken)
    assert [(chat, status, rev) for chat, _, status, rev in await edit_rows(room)] == [
        ("111", "pending", 3), ("222", "pending", 3)]
    for dispatcher in room.dispatchers.values():
        dispatcher.wake()
    await room.drain()
    edits = fake.edits()
    assert sorted(c.chat_id for c in edits) == [111, 222]
    assert all(str(c.visible).startswith("Fresh story, fixed\n") for c in edits)


async def test_an_edit_of_a_deleted_message_marks_it_gone_for_good(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111, 222])
    sent = {c.chat_id: c.result["message_id"] for c in fake.delivered()}
    fake.forget(111, sent[111])
    await save(room, posts, "Fresh story")
    assert [c.chat_id for c in fake.edits()] == [222]
    refused = fake.requests("editMessageText", 111)
    assert len(refused) == 1 and "message to edit not found" in refused[0].description
    assert sorted((chat, status) for chat, _, status, _ in await edit_rows(room)) == [
        ("111", "gone"), ("222", "done")]
    await save(room, posts, "Fresh story again")  # a gone message is never tried again
    assert len(fake.requests("editMessageText", 111)) == 1


async def test_an_edit_waits_behind_a_new_story_for_the_same_chat(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111])
    fake.fail(ApiError.server(), method="sendMessage", chat_id=111)  # the news is delayed
    write_post(posts, POST, "Fresh story")
    write_post(posts, "2026-02-02-next.md", "Next story")
    await room.scan()
    await room.drain()
    calls = [(c.method, c.ok) for c in fake.calls if c.chat_id == 111]
    assert calls == [("sendMessage", True), ("sendMessage", False), ("sendMessage", True),
                     ("editMessageText", True)]


async def test_pictures_added_changed_and_removed(
    room: Newsroom, fake: FakeBotAPI, posts: Path
) -> None:
    await delivered_to(room, posts, [111])  # a text message
    await save(room, posts, "Fresh stroy", extra=IMAGE)  # a picture added
    await save(room, posts, "Fresh stroy", extra=OTHER_IMAGE)  # changed
    await save(room, posts, "Fresh story")  # removed: the caption carries the story
    methods = [c.method for c in fake.edits(111)]
    assert methods == ["editMessageMedia", "editMessageMedia", "editMessageCaption"]
    media = [c.params["media"]["media"] for c in fake.edits(111)[:2]]
    assert [m.rsplit("/", 1)[1] for m in media] == ["a.jpg", "b.jpg"]
    assert str(fake.edits(111)[2].visible).startswith("Fresh story\n")
    (message,) = fake.messages.values()
    assert message.kind == "photo" and message.visible.startswith("Fresh story\n")


async def test_edits_pending_at_a_crash_are_sent_after_the_restart(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    config = make_config(tmp_path, sections={"telegram": {"api_url": fake.api_url}},
                         env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN})
    room = telegram_room(config)
    await room.start()
    try:
        await delivered_to(room, posts, [111])
        fake.fail(ApiError.server(), method="editMessageText", times=None)
        write_post(posts, POST, "Fresh story")
        await room.scan()
        await fake.wait_for(lambda c: c.method == "editMessageText")
    finally:
        await room.stop()
    assert [status for _, _, status, _ in await _rows_of(config)] == ["pending"]
    fake.heal()
    room = telegram_room(config)
    await room.start()
    try:
        await room.drain()
        (edit,) = fake.edits()
        assert str(edit.visible).startswith("Fresh story\n")
    finally:
        await room.stop()


async def _rows_of(config: AppConfig) -> list[tuple[str, str, str, int]]:
    store = await Store.open(config.store.url)
    try:
        return await edit_rows(store)
    finally:
        await store.close()
