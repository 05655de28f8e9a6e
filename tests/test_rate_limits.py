"""The fakes' rate limits: the windows themselves, and the answers past them.

These drive the fakes over plain HTTP, so each answer can be checked field by
field; `tests/telegram/test_fake_limits.py` and `tests/discord/test_fake_limits.py`
check that the real client libraries understand them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.discord.fake_discord import FakeDiscord, RateLimits
from tests.discord.objects import NEWS, SPORT
from tests.discord.objects import TOKEN as DISCORD_TOKEN
from tests.rate_limits import FixedWindow, SlidingWindow, TokenBucket
from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI, FloodLimits


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_admits_limit_in_any_period() -> None:
    clock = Clock()
    window = SlidingWindow(3, 1.0, clock)
    for _ in range(3):
        assert window.wait() == 0.0
        window.admit()
        clock.now += 0.1
    assert window.wait() == pytest.approx(0.7)  # the first one leaves the window at 101.0
    clock.now = 101.0
    assert window.wait() == 0.0
    assert window.used == 2


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(3, 10.0, clock)  # 3 at once, then one every 0.1 s
    for _ in range(3):
        assert bucket.wait() == 0.0
        bucket.admit()
    assert bucket.wait() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.wait() == 0.0
    bucket.admit()
    clock.now += 10  # idle: full again, but never more than the burst
    for _ in range(3):
        assert bucket.wait() == 0.0
        bucket.admit()
    assert bucket.wait() > 0


def test_steady_pace_below_the_rate_survives_delays_on_the_way() -> None:
    clock = Clock()
    bucket = TokenBucket(30, 30.0, clock)
    sent = [n / 28.5 for n in range(300)]  # 95% of the rate, evenly
    arrived = sorted(t + (0.08 if n % 7 == 0 else 0.0) for n, t in enumerate(sent))
    for at in arrived:
        clock.now = 100 + at
        assert bucket.wait() == 0.0
        bucket.admit()


def test_fixed_window_opens_on_first_request_and_resets_whole() -> None:
    clock = Clock()
    bucket = FixedWindow(2, 5.0, clock)
    assert bucket.reset_after() == 5.0 and bucket.remaining == 2
    bucket.admit()
    clock.now += 1
    bucket.admit()
    assert bucket.remaining == 0 and bucket.wait() == pytest.approx(4.0)
    clock.now += 4
    assert bucket.wait() == 0.0 and bucket.remaining == 2


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def telegram_send(http: aiohttp.ClientSession, fake: FakeBotAPI,
                        chat_id: int) -> tuple[int, dict[str, Any]]:
    url = f"{fake.api_url}{TOKEN}/sendMessage"
    async with http.post(url, json={"chat_id": chat_id, "text": "hello"}) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("limits", "chats", "refused_wait"),
    [
        (FloodLimits(overall_per_second=30, chat_interval=1.0, group_per_minute=0), [5, 5], 1),
        (FloodLimits(overall_per_second=3, chat_interval=0, group_per_minute=0), [1, 2, 3, 4], 1),
        (FloodLimits(overall_per_second=30, chat_interval=0, group_per_minute=2),
         [-1001, -1001, -1001], 30),
    ],
    ids=["per chat", "overall", "per group"],
)
async def test_telegram_answers_flood_wait_past_its_limits(
    http: aiohttp.ClientSession, limits: FloodLimits, chats: list[int], refused_wait: int
) -> None:
    fake = FakeBotAPI(limits=limits)
    await fake.start()
    try:
        answers = [await telegram_send(http, fake, chat) for chat in chats]
    finally:
        await fake.close()
    assert [status for status, _ in answers] == [200] * (len(chats) - 1) + [429]
    refused = answers[-1][1]
    assert refused["parameters"]["retry_after"] == refused_wait
    assert refused["description"] == f"Too Many Requests: retry after {refused_wait}"
    assert [c.chat_id for c in fake.throttled] == [chats[-1]]
    assert len(fake.delivered()) == len(chats) - 1


async def test_telegram_limits_are_off_by_default(http: aiohttp.ClientSession) -> None:
    fake = FakeBotAPI()
    await fake.start()
    try:
        answers = [await telegram_send(http, fake, 5) for _ in range(40)]
    finally:
        await fake.close()
    assert {status for status, _ in answers} == {200} and fake.throttled == []


async def discord_post(http: aiohttp.ClientSession, fake: FakeDiscord,
                       channel: str) -> aiohttp.ClientResponse:
    url = f"{fake.api_url}/channels/{channel}/messages"
    headers = {"Authorization": f"Bot {DISCORD_TOKEN}"}
    async with http.post(url, json={"content": "hi"}, headers=headers) as response:
        await response.read()
        return response


async def test_discord_channel_bucket_headers_tell_the_truth(
    http: aiohttp.ClientSession,
) -> None:
    fake = FakeDiscord(spec=None, limits=RateLimits(channel_messages=2, channel_period=5.0))
    await fake.start()
    try:
        first, second, third = [await discord_post(http, fake, NEWS) for _ in range(3)]
        other = await discord_post(http, fake, SPORT)
    finally:
        await fake.close()
    assert [r.status for r in (first, second, third, other)] == [200, 200, 429, 200]
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert 4.0 < float(second.headers["X-RateLimit-Reset-After"]) <= 5.0
    assert third.headers["X-RateLimit-Scope"] == "user"
    assert third.headers["X-RateLimit-Bucket"] == first.headers["X-RateLimit-Bucket"]
    assert "Via" in third.headers and third.headers["Retry-After"] == "5"
    assert [r.path for r in fake.throttled] == [f"/channels/{NEWS}/messages"]


async def test_discord_global_limit_counts_every_route(http: aiohttp.ClientSession) -> None:
    fake = FakeDiscord(spec=None, limits=RateLimits(global_per_second=3))
    await fake.start()
    try:
        for _ in range(3):
            await discord_post(http, fake, NEWS)
        async with http.get(f"{fake.api_url}/users/@me") as response:
            body = await response.json()
            status, headers = response.status, response.headers
    finally:
        await fake.close()
    assert status == 429 and body["global"] is True and 0 < body["retry_after"] <= 1
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert [r.path for r in fake.throttled] == ["/users/@me"]
