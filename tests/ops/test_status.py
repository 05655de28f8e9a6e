"""`newsbot status` as a person runs it: the workers of a PostgreSQL store with what
each holds, a SQLite store's single process, what waits in the outbox, and the
one-line errors of the other commands."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from newsbot.cli import main
from newsbot.delivery.edits import FAILED, EditJobs
from newsbot.delivery.outbox import Outbox
from newsbot.store import Store, schema, utcnow
from newsbot.store.subscriptions import Subscriptions
from newsbot.types import Chat, Style
from newsbot.workers.clock import store_now
from newsbot.workers.leases import Leases
from newsbot.workers.roster import Roster
from tests.helpers import make_config

A, B, C = "host-a:101:aaaaaa", "host-b:202:bbbbbb", "host-c:303:cccccc"
WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


async def claim(store: Store, worker: str, *chats: Chat) -> None:
    """What a sending worker writes for the destinations it sends to now."""
    async with store.engine.begin() as conn:
        until = await store_now(conn) + timedelta(seconds=10)
        await conn.execute(schema.chat_claims.insert(), [
            {"platform": c.platform, "chat_id": c.id, "worker_id": worker, "expires_at": until}
            for c in chats
        ])


async def fill_outbox(store: Store) -> None:
    """Telegram: 4 chats subscribed, 3 deliveries pending (1 of them failed once and waits),
    1 sent whose edit was refused, 1 more waiting to be edited; Discord: 1 chat, dead."""
    subs, outbox, edits = Subscriptions(store), Outbox(store), EditJobs(store)
    chats = [Chat("telegram", str(n)) for n in (11, 12, 13, 14)]
    for chat in [*chats, Chat("discord", "900")]:
        await subs.subscribe(chat)
    async with store.engine.begin() as conn:
        await outbox.queue(conn, [("story-1", chat, Style()) for chat in chats], utcnow())
        await outbox.queue(conn, [("story-0", Chat("discord", "900"), Style())], utcnow())
    first, second, third, _fourth = await outbox.pending("telegram")
    await outbox.mark_sent(first.id, "m1")
    await outbox.mark_sent(second.id, "m2")
    await outbox.postpone(third.id, utcnow() + timedelta(minutes=1), 1, "server error")
    async with store.engine.begin() as conn:
        await edits.queue(conn, ["story-1"])
    refused, _waiting = await edits.pending("telegram")
    await edits.finish(refused, FAILED, "message can't be edited")
    await outbox.mark_dead("discord", "900", "bot removed")
    async with store.engine.begin() as conn:  # a story queued for them since
        await outbox.queue(conn, [("story-2", chats[0], Style())], utcnow())


@pytest.fixture
async def cluster(postgres_url: str) -> AsyncIterator[Store]:
    """Three workers' rows: A holds the indexer and the poller and sends to two chats,
    B two Discord shards and one chat; C was killed a while ago."""
    store = await Store.open(postgres_url)
    for worker in (A, B, C):
        await Roster(store, worker).beat()
    await Leases(store, A).take_many(["indexer", "poller:telegram"])
    await Leases(store, B).take_many(["shard:discord:0", "shard:discord:1"])
    await claim(store, A, Chat("telegram", "11"), Chat("telegram", "12"))
    await claim(store, B, Chat("telegram", "13"))
    w = schema.workers
    async with store.engine.begin() as conn:
        await conn.execute(update(w).where(w.c.id == C)
                           .values(seen_at=w.c.seen_at - timedelta(seconds=75)))
    await fill_outbox(store)
    yield store
    await store.close()


def status(tmp_path: Path, url: str, *args: str) -> None:
    """`newsbot status` over a newsbot.toml whose store is `url`; it must succeed."""
    make_config(tmp_path, sections={"store": {"url": url}})
    assert main(["status", "--config", str(tmp_path / "newsbot.toml"), *args]) == 0


async def test_status_lists_each_worker_with_its_leases_and_claims_and_the_outbox(
    cluster: Store, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status(tmp_path, postgres_url)
    lines = capsys.readouterr().out.splitlines()
    database = postgres_url.rsplit("/", 1)[1]
    assert re.fullmatch(rf"store: postgresql://postgres@127\.0\.0\.1:\d+/{database} "
                        r"\(several workers\)", lines[0])
    assert lines[1] == "workers: 2 live, 1 gone"
    patterns = [
        rf"  {A} \(live\): host host-a, pid 101, started {WHEN}, last heartbeat [0-9]s ago",
        r"    leases: indexer \(expires in ([7-9]|10)s\), "
        r"poller:telegram \(expires in ([7-9]|10)s\)",
        r"    chats claimed: 2",
        rf"  {B} \(live\): host host-b, pid 202, started {WHEN}, last heartbeat [0-9]s ago",
        r"    leases: shard:discord:0 \(expires in ([7-9]|10)s\), "
        r"shard:discord:1 \(expires in ([7-9]|10)s\)",
        r"    chats claimed: 1",
        rf"  {C} \(gone\): host host-c, pid 303, started {WHEN}, "
        r"last heartbeat 1m 1[5-9]s ago",
        "outbox:",
        "  platform  pending  retrying  edits pending  edits failed  subscribed  dead",
        "  discord         0         0              0             0           0     1",
        "  telegram        3         1              1             1           4     0",
    ]
    assert len(lines) == 2 + len(patterns)
    for line, pattern in zip(lines[2:], patterns, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


async def test_status_json_says_the_same_to_programs(
    cluster: Store, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status(tmp_path, postgres_url, "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "several workers"
    workers = {w["id"]: w for w in report["workers"]}
    assert [w["id"] for w in report["workers"]] == [A, B, C]
    assert [w["state"] for w in report["workers"]] == ["live", "live", "gone"]
    assert [lease["name"] for lease in workers[A]["leases"]] == ["indexer", "poller:telegram"]
    assert all(7 <= lease["expires_in"] <= 10 for lease in workers[B]["leases"])
    assert (workers[A]["chats_claimed"], workers[B]["chats_claimed"],
            workers[C]["chats_claimed"]) == (2, 1, 0)
    assert (workers[C]["host"], workers[C]["pid"]) == ("host-c", 303)
    assert 75 <= workers[C]["silent_for"] < 80
    assert workers[A]["started_at"].endswith("Z")
    assert report["platforms"] == {
        "discord": {"pending": 0, "retrying": 0, "edits_pending": 0, "edits_failed": 0,
                    "subscribed": 0, "dead": 1},
        "telegram": {"pending": 3, "retrying": 1, "edits_pending": 1, "edits_failed": 1,
                     "subscribed": 4, "dead": 0},
    }


async def test_a_lease_held_by_a_worker_off_the_roster_is_still_shown(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await Store.open(postgres_url)
    try:
        await Leases(store, "host-x:9:xxxxxx").take("indexer")  # no roster row (forgotten)
    finally:
        await store.close()
    status(tmp_path, postgres_url)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:4] == [
        "workers: 0 live, 0 gone",
        "  host-x:9:xxxxxx (not on the roster)",
        lines[3],
    ]
    assert re.fullmatch(r"    leases: indexer \(expires in ([7-9]|10)s\)", lines[3])
    assert lines[4] == "outbox: empty (no destination has subscribed yet)"


async def test_on_sqlite_status_says_single_process_and_shows_the_outbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'newsbot.sqlite3'}"
    store = await Store.open(url)
    try:
        await fill_outbox(store)
    finally:
        await store.close()
    status(tmp_path, url)
    assert capsys.readouterr().out.splitlines() == [
        f"store: {url} (single process)",
        "workers: one process on SQLite (several workers need PostgreSQL)",
        "outbox:",
        "  platform  pending  retrying  edits pending  edits failed  subscribed  dead",
        "  discord         0         0              0             0           0     1",
        "  telegram        3         1              1             1           4     0",
    ]
    status(tmp_path, url, "--json")
    report = json.loads(capsys.readouterr().out)
    assert (report["mode"], report["workers"]) == ("single process", [])
    assert report["platforms"]["telegram"]["pending"] == 3


def test_a_bad_config_is_the_same_one_line_as_for_the_other_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "newsbot.toml").write_text('[store]\nurl = "mysql://x"\n', encoding="utf-8")
    config = str(tmp_path / "newsbot.toml")
    assert main(["status", "--config", config]) == 1
    said = capsys.readouterr().err
    assert said == (f"newsbot: {config}: store.url: must be a sqlite:///FILE or "
                    "postgresql://… database URL\n")
    assert main(["check", "--config", config]) == 1
    assert capsys.readouterr().err == said
    assert main(["status", "--config", str(tmp_path / "missing.toml")]) == 1
    assert capsys.readouterr().err == f"newsbot: {tmp_path / 'missing.toml'}: configuration " \
                                      "file not found\n"


def test_a_store_that_is_not_there_is_one_line_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_config(tmp_path)
    assert main(["status", "--config", str(tmp_path / "newsbot.toml")]) == 1
    store = tmp_path / "newsbot.sqlite3"
    assert capsys.readouterr().err == (
        f"newsbot: store: sqlite:///{store}: no store there yet (`newsbot run` creates it)\n"
    )
    assert not store.exists()


def test_a_store_that_cannot_be_reached_is_one_line_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://newsbot:s3cret-word@127.0.0.1:1/news"
    make_config(tmp_path, sections={"store": {"url": url}})
    assert main(["status", "--config", str(tmp_path / "newsbot.toml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsbot: store: postgresql://newsbot:***@127.0.0.1:1/news: "
                          "cannot connect (")
    assert "s3cret" not in err and err.count("\n") == 1
