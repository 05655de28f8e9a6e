"""The command desk alone: neutral requests in, neutral replies out, rows in the store.

The platforms' own tests (tests/telegram, tests/discord, tests/test_console.py) show the
same answers rendered; here each rule is checked once, with an `Access` that answers as
the test says (an implementation of the core's contract, not a stand-in for a library).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.app import Newsroom
from newsbot.chat.commands import Option
from newsbot.chat.desk import CommandDesk
from newsbot.chat.requests import Access, Found, Reply, Request, Terms
from newsbot.types import Chat
from tests.helpers import ScriptedAdapter, make_config, scripted_room, two_posts

TERMS = Terms(noun="group", moderators="admins", moderator="an admin",
              chat_reference=re.compile(r"@\w+"), reference_example="@name")
HERE = Chat("scripted", "-1", "Readers")
CHANNEL = Chat("scripted", "-9", "World news")


class Rights(Access):
    """Rights as a test sets them: who moderates what, what the bot lacks where."""

    def __init__(self, moderates: dict[str, bool | None], missing: tuple[str, ...] = ()) -> None:
        self.moderates = moderates
        self.missing = missing
        self.asked: list[str] = []

    async def may_moderate(self, chat: Chat) -> bool | None:
        self.asked.append(f"moderate {chat.id}")
        return self.moderates.get(chat.id, False)

    async def bot_missing(self, chat: Chat) -> tuple[str, ...]:
        self.asked.append(f"bot {chat.id}")
        return self.missing

    async def find_chat(self, reference: str) -> Found | None:
        if reference == "@news":
            return Found(CHANNEL)
        if reference == "@ann":
            return Found(Chat("scripted", "501", "Ann"), configurable=False)
        return None


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Newsroom]:
    config = make_config(tmp_path)
    two_posts(config.site.posts_dir)
    newsroom = scripted_room(config, ScriptedAdapter())
    await newsroom.start()
    yield newsroom
    await newsroom.stop()


async def ask(desk: CommandDesk, text: str, rights: Access | None = None,
              private: bool = False) -> Reply:
    name, *args = text.lstrip("/").split()
    return await desk.answer(Request(name, HERE, tuple(args), access=rights or Rights({}),
                                     terms=TERMS, private=private))


async def test_latest_tag_and_tags_are_neutral_lists(room: Newsroom) -> None:
    latest = await ask(room.desk, "/latest")
    assert latest.heading == "Latest stories" and not latest.private
    assert [s.title for s in latest.stories] == ["The vote", "Budget day"]
    tagged = await ask(room.desk, "/tag #UK 1")
    assert tagged.heading == "Stories tagged #UK" and [s.title for s in tagged.stories] == [
        "The vote"]
    tags = await ask(room.desk, "/tags")
    assert tags.heading == "Tags" and tags.items == (
        "News (2)", "economy (1)", "politics (1)", "uk (1)")
    unknown = await ask(room.desk, "/tag politcs")
    assert unknown == Reply(text="No stories are tagged “politcs”. Did you mean: politics?",
                            suggestions=("politics",), private=True)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/latest 0x10", "The number of stories must be a whole number from 1 to 20."),
        ("/tag", "Which tag? For example: /tag politics"),
        ("/tag " + "x" * 65, "A tag can be at most 64 characters long."),
        ("/frobnicate", "Unknown command /frobnicate. Type /help for the list."),
    ],
)
async def test_usage_errors_are_private_sentences(room: Newsroom, text: str, answer: str) -> None:
    assert await ask(room.desk, text) == Reply(text=answer, private=True)


async def test_a_line_that_is_no_command_and_an_alias(room: Newsroom) -> None:
    empty = await room.desk.answer(Request("", HERE))
    assert empty.text == "Commands start with /. Type /help for the list."
    start = await ask(room.desk, "/start", private=True)
    assert start == await ask(room.desk, "/help", private=True)
    assert "/subscribe @name [tag ...]" in start.text  # how to name another chat
    assert "@name" not in (await ask(room.desk, "/help")).text  # not in a group


async def test_moderator_subscribes_here_with_the_sites_spelling(room: Newsroom) -> None:
    rights = Rights({HERE.id: True})
    reply = await ask(room.desk, "/subscribe #Politics, UK, spaceflight", rights)
    assert reply.text == (
        "Subscribed: this group will receive stories tagged politics, uk, spaceflight. "
        "No stories are tagged “spaceflight” yet."
    )
    sub = await room.queries.settings(HERE)
    assert sub is not None and sub.tags == ("politics", "uk", "spaceflight")
    assert rights.asked == [f"moderate {HERE.id}", f"bot {HERE.id}"]


@pytest.mark.parametrize(
    ("moderates", "missing", "answer"),
    [
        (False, (), "Only admins can change this group's subscription."),
        (None, (), "Only admins can change this group's subscription."),
        (True, ("Send Messages", "Embed Links"),
         "I cannot post in this group: I need the Send Messages and Embed Links permissions "
         "there."),
    ],
)
async def test_refusals_here_change_nothing(
    room: Newsroom, moderates: bool | None, missing: tuple[str, ...], answer: str
) -> None:
    for text in ("/subscribe", "/unsubscribe"):
        reply = await ask(room.desk, text, Rights({HERE.id: moderates}, missing))
        if text == "/unsubscribe" and moderates:
            assert reply.text == "This group was not subscribed."  # no bot check to leave
            continue
        assert reply == Reply(text=answer, private=True)
    assert await room.queries.subscriptions() == []


@pytest.mark.parametrize(
    ("moderates", "missing", "answer"),
    [
        (True, (), "Subscribed: World news will receive every new story."),
        (False, (), "You are not an admin of World news."),
        (None, (), "I could not check that you are an admin of World news."),
        (True, ("Post Messages",),
         "I cannot post in World news: I need the Post Messages permission there."),
        (False, ("Post Messages",), "You are not an admin of World news. "
         "I cannot post in World news: I need the Post Messages permission there."),
    ],
)
async def test_another_chat_named_in_private(
    room: Newsroom, moderates: bool | None, missing: tuple[str, ...], answer: str
) -> None:
    rights = Rights({CHANNEL.id: moderates}, missing)
    reply = await ask(room.desk, "/subscribe @news", rights, private=True)
    assert reply.text == answer
    subscribed = [s.chat.id for s in await room.queries.subscriptions()]
    assert subscribed == ([CHANNEL.id] if answer.startswith("Subscribed") else [])
    assert HERE.id not in "".join(rights.asked)  # only the named chat is asked about


@pytest.mark.parametrize(
    ("text", "private", "answer"),
    [
        ("/subscribe @news", False, "To configure another chat, send me the command in private."),
        ("/settings @nobody", True, "I cannot find @nobody. Check the name, and add me to it "
         "first."),
        ("/unsubscribe @ann", True, "@ann is not a group or channel."),
    ],
)
async def test_chat_references_that_cannot_be_used(
    room: Newsroom, text: str, private: bool, answer: str
) -> None:
    reply = await ask(room.desk, text, Rights({CHANNEL.id: True}), private=private)
    assert reply == Reply(text=answer, private=True)


async def test_settings_and_unsubscribe_of_another_chat(room: Newsroom) -> None:
    owner = Rights({CHANNEL.id: True})
    await ask(room.desk, "/subscribe @news economy", owner, private=True)
    shown = await ask(room.desk, "/settings @news", owner, private=True)
    assert shown == Reply(text="World news receives stories tagged economy."
                          " Corrections: sent stories are edited in place.", private=True)
    stranger = await ask(room.desk, "/settings @news", Rights({}), private=True)
    assert stranger.text == "You are not an admin of World news."
    gone = await ask(room.desk, "/unsubscribe @news", owner, private=True)
    assert gone.text == "Unsubscribed: no more stories will be sent to World news."
    assert await room.queries.subscriptions() == []


async def test_settings_of_a_dead_chat_and_of_none(room: Newsroom) -> None:
    assert (await ask(room.desk, "/settings")).text == (
        "This group is not subscribed. Use /subscribe to receive new stories.")
    await room.subscriptions.subscribe(HERE, ("uk",))
    await room.outbox.mark_dead("scripted", HERE.id, "bot was kicked")
    assert (await ask(room.desk, "/settings")).text == (
        "This group was subscribed to stories tagged uk, but delivery stopped (bot was "
        "kicked). Use /subscribe again once I can post.")


async def test_a_failing_handler_gets_an_apology_and_a_log_line(
    room: Newsroom, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(n: int | None = None) -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(room.queries, "latest", broken)
    reply = await ask(room.desk, "/latest")
    assert reply == Reply(text="Sorry, something went wrong on my side. Please try again later.",
                          private=True)
    assert any(r.getMessage() == "/latest failed" and r.exc_info for r in caplog.records)


async def test_a_destination_the_platform_resolved_is_the_one_configured(
    room: Newsroom,
) -> None:
    """A platform's own picker (Discord's `channel` option) names the destination, in a
    group too; only that destination's rights are asked about."""

    async def pick(text: str, target: Chat, rights: Rights) -> Reply:
        name, *args = text.lstrip("/").split()
        return await room.desk.answer(Request(name, HERE, tuple(args), access=rights,
                                              terms=TERMS, target=target))

    stranger = Rights({HERE.id: True, CHANNEL.id: False})
    refused = await pick("/subscribe uk", CHANNEL, stranger)
    assert refused == Reply(text="You are not an admin of World news.", private=True)
    assert await room.queries.subscriptions() == []
    assert stranger.asked == [f"moderate {CHANNEL.id}", f"bot {CHANNEL.id}"]

    owner = Rights({CHANNEL.id: True})
    done = await pick("/subscribe uk", CHANNEL, owner)
    assert done.text == "Subscribed: World news will receive stories tagged uk."
    assert HERE.id not in "".join(owner.asked)
    formatted = await pick("/format headline", CHANNEL, owner)
    assert formatted.text == "Format saved: World news receives stories as headlines."
    [sub] = await room.queries.subscriptions()
    assert (sub.chat.id, sub.style.format) == (CHANNEL.id, "headline")

    here = await pick("/subscribe", Chat("scripted", HERE.id, "other title"),
                      Rights({HERE.id: False}))
    assert here == Reply(text="Only admins can change this group's subscription.", private=True)


# -- completing typed options --------------------------------------------------------

TAG, TAGS = Option("tag", "tag"), Option("tags", "tags")


@pytest.mark.parametrize(
    ("option", "typed", "width", "offers"),
    [
        (TAG, "e", 100, ["economy", "News"]),
        (TAG, "e", 3, ["eco", "New"]),  # cut to the platform's width
        (TAGS, "po", 100, ["politics"]),
        (TAGS, "politics, ", 100, ["politics, News", "politics, economy", "politics, uk"]),
        # the ones taken are not offered again
        (TAGS, "politics,uk, n", 100, ["politics, uk, News", "politics, uk, economy"]),
        # a list longer than the width is not offered ("politics, economy")
        (TAGS, "politics, e", 15, ["politics, News"]),
    ],
)
async def test_tag_options_complete_from_the_sites_tags(
    room: Newsroom, option: Option, typed: str, width: int, offers: list[str]
) -> None:
    assert await room.desk.complete(option, typed, width=width) == offers
