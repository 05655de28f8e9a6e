"""The real bot killed in the middle of correcting a story in many Telegram chats: after
a restart every message shows the correction, and no message was edited twice (an
edit the platform already applied answers "message is not modified")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers import write_post
from tests.reliability.botproc import BotProcess
from tests.reliability.flaky_proxy import FlakyProxy
from tests.reliability.test_crash import STORY, fan_out_bot, story_counts
from tests.telegram.fake_bot_api import FakeBotAPI


def edit_jobs(site: Path, status: str) -> int:
    """Edit jobs in that state, read beside the running bot (WAL allows that)."""
    with sqlite3.connect(site / "newsbot.sqlite3", timeout=10) as db:
        return int(db.execute("SELECT count(*) FROM edits WHERE status = ?", (status,))
                   .fetchone()[0])


def corrected(fake: FakeBotAPI) -> int:
    """Messages that show the corrected title."""
    return sum(m.visible.startswith("Corrected story") for m in fake.messages.values())


async def test_sigkill_mid_correction_loses_no_edit(
    site: Path, bot: BotProcess, telegram: FakeBotAPI, telegram_proxy: FlakyProxy
) -> None:
    chats = list(range(3001, 3151))  # 150 private chats
    await fan_out_bot(site, bot, telegram_proxy, chats)
    await bot.wait_for(lambda: all(story_counts(telegram, chats).values()), "every chat served")
    write_post(site / "_posts", STORY, "Corrected story")  # the running bot sees the save
    await bot.wait_for(lambda: corrected(telegram) >= 40, "part of the correction")
    bot.kill()
    assert corrected(telegram) < len(chats)

    bot.start()
    await bot.wait_for(lambda: corrected(telegram) == len(chats), "every message corrected")
    await bot.wait_for(lambda: edit_jobs(site, "pending") == 0, "no edit pending")
    bot.terminate()
    assert await bot.wait_exit() == 0

    assert edit_jobs(site, "done") == len(chats)
    assert sorted(c.chat_id for c in telegram.edits()) == chats  # each applied once
    assert len(telegram.delivered()) == len(chats)  # corrected, never sent again
    assert "Traceback" not in bot.output()
