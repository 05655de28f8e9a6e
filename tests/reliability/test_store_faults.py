"""Store trouble in the real bot: a read-only database file, and a disk that fills up
in the middle of a fan-out. The bot says so in one line naming the store and exits
with 1; the database stays intact; once the cause is gone a new start delivers every
story, repeating at most the sends that were in flight.

How the faults are made, as root and without privileges alike:
- read-only: the database opened through a `mode=ro` SQLite URI (a read-only file
  as the bot sees it); where the file system allows, also the file itself made
  immutable with `chattr +i`, which even root cannot write (skipped elsewhere);
- disk full: `RLIMIT_FSIZE` set on the running bot (`prlimit`), so every write past
  that size fails the way a full disk fails it (Python ignores SIGXFSZ).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.types import Chat
from newsbot_telegram import TelegramAdapter
from tests.helpers import write_post
from tests.reliability.botproc import BotProcess
from tests.reliability.conftest import integrity, pending, prepare_store, telegram_env
from tests.reliability.flaky_proxy import FlakyProxy
from tests.telegram.fake_bot_api import FakeBotAPI

CHATS = list(range(5001, 5101))


def counts(fake: FakeBotAPI, title: str) -> Counter[int]:
    found: Counter[int] = Counter()
    for call in fake.delivered():
        if (call.visible or "").startswith(title):
            found[call.chat_id] += 1
    return found


def store_lines(bot: BotProcess) -> list[str]:
    return [line for line in bot.lines() if line.startswith("newsbot: store: ")]


def chattr(flag: str, path: Path) -> bool:
    """`chattr +i`/`-i`: whether the file system (and our privileges) allowed it."""
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def immutable(site: Path) -> Iterator[list[Path]]:
    """Files made immutable during the test; made writable again whatever happens."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available")
    made: list[Path] = []
    yield made
    for path in made:
        chattr("-i", path)


async def test_a_read_only_database_is_named_at_start_and_nothing_is_lost(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy,
) -> None:
    await prepare_store(site, [Chat("telegram", str(chat)) for chat in CHATS])
    write_post(site / "_posts", "2026-05-01-a.md", "Written while read-only")
    bot.env.update(telegram_env(telegram_proxy))
    database = site / "newsbot.sqlite3"
    bot.env["NEWSBOT_STORE_URL"] = f"sqlite:///file:{database}?mode=ro&uri=true"
    bot.start()
    assert await bot.wait_exit() == 1
    [line] = store_lines(bot)
    assert str(database) in line and "the database is read-only" in line
    assert "Traceback" not in bot.output()
    assert telegram.delivered() == []
    assert integrity(site) == "ok"

    del bot.env["NEWSBOT_STORE_URL"]  # fixed: the store is writable again
    bot.start()
    await bot.wait_for(lambda: len(counts(telegram, "Written while read-only")) == len(CHATS),
                       "every chat served")
    await bot.wait_for(lambda: pending(site) == 0, "an empty outbox")
    bot.terminate()
    assert await bot.wait_exit() == 0
    assert set(counts(telegram, "Written while read-only").values()) == {1}


async def test_an_immutable_database_file_is_named_even_for_root(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy,
    immutable: list[Path],
) -> None:
    await prepare_store(site, [Chat("telegram", str(chat)) for chat in CHATS[:5]])
    database = site / "newsbot.sqlite3"
    if not chattr("+i", database):
        pytest.skip("this file system cannot make a file immutable")
    immutable.append(database)
    write_post(site / "_posts", "2026-05-01-a.md", "Written while immutable")
    bot.env.update(telegram_env(telegram_proxy))
    bot.start()
    assert await bot.wait_exit() == 1
    [line] = store_lines(bot)
    assert str(database) in line and "read-only" in line
    assert "Traceback" not in bot.output()

    assert chattr("-i", database)
    bot.start()
    await bot.wait_for(lambda: len(counts(telegram, "Written while immutable")) == 5,
                       "every chat served")
    bot.terminate()
    assert await bot.wait_exit() == 0
    assert integrity(site) == "ok"


async def test_a_full_disk_mid_fan_out_stops_the_bot_and_the_fix_resumes_delivery(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy,
) -> None:
    await prepare_store(site, [Chat("telegram", str(chat)) for chat in CHATS])
    write_post(site / "_posts", "2026-05-02-b.md", "Written before the disk filled")
    bot.env.update(telegram_env(telegram_proxy))
    bot.start()
    await bot.wait_for(lambda: len(counts(telegram, "Written before")) >= 30,
                       "part of the fan-out")
    bot.limit_file_size(1)  # the disk is full: no file can grow, or be written past 1 byte
    assert await bot.wait_exit(within=15) == 1
    [line] = store_lines(bot)
    assert "newsbot.sqlite3" in line
    assert "is the disk full or failing" in line or "the disk is full" in line
    assert "Traceback" not in bot.output()
    served = counts(telegram, "Written before")
    assert len(served) < len(CHATS)  # it stopped in the middle
    assert integrity(site) == "ok"

    bot.start()  # space freed
    await bot.wait_for(lambda: len(counts(telegram, "Written before")) == len(CHATS),
                       "every chat served")
    await bot.wait_for(lambda: pending(site) == 0, "an empty outbox")
    bot.terminate()
    assert await bot.wait_exit() == 0
    final = counts(telegram, "Written before")
    duplicates = sum(n - 1 for n in final.values())
    assert duplicates <= TelegramAdapter.max_in_flight  # only sends that were in flight
