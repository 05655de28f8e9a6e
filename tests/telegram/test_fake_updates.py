"""The fake Bot API's update side and paid-broadcast limits, checked: a second getUpdates
ends the first with 409 as Telegram does, a webhook gets updates with its secret, and
the flood gate lets paid broadcasts through at 1,000 a second, not more."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web

from tests.telegram.bot_api_answers import FloodGate, FloodLimits
from tests.telegram.bot_api_webhooks import SECRET_HEADER
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, command, person, private


async def call(session: aiohttp.ClientSession, fake: FakeBotAPI, method: str,
               **params: Any) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{fake.api_url}{TOKEN}/{method}", json=params) as response:
        return response.status, await response.json()


async def test_a_second_get_updates_ends_the_first_with_409(fake: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as session:
        first = asyncio.create_task(call(session, fake, "getUpdates", timeout=5))
        assert (await fake.held_poll()).params["timeout"] == 5  # the first one waits
        second = asyncio.create_task(call(session, fake, "getUpdates", timeout=1))
        status, body = await first
        assert status == 409
        assert body["description"] == ("Conflict: terminated by other getUpdates request; "
                                       "make sure that only one bot instance is running")
        assert (await second)[0] == 200
    assert len(fake.conflicts) == 1


async def test_get_updates_is_refused_while_a_webhook_is_set(fake: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as session:
        assert (await call(session, fake, "setWebhook", url="http://127.0.0.1:9/hook",
                           secret_token="s3cret_token-1"))[0] == 200
        status, body = await call(session, fake, "getUpdates")
        assert status == 409 and "webhook is active" in body["description"]
        _, info = await call(session, fake, "getWebhookInfo")
        assert info["result"]["url"] == "http://127.0.0.1:9/hook"
        assert (await call(session, fake, "deleteWebhook"))[0] == 200
        assert (await call(session, fake, "getUpdates"))[0] == 200
        assert (await call(session, fake, "setWebhook", url="http://127.0.0.1:9/hook",
                           secret_token="no spaces!"))[0] == 400


async def test_updates_are_posted_to_the_webhook_with_its_secret(fake: FakeBotAPI) -> None:
    got: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        got.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            await call(session, fake, "setWebhook", url=f"http://127.0.0.1:{port}/hook",
                       secret_token="s3cret_token-1")
        await fake.push(command(private(person(5)), "/latest"))
        assert await fake.post_update(command(private(person(5)), "/tags"), "forged") == 200
    finally:
        await runner.cleanup()
    assert [(secret, body["message"]["text"]) for secret, body in got] == [
        ("s3cret_token-1", "/latest"), ("forged", "/tags")]
    assert [p.status for p in fake.posted] == [200, 200]


def test_paid_broadcasts_go_at_a_thousand_a_second_and_no_faster() -> None:
    gate = FloodGate(FloodLimits(chat_interval=0, group_per_minute=0))
    # a burst of 1,000 paid messages to different chats at once: all admitted, the
    # ones past the free 30 billed
    answers = [gate.check(n, 10.0, paid=True) for n in range(1000)]
    assert answers == [None] * 1000
    assert gate.billed == 1000 - 30
    # one more at that moment is past 1,000 a second; a millisecond later there is room
    too_many = gate.check(1000, 10.0, paid=True)
    assert too_many is not None and too_many.status == 429
    assert too_many.parameters == {"retry_after": 1}
    assert gate.check(1001, 10.0011, paid=True) is None


def test_without_the_flag_messages_stay_at_thirty_a_second() -> None:
    gate = FloodGate(FloodLimits(chat_interval=0, group_per_minute=0))
    answers = [gate.check(n, 10.0) for n in range(31)]
    assert answers[:30] == [None] * 30
    assert answers[30] is not None and answers[30].status == 429
    assert gate.billed == 0
