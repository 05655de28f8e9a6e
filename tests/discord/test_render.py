"""Summary → embed, table-driven: the story on one side, the payload on the other."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from newsbot.delivery.fitting import batches
from newsbot.types import Style, Summary
from newsbot_discord import DiscordAdapter
from newsbot_discord.render import EmbedLimits, delivery_nonce, story_embed

STORY = Summary(
    post_id="2026-01-31-tokyo.md",
    title="Starmer invites Japan PM to UK",
    url="https://news.example.org/news/2026/01/31/tokyo.html",
    excerpt="Sir Keir and Sanae Takaichi discussed ways to strengthen ties.",
    image_url="https://news.example.org/assets/images/10f0.jpg",
    date=datetime(2026, 1, 31, 15, 32, 27, tzinfo=UTC),
    author="badely",
    tags=("politics", "uk", "News"),
)
BASE = {"type": "rich", "flags": 0}
ELLIPSIS = "…"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {},
            {
                **BASE,
                "title": "Starmer invites Japan PM to UK",
                "url": "https://news.example.org/news/2026/01/31/tokyo.html",
                "description": "Sir Keir and Sanae Takaichi discussed ways to strengthen ties.",
                "image": {"url": "https://news.example.org/assets/images/10f0.jpg"},
                "timestamp": "2026-01-31T15:32:27+00:00",
                "author": {"name": "badely"},
                "footer": {"text": "politics · uk · News"},
            },
            id="everything",
        ),
        pytest.param(
            {"image_url": None, "author": "", "tags": (), "excerpt": ""},
            {
                **BASE,
                "title": "Starmer invites Japan PM to UK",
                "url": "https://news.example.org/news/2026/01/31/tokyo.html",
                "timestamp": "2026-01-31T15:32:27+00:00",
            },
            id="bare",
        ),
        pytest.param(
            {"date": datetime(2026, 1, 31, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
             "image_url": None, "author": "", "tags": (), "excerpt": ""},
            {
                **BASE,
                "title": "Starmer invites Japan PM to UK",
                "url": "https://news.example.org/news/2026/01/31/tokyo.html",
                "timestamp": "2026-01-31T14:00:00+00:00",
            },
            id="date in another zone",
        ),
        pytest.param(
            {"title": "Hello @everyone <@123>", "excerpt": "<@&456> @here",
             "image_url": None, "author": "", "tags": ()},
            {
                **BASE,
                "title": "Hello @everyone <@123>",
                "url": "https://news.example.org/news/2026/01/31/tokyo.html",
                "description": "<@&456> @here",
                "timestamp": "2026-01-31T15:32:27+00:00",
            },
            id="mentions stay text",
        ),
        pytest.param(
            {"image_url": "https://news.example.org/" + "a" * 2100, "author": "", "tags": (),
             "excerpt": ""},
            {
                **BASE,
                "title": "Starmer invites Japan PM to UK",
                "url": "https://news.example.org/news/2026/01/31/tokyo.html",
                "timestamp": "2026-01-31T15:32:27+00:00",
            },
            id="image URL too long for Discord is left out",
        ),
    ],
)
def test_story_embed(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    assert story_embed(replace(STORY, **changes)).to_dict() == expected


@pytest.mark.parametrize(
    ("changes", "limits"),
    [
        ({"title": "word " * 100}, {"title": EmbedLimits.title}),
        ({"excerpt": "word " * 1000}, {"description": EmbedLimits.description}),
        ({"author": "name " * 100}, {"author": EmbedLimits.author}),
        ({"tags": tuple(f"tag{i}" for i in range(400))}, {"footer": EmbedLimits.footer}),
        (
            {"title": "t " * 200, "author": "a " * 200, "excerpt": "e " * 3000,
             "tags": tuple(f"tag{i}" for i in range(400))},
            {"title": 256, "author": 256, "footer": 2048, "description": 6000 - 256 - 256 - 2048},
        ),
    ],
    ids=["title", "description", "author", "footer", "whole embed"],
)
def test_long_text_is_fitted_to_discords_limits(
    changes: dict[str, Any], limits: dict[str, int]
) -> None:
    embed = story_embed(replace(STORY, **changes))
    fields = {
        "title": embed.title,
        "description": embed.description,
        "author": embed.author.name,
        "footer": embed.footer.text,
    }
    for name, limit in limits.items():
        value = fields[name]
        assert value is not None and value.endswith(ELLIPSIS)
        assert limit - 10 < len(value) <= limit
    assert len(embed) <= EmbedLimits.total


def test_brief_embeds_use_a_thumbnail_and_a_short_excerpt() -> None:
    embed = story_embed(replace(STORY, excerpt="word " * 200), brief=True).to_dict()
    assert embed["thumbnail"] == {"url": STORY.image_url}
    assert "image" not in embed
    assert len(embed["description"]) <= EmbedLimits.brief_description


@pytest.mark.parametrize(
    ("excerpt_words", "count", "sizes"),
    [(5, 20, [10, 10]), (5, 3, [3]), (500, 4, [2, 2]), (5, 0, [])],
)
def test_batches_respect_ten_embeds_and_the_total(
    excerpt_words: int, count: int, sizes: list[int]
) -> None:
    story = replace(STORY, excerpt="word " * excerpt_words)
    embeds = [story_embed(story) for _ in range(count)]
    groups = list(batches(embeds, len, most=EmbedLimits.embeds_per_message,
                          total=EmbedLimits.total))
    assert [len(g) for g in groups] == sizes
    assert all(sum(len(e) for e in g) <= EmbedLimits.total for g in groups)


def test_preview_is_the_message_body() -> None:
    body = json.loads(DiscordAdapter.preview(STORY))
    assert body == {
        "content": None,
        "embeds": [story_embed(STORY).to_dict()],
        "components": [],
        "tts": False,
        "allowed_mentions": {"parse": []},
    }
    for_channel = json.loads(DiscordAdapter.preview(STORY, chat_id="1400000000000000001"))
    assert for_channel == {
        **body,
        "nonce": delivery_nonce("1400000000000000001", STORY.post_id),
        "enforce_nonce": True,
    }


def test_nonce_is_stable_per_channel_and_story_and_fits_discord() -> None:
    nonce = delivery_nonce("1", "a.md")
    assert nonce == delivery_nonce("1", "a.md") and nonce.isdigit() and len(nonce) <= 25
    assert len({nonce, delivery_nonce("2", "a.md"), delivery_nonce("1", "b.md")}) == 3


@pytest.mark.parametrize(
    ("style", "embed", "flags"),
    [
        (Style("compact"), {**BASE, "title": STORY.title, "url": STORY.url,
                            "description": STORY.excerpt}, None),
        (Style("headline", True), {**BASE, "title": STORY.title, "url": STORY.url}, 4096),
        (Style("full", True), None, 4096),  # the full card, silently
    ],
    ids=["compact", "headline-silent", "full-silent"],
)
def test_each_format_is_its_own_embed(
    style: Style, embed: dict[str, Any] | None, flags: int | None
) -> None:
    body = json.loads(DiscordAdapter.preview(STORY, style))
    [shown] = body["embeds"]
    assert shown == (embed or story_embed(STORY).to_dict())
    assert body.get("flags") == flags


def test_compact_keeps_one_sentence() -> None:
    long = replace(STORY, excerpt="First one. " + "More words " * 100)
    assert story_embed(long, Style("compact")).description == "First one."
