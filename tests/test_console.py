"""The console adapter: deliveries as printed, and typed commands answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.web.tokens import Identity
from tests.helpers import console_room, make_config, write_post


@pytest.fixture
async def console(tmp_path):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    write_post(posts, "2026-01-30-budget.md", "Budget day", tags=["economy"],
               extra="image: assets/b.jpg\nauthor: Ann")
    write_post(posts, "2026-01-31-vote.md", "The vote", tags=["politics"])
    room, get = console_room(config)
    await room.start()
    yield room, get()
    await room.stop()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/latest", "Latest stories:\n1. The vote (31 Jan 2026 10:00)\n"
                    "   https://news.example.org/news/2026/01/31/vote.html\n"
                    "2. Budget day (30 Jan 2026 10:00)\n"
                    "   https://news.example.org/news/2026/01/30/budget.html"),
        ("/latest 1", "Latest stories:\n1. The vote (31 Jan 2026 10:00)\n"
                      "   https://news.example.org/news/2026/01/31/vote.html"),
        ("/latest many", "The number of stories must be a whole number from 1 to 20."),
        ("/tag Economy", "Stories tagged Economy:\n1. Budget day (30 Jan 2026 10:00)\n"
                         "   https://news.example.org/news/2026/01/30/budget.html"),
        ("/tag politic", "No stories are tagged “politic”. Did you mean: politics?"),
        ("/tag", "Which tag? For example: /tag politics"),
        ("/tags", "Tags: News (2), economy (1), politics (1)"),
        ("/settings", "This console receives every new story."
                      " Corrections: sent stories are edited in place."),
        ("/subscribe politics", "Subscribed: this console will receive stories tagged politics."),
        ("/frobnicate", "Unknown command /frobnicate. Type /help for the list."),
        ("hello", "Commands start with /. Type /help for the list."),
        ("/latest@otherbot", "Commands start with /. Type /help for the list."),
    ],
)
async def test_typed_commands_are_answered(console, line, expected):
    _, adapter = console
    assert await adapter.handle(line) == expected
    assert expected in adapter.output.getvalue()


async def test_help_lists_every_command(console):
    _, adapter = console
    answer = await adapter.handle("/help")
    for name in ("latest", "tag", "tags", "subscribe", "unsubscribe", "settings", "help"):
        assert f"/{name}" in answer


async def test_unsubscribe_then_settings(console):
    _, adapter = console
    answer = await adapter.handle("/unsubscribe")
    assert answer == "Unsubscribed: no more stories will be sent here."
    assert await adapter.handle("/settings") == (
        "This console is not subscribed. Use /subscribe to receive new stories."
    )


async def test_delivery_prints_the_story(console):
    room, adapter = console
    write_post(room.config.site.posts_dir, "2026-02-01-new.md", "New <b>thing</b> & more",
               tags=["tech"], extra="image: /img/n.png\nauthor: Bo\nexcerpt: Short one.")
    await room.scan()
    await room.drain()
    [(_, _, text)] = adapter.sent
    assert text.splitlines()[1:-1] == [
        "New <b>thing</b> & more",
        "Short one.",
        "01 Feb 2026 10:00 · by Bo · #tech #News",
        "https://news.example.org/news/2026/02/01/new.html",
        "Image: https://news.example.org/img/n.png",
    ]
    assert text in adapter.output.getvalue()


async def test_format_command_and_compact_delivery(console):
    room, adapter = console
    assert await adapter.handle("/format compact") == (
        "Format saved: this console receives stories as one line each.")
    write_post(room.config.site.posts_dir, "2026-02-01-new.md", "New thing", tags=["tech"],
               extra="excerpt: First line. Second line.")
    await room.scan()
    await room.drain()
    [(_, _, text)] = adapter.sent
    assert text == "New thing\nFirst line.\nhttps://news.example.org/news/2026/02/01/new.html"
    assert await adapter.handle("/format headline") == (
        "Format saved: this console receives stories as headlines.")
    assert await adapter.handle("/settings") == (
        "This console receives every new story, as headlines."
        " Corrections: sent stories are edited in place.")


async def test_format_noedits_in_the_console(console):
    room, adapter = console
    assert await adapter.handle("/format noedits") == (
        "Format saved: this console receives stories as full cards. Corrections: sent "
        "stories stay as they were (/format edits turns corrections on).")
    assert await adapter.handle("/settings") == (
        "This console receives every new story. Corrections: sent stories stay as they were "
        "(/format edits turns corrections on).")
    [sub] = await room.queries.subscriptions("console")
    assert sub.edits == "ignore"


async def test_manage_in_the_console_prints_a_link_for_its_owner(tmp_path: Path) -> None:
    config = make_config(tmp_path, sections={"web": {"listen": "127.0.0.1:0",
                                                     "public_url": "http://localhost:8080"}})
    room, console = console_room(config)
    await room.start()
    try:
        printed = console().output.getvalue()  # at start, the way in is shown at once
        assert "Your page with every chat you moderate: http://localhost:8080/signin" in printed
        answer = await console().handle("/manage")
        token = answer.split("http://localhost:8080/signin?token=")[1].split()[0]
        assert room.sign_in is not None
        session, _ = await room.sign_in.redeem(token)
        assert session.identity == Identity("console", "console")
    finally:
        await room.stop()
