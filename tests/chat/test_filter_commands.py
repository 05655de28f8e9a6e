"""/subscribe with tags in and out, and /filter: what is stored, what /settings says,
and which destination gets which story when stories are announced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.app import Newsroom
from newsbot.chat.requests import Access, Reply, Request, Terms
from newsbot.types import Chat, Filters, Style
from tests.helpers import ScriptedAdapter, make_config, scripted_room, two_posts, write_post

TERMS = Terms(noun="chat", moderators="admins", moderator="an admin")


class Moderates(Access):
    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed

    async def may_moderate(self, chat: Chat) -> bool | None:
        return self.allowed


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[Newsroom, ScriptedAdapter]]:
    config = make_config(tmp_path)
    two_posts(config.site.posts_dir)
    adapter = ScriptedAdapter()
    newsroom = scripted_room(config, adapter)
    await newsroom.start()
    yield newsroom, adapter
    await newsroom.stop()


async def say(room: Newsroom, chat_id: str, text: str, *, allowed: bool = True) -> Reply:
    name, *args = text.lstrip("/").split(" ")
    request = Request(name, Chat("scripted", chat_id, f"Chat {chat_id}"),
                      tuple(a for a in args if a), access=Moderates(allowed), terms=TERMS)
    return await room.desk.answer(request)


async def test_tags_in_and_out_and_filters_are_stored_and_described(room) -> None:
    newsroom, _ = room
    reply = await say(newsroom, "1", "/subscribe sport politics -football")
    assert reply.text.startswith(
        "Subscribed: this chat will receive stories tagged sport, politics "
        "except those tagged football.")
    reply = await say(newsroom, "1", '/filter ukraine "interest rates" -sponsored /ru?ble/')
    assert reply.text == (
        "Filter saved: this chat receives stories tagged sport, politics except those tagged "
        "football, only those that mention ukraine or “interest rates” or /ru?ble/, never "
        "those that mention sponsored.")
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and sub.exclude == ("football",)
    assert sub.filters == Filters(keep=("ukraine", "interest rates"), drop=("sponsored",),
                                  patterns=("ru?ble",))
    assert (await say(newsroom, "1", "/settings")).text.startswith(
        "This chat receives stories tagged sport, politics except those tagged football, only")
    await say(newsroom, "1", "/subscribe economy")  # new tags keep the filter
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and sub.tags == ("economy",) and sub.exclude == () and sub.filters
    cleared = await say(newsroom, "1", "/filter off")
    assert cleared.text == "Filter saved: this chat receives stories tagged economy."


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/filter", 'Which words? For example: /filter ukraine "interest rates" -sponsored '
                    "/ru?ble/ (or /filter off to clear it)."),
        ("/filter /(?<=x)y/", "The pattern /(?<=x)y/ cannot be used: invalid perl operator: (?<"),
        ("/filter " + " ".join(f"w{i}" for i in range(300)),
         "A filter can hold at most 25 words and phrases."),
        ("/filter " + "/a/ " * 400, "A filter can hold at most 5 patterns."),
        ("/subscribe " + " ".join(f"-t{i}" for i in range(3000)),
         "A subscription can filter on at most 25 tags."),
    ],
)
async def test_bad_and_hostile_arguments_get_one_line_and_change_nothing(
    room, text: str, answer: str
) -> None:
    newsroom, _ = room
    await say(newsroom, "1", "/subscribe")
    await say(newsroom, "1", "/filter keep")
    before = await newsroom.queries.settings(Chat("scripted", "1"))
    reply = await say(newsroom, "1", text)
    assert reply.private and "\n" not in reply.text and len(reply.text) <= 200
    assert reply.text.startswith(answer)
    assert await newsroom.queries.settings(Chat("scripted", "1")) == before


async def test_only_moderators_filter_and_an_unsubscribed_chat_is_told(room) -> None:
    newsroom, _ = room
    await say(newsroom, "1", "/subscribe")
    refused = await say(newsroom, "1", "/filter -sport", allowed=False)
    assert refused == Reply(text="Only admins can change this chat's subscription.", private=True)
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and not sub.filters
    lonely = await say(newsroom, "2", "/filter sport")
    assert lonely.text == "This chat is not subscribed. Use /subscribe first, then /filter."
    assert await newsroom.queries.settings(Chat("scripted", "2")) is None


async def test_each_destination_gets_the_stories_it_asked_for(room) -> None:
    newsroom, adapter = room
    await say(newsroom, "all", "/subscribe")
    await say(newsroom, "sport", "/subscribe sport -football")
    await say(newsroom, "words", "/subscribe")
    await say(newsroom, "words", '/filter "interest rates" -sponsored')
    await say(newsroom, "pattern", "/subscribe")
    await say(newsroom, "pattern", "/filter /^(?:breaking|urgent):/")
    posts = newsroom.config.site.posts_dir
    write_post(posts, "2026-02-01-cup.md", "Cup final", tags=["sport", "football"])
    write_post(posts, "2026-02-02-tennis.md", "Tennis open", tags=["sport"])
    write_post(posts, "2026-02-03-rates.md", "Interest-rates rise", tags=["economy"])
    write_post(posts, "2026-02-04-ad.md", "Interest rates: a sponsored guide", tags=["economy"])
    write_post(posts, "2026-02-05-urgent.md", "URGENT: bridge closed", tags=["local"])
    await newsroom.scan()
    await newsroom.drain()
    got: dict[str, list[str]] = {}
    for chat_id, post_id in adapter.sent:
        got.setdefault(chat_id, []).append(post_id.split("-", 3)[-1].removesuffix(".md"))
    assert got == {
        "all": ["cup", "tennis", "rates", "ad", "urgent"],
        "sport": ["tennis"],
        "words": ["rates"],
        "pattern": ["urgent"],
    }


async def test_a_changed_filter_applies_to_the_next_story_at_once(room) -> None:
    newsroom, adapter = room
    posts = newsroom.config.site.posts_dir
    await say(newsroom, "1", "/subscribe")
    write_post(posts, "2026-02-01-a.md", "Storm warning", tags=["weather"])
    await newsroom.scan()
    await say(newsroom, "1", "/filter -storm")  # prepared subscriptions are read again
    write_post(posts, "2026-02-02-b.md", "Storm passes", tags=["weather"])
    write_post(posts, "2026-02-03-c.md", "Sunny days", tags=["weather"])
    await newsroom.scan()
    await newsroom.drain()
    await newsroom.outbox.mark_dead("scripted", "1", "gone")  # and after this too
    write_post(posts, "2026-02-04-d.md", "Sunny again", tags=["weather"])
    await newsroom.scan()
    await newsroom.drain()
    assert [post_id for _, post_id in adapter.sent] == ["2026-02-01-a.md", "2026-02-03-c.md"]


async def test_format_is_stored_described_and_used_for_the_next_stories(room) -> None:
    newsroom, adapter = room
    await say(newsroom, "1", "/subscribe")
    assert (await say(newsroom, "1", "/format headline silent")).text == (
        "Format saved: this chat receives stories as headlines, silently.")
    assert (await say(newsroom, "1", "/settings")).text == (
        "This chat receives every new story, as headlines, silently."
        " Corrections: sent stories are edited in place.")
    assert (await say(newsroom, "1", "/format loud")).text == (
        "Format saved: this chat receives stories as headlines.")
    for bad in ("/format", "/format tiny", "/format compact shouty"):
        reply = await say(newsroom, "1", bad)
        assert reply.private and reply.text.startswith("How should stories look?")
    refused = await say(newsroom, "1", "/format full", allowed=False)
    assert refused.text == "Only admins can change this chat's subscription."
    assert (await say(newsroom, "2", "/format compact")).text == (
        "This chat is not subscribed. Use /subscribe first, then /format.")
    write_post(newsroom.config.site.posts_dir, "2026-02-01-a.md", "A story", tags=["x"])
    await newsroom.scan()
    await newsroom.drain()
    assert adapter.styles == {("1", "2026-02-01-a.md"): Style("headline", False)}
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and sub.style == Style("headline", False)


async def test_format_edits_and_noedits_set_the_chats_corrections(room) -> None:
    newsroom, _ = room
    await say(newsroom, "1", "/subscribe")
    assert (await say(newsroom, "1", "/format compact noedits")).text == (
        "Format saved: this chat receives stories as one line each. Corrections: sent stories "
        "stay as they were (/format edits turns corrections on).")
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and (sub.edits, sub.style) == ("ignore", Style("compact"))
    assert (await say(newsroom, "1", "/settings")).text == (
        "This chat receives every new story, as one line each. Corrections: sent stories "
        "stay as they were (/format edits turns corrections on).")
    assert (await say(newsroom, "1", "/format full")).text == (  # the policy stays
        "Format saved: this chat receives stories as full cards.")
    assert (await say(newsroom, "1", "/format EDITS")).text == (
        "Format saved: this chat receives stories as full cards. "
        "Corrections: sent stories are edited in place.")
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and sub.edits == "update"
    refused = await say(newsroom, "1", "/format noedits", allowed=False)
    assert refused.text == "Only admins can change this chat's subscription."
    bad = await say(newsroom, "1", "/format no-edits")
    assert bad.private and "/format noedits (stories already sent stay" in bad.text
    assert (await say(newsroom, "2", "/format noedits")).text == (
        "This chat is not subscribed. Use /subscribe first, then /format.")
    sub = await newsroom.queries.settings(Chat("scripted", "1"))
    assert sub is not None and sub.edits == "update"


@pytest.mark.parametrize(("delivery", "said"), [
    ({"deletions": "delete"},
     "Corrections: sent stories are edited in place, and deleted when withdrawn."),
    ({"edits": "ignore", "deletions": "delete"},
     "Corrections: sent stories are deleted when withdrawn, not edited (the site's setting)."),
    ({"edits": "ignore"},
     "Corrections: sent stories stay as they were (the site's setting)."),
])
async def test_settings_say_what_the_sites_corrections_settings_do_here(
    tmp_path: Path, delivery: dict[str, str], said: str
) -> None:
    newsroom = scripted_room(make_config(tmp_path, sections={"delivery": delivery}),
                             ScriptedAdapter())
    await newsroom.start()
    try:
        await say(newsroom, "1", "/subscribe")
        assert (await say(newsroom, "1", "/settings")).text == (
            f"This chat receives every new story. {said}")
        await say(newsroom, "1", "/format noedits")  # the chat's own "no" is said as such
        assert (await say(newsroom, "1", "/settings")).text.endswith(
            "stay as they were (/format edits turns corrections on).")
    finally:
        await newsroom.stop()


async def test_a_first_batch_is_the_newest_matching_stories_oldest_first_once(room) -> None:
    newsroom, adapter = room
    posts = newsroom.config.site.posts_dir
    for day, tag in ((1, "sport"), (2, "politics"), (3, "sport"), (4, "sport")):
        write_post(posts, f"2026-02-0{day}-s{day}.md", f"Story {day}", tags=[tag])
    await newsroom.scan()  # before anyone subscribed: announced to nobody
    await newsroom.drain()
    reply = await say(newsroom, "1", "/subscribe sport last:2")
    assert reply.text == ("Subscribed: this chat will receive stories tagged sport. "
                          "The newest 2 stories are on their way, oldest first.")
    await newsroom.drain()
    assert adapter.sent == [("1", "2026-02-03-s3.md"), ("1", "2026-02-04-s4.md")]
    again = await say(newsroom, "1", "/subscribe sport last:10")
    assert again.text.endswith("Of the newest 3 stories, 1 more is on its way.")
    await newsroom.drain()
    assert [p for _, p in adapter.sent] == [  # each story reaches the chat once
        "2026-02-03-s3.md", "2026-02-04-s4.md", "2026-02-01-s1.md"]
    for bad in ("last:0", "last:11", "last:many"):
        refused = await say(newsroom, "2", f"/subscribe {bad}")
        assert refused.text == "last: takes a number of stories from 1 to 10, like last:3."
    assert await newsroom.queries.settings(Chat("scripted", "2")) is None
    none = await say(newsroom, "3", "/subscribe weather last:3")
    assert none.text.endswith("No published story matches yet.")
    here = await say(newsroom, "1", "/subscribe sport last:1")
    assert here.text.endswith("The newest story is here already.")


async def test_publish_is_part_of_the_style(room) -> None:
    newsroom, adapter = room
    await say(newsroom, "1", "/subscribe")
    assert (await say(newsroom, "1", "/format publish")).text == (
        "Format saved: this chat receives stories as full cards, published to following "
        "servers.")
    write_post(newsroom.config.site.posts_dir, "2026-02-01-a.md", "A story", tags=["x"])
    await newsroom.scan()
    await newsroom.drain()
    assert adapter.styles[("1", "2026-02-01-a.md")] == Style("full", False, True)
    assert (await say(newsroom, "1", "/format local")).text == (
        "Format saved: this chat receives stories as full cards.")
