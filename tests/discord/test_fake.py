"""The fake Discord itself: its spec checks catch what Discord would reject."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import TOKEN, pings
from tests.discord.openapi import OpenAPI, load_spec

SPEC = load_spec()
needs_spec = pytest.mark.skipif(
    SPEC is None, reason="NEWSBOT_API_SPECS is unset: the official Discord spec is not available"
)
MESSAGES = "/channels/1/messages"
CALLBACK = "/interactions/1/token/callback"
THREADS = "/channels/1/threads"


@needs_spec
@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("POST", MESSAGES, {"embeds": [{"title": "x", "colour": 1}]}, "unknown field 'colour'"),
        ("POST", MESSAGES, {"embeds": [{"title": 5}]}, "embeds[0].title: expected string"),
        ("POST", MESSAGES, {"allowed_mentions": {"parse": ["all"]}}, "matches no allowed"),
        ("POST", MESSAGES, {"embeds": [{}] * 11}, "more than 10 items"),
        ("POST", MESSAGES, None, "request body required"),
        ("PUT", "/applications/1/commands", [{"description": "x"}], "missing required 'name'"),
        ("POST", CALLBACK, {"type": 8, "data": {"choices": [{"name": "a"}]}}, "'value'"),
        ("POST", CALLBACK, {"data": {"content": "hi"}}, "matches no allowed form"),
        ("DELETE", "/users/@me", None, "method not allowed"),
        # a forum post's message takes no `tts`, and at most five tags
        ("POST", THREADS, {"name": "x", "message": {"tts": False}}, "unknown field 'tts'"),
        ("POST", THREADS, {"name": "x", "message": {}, "applied_tags": list("123456")},
         "more than 5 items"),
        ("POST", THREADS, {"name": "x" * 101, "message": {}}, "longer than 100"),
        ("GET", "/channels/1/frobnicate", None, "no such route"),
    ],
)
def test_spec_catches_what_discord_rejects(
    method: str, path: str, body: Any, problem: str
) -> None:
    assert SPEC is not None
    found = SPEC.check(method, path, {}, body, body is not None)
    assert any(problem.replace("required '", "required field '") in p for p in found), found


@needs_spec
@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("POST", MESSAGES, {}, {"content": None, "embeds": [{"title": "x", "flags": 0}],
                                "nonce": "123", "enforce_nonce": True, "tts": False,
                                "components": [], "allowed_mentions": {"parse": []}}),
        ("POST", CALLBACK, {"with_response": "1"},
         {"type": 4, "data": {"content": "hi", "flags": 64, "allowed_mentions": {"parse": []}}}),
        ("POST", CALLBACK, {}, {"type": 8, "data": {"choices": []}}),
        ("POST", THREADS, {}, {"name": "x", "applied_tags": ["1"], "message": {
            "content": None, "embeds": [{"title": "x"}], "components": [], "flags": 4096,
            "allowed_mentions": {"parse": []}}}),
        ("PUT", "/applications/1/guilds/2/commands", {}, [{"name": "x", "nsfw": False}]),
    ],
)
def test_spec_accepts_what_discord_accepts(
    method: str, path: str, query: dict[str, str], body: Any
) -> None:
    assert SPEC is not None
    assert SPEC.check(method, path, query, body, True) == []


def test_without_the_variable_nothing_is_checked() -> None:
    assert load_spec({}) is None


async def test_requests_the_fake_does_not_serve_are_problems() -> None:
    fake = FakeDiscord(spec=OpenAPI({"paths": {}, "components": {}}))
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = fake.api_url + "/guilds/1/bans"
            async with session.get(url, headers={"Authorization": f"Bot {TOKEN}"}) as r:
                assert r.status == 404
    finally:
        await fake.close()
    assert fake.problems == [
        "GET /guilds/1/bans: no such route in the official spec",
        "GET /guilds/1/bans: the fake does not serve this",
    ]


@pytest.mark.parametrize(
    ("body", "notified"),
    [
        ({"content": "@everyone <@1> <@&2>"}, {"everyone", "1", "&2"}),
        ({"content": "@here", "allowed_mentions": {"parse": []}}, set()),
        ({"content": "<@1> <@3>", "allowed_mentions": {"parse": [], "users": ["3"]}}, {"3"}),
        ({"content": "<@!1> @everyone", "allowed_mentions": {"parse": ["users"]}}, {"1"}),
        ({"embeds": [{"title": "@everyone"}]}, set()),
    ],
)
def test_pings_follow_discords_allowed_mentions_rules(
    body: dict[str, Any], notified: set[str]
) -> None:
    assert pings(body) == notified
