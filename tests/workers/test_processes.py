"""Real `newsbot run` workers on one real PostgreSQL store, against the fake Telegram Bot
API enforcing Telegram's flood limits: three workers share a fan-out with nothing lost,
nothing twice and each chat's order kept, never provoking a 429 together; the indexer
killed mid fan-out is replaced within a lease and announces nothing twice; a sender
killed mid fan-out loses nothing and repeats at most the sends it had in flight; the
poller killed is replaced within a lease and commands are answered again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.types import Chat
from newsbot.workers.roster import LEASE_SECONDS
from newsbot_telegram import TelegramAdapter
from tests.helpers import write_post
from tests.telegram.bot_api_answers import FloodLimits
from tests.telegram.bot_api_checks import SpecChecker
from tests.telegram.fake_bot_api import FakeBotAPI, command, person, private
from tests.workers.processes import (
    INDEXER,
    Crew,
    Worker,
    collapsed,
    duplicates,
    prepare_store,
    received,
    telegram_platform,
    worker_config,
)

FIRST, SECOND = "First story of the day", "Second story of the day"
#: a takeover needs the lease to run out, then a beat of the new holder
TAKEOVER = LEASE_SECONDS + 10


@pytest.fixture
async def telegram() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(spec=SpecChecker.from_env(), limits=FloodLimits())
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert fake.violations == [], "\n".join(fake.violations)


@pytest.fixture
async def crew(telegram: FakeBotAPI) -> AsyncIterator[Crew]:
    workers = Crew(telegram_platform(telegram))
    try:
        yield workers
    finally:
        await workers.close()


async def three_workers(tmp_path: Path, url: str, crew: Crew, chats: list[int]) -> Path:
    """Two workers with the posts folder (either may index), one without (it only
    sends), all started, the store's first run done; returns the posts folder."""
    await prepare_store(url, [Chat("telegram", str(chat)) for chat in chats])
    site = worker_config(tmp_path / "site", url)
    write_post(site.parent / "_posts", "2026-01-20-old.md", "Old news")  # not news
    elsewhere = worker_config(tmp_path / "elsewhere", url, posts=False)
    for config in (site, site, elsewhere):
        await crew.add(config)
    await crew.joined()
    await crew.indexed()
    return site.parent / "_posts"


async def stop_all(crew: Crew) -> None:
    for worker in crew.workers:
        if worker.process.running:
            worker.process.terminate()
    for worker in crew.workers:
        if worker.process.proc is not None and worker.process.proc.returncode is None:
            assert await worker.process.wait_exit() == 0
    output = crew.output()
    errors = [line for line in output.splitlines() if " ERROR " in line or "Error:" in line]
    assert "Traceback" not in output, "\n".join(errors[:10])


async def test_three_workers_share_a_fan_out_once_in_order_without_a_429(
    tmp_path: Path, postgres_url: str, telegram: FakeBotAPI, crew: Crew
) -> None:
    chats = list(range(5001, 5201))  # 200 private chats, two stories each
    posts = await three_workers(tmp_path, postgres_url, crew, chats)
    assert len(crew.indexers()) == 1
    assert "_posts is not there: this worker only sends" in crew.workers[2].process.output()
    write_post(posts, "2026-03-01-first.md", FIRST)
    write_post(posts, "2026-03-02-second.md", SECOND)
    await crew.workers[0].process.wait_for(
        lambda: sum(map(len, received(telegram, [FIRST, SECOND]).values())) >= 2 * len(chats),
        "both stories in every chat", within=60)
    await stop_all(crew)

    seen = received(telegram, [FIRST, SECOND])
    assert {chat: seen[chat] for chat in chats} == {chat: [FIRST, SECOND] for chat in chats}
    assert telegram.throttled == []  # together they kept Telegram's limits
    assert all(worker.sent() > 0 for worker in crew.workers)  # the folderless one too
    # one worker polls for updates (the poller role; Telegram allows one poll at a time)
    pollers = [w for w in crew.workers
               if any(seen.path.endswith("/getUpdates") for seen in w.proxy.seen)]
    assert len(pollers) == 1


async def test_the_indexer_killed_mid_fan_out_is_replaced_and_announces_nothing_twice(
    tmp_path: Path, postgres_url: str, telegram: FakeBotAPI, crew: Crew
) -> None:
    chats = list(range(6001, 6151))
    posts = await three_workers(tmp_path, postgres_url, crew, chats)
    [indexer] = crew.indexers()
    write_post(posts, "2026-03-01-first.md", FIRST)
    await indexer.process.wait_for(
        lambda: len(received(telegram, [FIRST])) >= 50, "a third of the fan-out")
    indexer.process.kill()
    survivors = [w for w in crew.workers if w is not indexer]
    [heir] = [w for w in survivors if (w.process.config.parent / "_posts").is_dir()]
    await heir.process.wait_for_line(INDEXER, within=TAKEOVER)

    write_post(posts, "2026-03-02-second.md", SECOND)
    await heir.process.wait_for(
        lambda: all(SECOND in titles for titles in received(telegram, [SECOND]).values())
        and len(received(telegram, [SECOND])) == len(chats),
        "the next story in every chat", within=TAKEOVER + 30)
    await heir.process.wait_for(
        lambda: len(received(telegram, [FIRST])) == len(chats), "the first story everywhere")
    await stop_all(crew)

    seen = received(telegram, [FIRST, SECOND])
    assert {chat: collapsed(seen[chat]) for chat in chats} == {
        chat: [FIRST, SECOND] for chat in chats}
    assert duplicates(seen) <= TelegramAdapter.max_in_flight  # what the indexer had in flight
    announced = [line for line in crew.output().splitlines() if "announcing" in line]
    assert len([line for line in announced if "first.md" in line]) == 1
    assert len([line for line in announced if "second.md" in line]) == 1
    assert telegram.throttled == []


async def test_a_sender_killed_mid_fan_out_loses_nothing_and_repeats_only_its_sends_in_flight(
    tmp_path: Path, postgres_url: str, telegram: FakeBotAPI, crew: Crew
) -> None:
    chats = list(range(7001, 7151))
    posts = await three_workers(tmp_path, postgres_url, crew, chats)
    victim = crew.workers[2]  # the folderless worker: it only sends
    write_post(posts, "2026-03-01-first.md", FIRST)
    write_post(posts, "2026-03-02-second.md", SECOND)
    await victim.process.wait_for(lambda: victim.sent() >= 10, "the victim sending")
    # From now on Telegram delivers the victim's messages but their answers never reach
    # it; once every send slot of it holds one, kill it there.
    victim.proxy.hold_sends = True
    await victim.process.wait_for(
        lambda: victim.proxy.held() >= TelegramAdapter.max_in_flight,
        "every send slot of the victim waiting for an answer")
    in_flight = victim.proxy.held()
    victim.process.kill()
    await crew.workers[0].process.wait_for(
        lambda: sum(map(len, received(telegram, [FIRST, SECOND]).values()))
        >= 2 * len(chats) and all(len(set(t)) == 2 for t in
                                  received(telegram, [FIRST, SECOND]).values()),
        "both stories in every chat", within=TAKEOVER + 30)
    await stop_all(crew)

    seen = received(telegram, [FIRST, SECOND])
    assert {chat: collapsed(seen[chat]) for chat in chats} == {
        chat: [FIRST, SECOND] for chat in chats}
    assert duplicates(seen) <= in_flight
    assert in_flight <= TelegramAdapter.max_in_flight
    assert telegram.throttled == []



async def test_the_poller_killed_is_replaced_and_commands_are_answered_again(
    tmp_path: Path, postgres_url: str, telegram: FakeBotAPI, crew: Crew
) -> None:
    await three_workers(tmp_path, postgres_url, crew, [9101])
    reader = private(person(9102, "Ann"))

    def pollers() -> list[Worker]:
        return [w for w in crew.workers if w.process.running
                and any(seen.path.endswith("/getUpdates") for seen in w.proxy.seen)]

    await crew.workers[0].process.wait_for(lambda: len(pollers()) == 1, "one poller")
    [poller] = pollers()
    answer = await telegram.ask(command(reader, "/latest"), within=10)
    assert "Old news" in (answer.visible or "")

    poller.process.kill()
    for worker in crew.workers:
        worker.proxy.seen.clear()  # from now on: who polls after the kill
    answer = await telegram.ask(command(reader, "/tags"), within=TAKEOVER + 10)
    assert answer.chat_id == reader.id
    [heir] = pollers()
    assert heir is not poller
    await stop_all(crew)
