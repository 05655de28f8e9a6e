"""The pacer holds messages back per chat, per group and after a flood wait, and nothing else.

Each test starts a request that must wait a long time and checks that it has
not gone out while others have, then cancels it: nothing here measures time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from newsbot_telegram.flood_limits import Pacer, posts_message


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def __call__(self, label: Any) -> bool:
        self.sent.append(label)
        return True


async def request(pacer: Pacer, callback: Recorder, label: Any, chat_id: Any,
                  endpoint: str = "sendMessage") -> Any:
    return await pacer.process_request(callback, (label,), {}, endpoint, {"chat_id": chat_id},
                                       None)


async def settle() -> None:
    for _ in range(20):  # let every ready task run
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("endpoint", "paced"),
    [("sendMessage", True), ("sendPhoto", True), ("copyMessage", True),
     ("editMessageText", True), ("editMessageCaption", True), ("editMessageMedia", True),
     ("getChatMember", False), ("getChat", False), ("setMyCommands", False)],
)
def test_only_methods_that_post_are_paced(endpoint: str, paced: bool) -> None:
    assert posts_message(endpoint) is paced


async def test_second_message_to_a_chat_waits_others_do_not() -> None:
    pacer, sent = Pacer(chat_interval=60, group_per_minute=0), Recorder()
    await request(pacer, sent, "first", 5)
    held = asyncio.create_task(request(pacer, sent, "second", 5))
    await settle()
    await request(pacer, sent, "other chat", 6)
    await request(pacer, sent, "a lookup", 5, endpoint="getChatMember")
    assert sent.sent == ["first", "other chat", "a lookup"]
    assert not held.done()
    held.cancel()


async def test_groups_get_twenty_a_minute() -> None:
    pacer, sent = Pacer(chat_interval=0, group_per_minute=3), Recorder()
    for n in range(3):
        await request(pacer, sent, n, -100123)
    held = asyncio.create_task(request(pacer, sent, "fourth", -100123))
    await settle()
    await request(pacer, sent, "private", 42)  # private chats have no group limit
    assert sent.sent == [0, 1, 2, "private"]
    assert not held.done()
    held.cancel()


async def test_flood_wait_is_raised_to_the_caller_and_holds_every_message() -> None:
    pacer, sent = Pacer(chat_interval=0), Recorder()

    async def flooded(label: Any) -> bool:
        raise RetryAfter(30)

    with pytest.raises(RetryAfter):
        await pacer.process_request(flooded, ("x",), {}, "sendMessage", {"chat_id": 7}, None)
    held = asyncio.create_task(request(pacer, sent, "after", 8))
    await request(pacer, sent, "lookup", 8, endpoint="getChatMember")
    await settle()
    assert sent.sent == ["lookup"]
    assert not held.done()
    held.cancel()


async def test_topics_of_a_group_share_its_pace() -> None:
    """Telegram's limits are per chat: a forum's topics are one chat to them."""
    pacer, sent = Pacer(chat_interval=60, group_per_minute=0), Recorder()
    data = {"chat_id": -100800, "message_thread_id": 5}
    await pacer.process_request(sent, ("topic 5",), {}, "sendMessage", data, None)
    held = asyncio.create_task(pacer.process_request(
        sent, ("topic 6",), {}, "sendMessage", {**data, "message_thread_id": 6}, None))
    await settle()
    await request(pacer, sent, "other chat", -100900)
    assert sent.sent == ["topic 5", "other chat"]
    assert not held.done()
    held.cancel()
