"""The real bot killed or stopped in the middle of fanning a story out to Telegram chats:
after a restart every chat has the story; a kill repeats at most the sends that were
in flight, a graceful stop repeats nothing."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from newsbot.types import Chat
from newsbot_telegram import TelegramAdapter
from tests.helpers import write_post
from tests.reliability.botproc import BotProcess
from tests.reliability.conftest import pending, prepare_store, telegram_env
from tests.reliability.flaky_proxy import FlakyProxy
from tests.telegram.fake_bot_api import FakeBotAPI

STORY = "2026-03-01-fan-out.md"


def story_counts(fake: FakeBotAPI, chats: list[int]) -> Counter[int]:
    """How many times each chat received the story."""
    counts: Counter[int] = Counter()
    for call in fake.delivered():
        if "Fan-out story" in (call.visible or ""):
            counts[call.chat_id] += 1
    return Counter({chat: counts[chat] for chat in chats})


async def fan_out_bot(site: Path, bot: BotProcess, proxy: FlakyProxy, chats: list[int]) -> None:
    await prepare_store(site, [Chat("telegram", str(chat)) for chat in chats])
    write_post(site / "_posts", STORY, "Fan-out story")
    bot.env.update(telegram_env(proxy))
    bot.start()


async def test_sigkill_mid_fan_out_loses_nothing_and_repeats_only_sends_in_flight(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy
) -> None:
    chats = list(range(1001, 1301))  # 300 private chats
    await fan_out_bot(site, bot, telegram_proxy, chats)
    await bot.wait_for(lambda: sum(story_counts(telegram, chats).values()) >= 100,
                       "a third of the fan-out")
    # From now on Telegram delivers each message but the answers never arrive; once every
    # send slot holds such a message, no other send is unrecorded: kill the bot there.
    telegram_proxy.hold_sends = True
    await bot.wait_for(lambda: telegram_proxy.held() >= TelegramAdapter.max_in_flight,
                       "every send slot waiting for an answer")
    in_flight = telegram_proxy.held()  # received by Telegram, not yet answered
    bot.kill()
    before_restart = story_counts(telegram, chats)
    assert 100 <= sum(before_restart.values()) < len(chats)

    telegram_proxy.hold_sends = False
    bot.start()
    await bot.wait_for(lambda: all(story_counts(telegram, chats).values()), "every chat served")
    await bot.wait_for(lambda: pending(site) == 0, "an empty outbox")
    bot.terminate()
    assert await bot.wait_exit() == 0

    counts = story_counts(telegram, chats)
    duplicates = sum(n - 1 for n in counts.values())
    assert min(counts.values()) == 1
    assert in_flight <= TelegramAdapter.max_in_flight
    assert duplicates <= in_flight
    assert "Traceback" not in bot.output()


async def test_sigterm_mid_fan_out_exits_quickly_and_repeats_nothing(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy
) -> None:
    chats = list(range(2001, 2151))
    await fan_out_bot(site, bot, telegram_proxy, chats)
    await bot.wait_for(lambda: sum(story_counts(telegram, chats).values()) >= 40,
                       "part of the fan-out")
    asked = time.monotonic()
    bot.terminate()
    assert await bot.wait_exit(within=10) == 0  # a few seconds, never the poll timeout
    stopped_after = time.monotonic() - asked
    assert stopped_after < 10
    served = sum(story_counts(telegram, chats).values())
    assert served < len(chats)  # it really stopped in the middle
    assert pending(site) == len(chats) - served  # every answered send was recorded

    bot.start()
    await bot.wait_for(lambda: pending(site) == 0, "an empty outbox")
    bot.terminate()
    assert await bot.wait_exit() == 0
    assert set(story_counts(telegram, chats).values()) == {1}  # everyone, exactly once
    assert "Traceback" not in bot.output()
