"""The fake Discord itself: its spec checks catch what Discord would reject."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from tests.discord.fake_discord import FakeDiscord
from tests.discord.objects import (
    ADMINS_ROLE,
    APP_ID,
    BOT_ROLE,
    FORUM,
    GUILD_ID,
    MEMBER_ID,
    MODERATORS_ROLE,
    NEWS,
    OWNER_ID,
    PRIVATE,
    READ_HISTORY,
    THREAD,
    TOKEN,
    VIEW_CHANNEL,
    Overwrite,
    pings,
)
from tests.discord.openapi import OpenAPI, load_spec

SPEC = load_spec()
needs_spec = pytest.mark.skipif(
    SPEC is None, reason="NEWSBOT_API_SPECS is unset: the official Discord spec is not available"
)
MESSAGES = "/channels/1/messages"
CALLBACK = "/interactions/1/token/callback"
THREADS = "/channels/1/threads"
#: a private thread the bot is not in
UNSEEN = "1400000000000000099"


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


@needs_spec
async def test_the_rights_routes_answer_as_the_spec_says() -> None:
    """What a worker without the gateway reads to resolve a member's rights: the server
    (roles, owner), the member (roles, timeout), a channel with overwrites, a thread
    (its parent's overwrites apply, it has none), who is in a private thread, and
    Discord's refusals."""
    assert SPEC is not None
    fake = FakeDiscord(spec=SPEC)
    fake.members[MEMBER_ID] = [MODERATORS_ROLE]
    fake.timeouts[MEMBER_ID] = datetime(2026, 3, 1, tzinfo=UTC)
    fake.channels[NEWS].overwrites = [Overwrite(MODERATORS_ROLE, deny=VIEW_CHANNEL)]
    fake.private_thread([MEMBER_ID])
    fake.private_thread([MEMBER_ID], thread_id=UNSEEN).thread_members.remove(APP_ID)
    in_private = f"/channels/{PRIVATE}/thread-members/"
    await fake.start()
    answers: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as http:
            for path, status in [
                (f"/guilds/{GUILD_ID}?with_counts=0", 200),
                (f"/guilds/{GUILD_ID}?with_counts=1", 200),
                (f"/guilds/{GUILD_ID}/members/{MEMBER_ID}", 200),
                (f"/channels/{NEWS}", 200),
                (f"/channels/{THREAD}", 200),
                (f"/channels/{PRIVATE}", 200),
                (in_private + MEMBER_ID, 200),
                (in_private + MEMBER_ID + "?with_member=true", 200),
                (in_private + OWNER_ID, 404),  # not in it
                (f"/channels/{UNSEEN}/thread-members/{MEMBER_ID}", 403),  # the bot is not
                (f"/guilds/{GUILD_ID}/members/{OWNER_ID}", 404),
                ("/guilds/1/members/2", 403),
            ]:
                async with http.get(fake.api_url + path) as r:
                    assert r.status == status, path
                    answers[path] = body = await r.json()
                    route = path.partition("?")[0]
                    assert SPEC.check_response("GET", route, status, body) == [], path
    finally:
        await fake.close()
    assert fake.problems == []
    guild = answers[f"/guilds/{GUILD_ID}?with_counts=0"]
    assert guild["owner_id"] == OWNER_ID and "approximate_member_count" not in guild
    assert {r["id"] for r in guild["roles"]} == {GUILD_ID, MODERATORS_ROLE, BOT_ROLE, ADMINS_ROLE}
    assert "approximate_member_count" in answers[f"/guilds/{GUILD_ID}?with_counts=1"]
    member = answers[f"/guilds/{GUILD_ID}/members/{MEMBER_ID}"]
    assert member["roles"] == [MODERATORS_ROLE]
    assert member["communication_disabled_until"].startswith("2026-03-01")
    overwrite = {"id": MODERATORS_ROLE, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
    assert overwrite in answers[f"/channels/{NEWS}"]["permission_overwrites"]
    thread = answers[f"/channels/{THREAD}"]
    assert thread["parent_id"] == NEWS and "permission_overwrites" not in thread
    assert answers["/guilds/1/members/2"]["code"] == 50001  # Missing Access: not its server
    private = answers[f"/channels/{PRIVATE}"]
    assert private["type"] == 12 and private["thread_metadata"]["invitable"] is True
    assert private["member"]["user_id"] == APP_ID  # the bot's own membership
    assert answers[in_private + MEMBER_ID] == {
        "id": PRIVATE, "user_id": MEMBER_ID, "join_timestamp": "2026-01-03T00:00:00+00:00",
        "flags": 0}
    assert answers[in_private + MEMBER_ID + "?with_member=true"]["member"]["roles"] == [
        MODERATORS_ROLE]
    assert answers[in_private + OWNER_ID] == {"message": "Unknown Member", "code": 10007}
    assert answers[f"/channels/{UNSEEN}/thread-members/{MEMBER_ID}"]["code"] == 50001


@needs_spec
def test_the_answer_check_catches_what_discord_would_not_send() -> None:
    assert SPEC is not None
    found = SPEC.check_response("GET", f"/guilds/{GUILD_ID}/members/1", 200,
                                {"user": {"id": "1"}, "roles": "1"})
    assert any("missing required field 'joined_at'" in p for p in found), found
    assert any("answer.roles: expected array" in p for p in found), found


@needs_spec
async def test_the_forum_post_routes_answer_as_the_spec_says() -> None:
    """What the adapter reads before opening a forum post: the server's active threads
    (the bot's posts among them, with its thread memberships), a post's first message,
    and Discord's refusals; and the answer to a new post."""
    assert SPEC is not None
    fake = FakeDiscord(spec=SPEC)
    await fake.start()
    post = fake.forum_post(FORUM, "A story", "https://news.example.org/a.html")
    members = fake.forum_post(FORUM, "Mine", "https://example.com/", owner=MEMBER_ID)
    fake.channels[FORUM].bot_permissions &= ~READ_HISTORY  # for the second one below
    unread = fake.forum_post(FORUM, "Unread", "https://example.com/")
    fake.channels[FORUM].bot_permissions |= READ_HISTORY
    answers: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as http:
            for method, path, body, status in [
                ("GET", f"/guilds/{GUILD_ID}/threads/active", None, 200),
                ("GET", "/guilds/1/threads/active", None, 403),  # not its server
                ("GET", f"/channels/{post}/messages/{post}", None, 200),
                ("GET", f"/channels/{unread}/messages/{unread}", None, 403),
                ("GET", f"/channels/{post}/messages/1", None, 404),
                ("POST", f"/channels/{FORUM}/threads",
                 {"name": "New", "message": {"embeds": [{"title": "New"}]}}, 201),
            ]:
                async with http.request(method, fake.api_url + path, json=body) as r:
                    assert r.status == status, path
                    answers[path] = data = await r.json()
                    assert SPEC.check_response(method, path, status, data) == [], path
    finally:
        await fake.close()
    assert fake.problems == []
    listed = answers[f"/guilds/{GUILD_ID}/threads/active"]
    ids = [t["id"] for t in listed["threads"]]
    assert ids[:3] == [unread, members, post] and THREAD in ids  # newest first
    assert all("member" not in t for t in listed["threads"])
    owners = {t["id"]: t["owner_id"] for t in listed["threads"]}
    assert (owners[post], owners[members]) == (APP_ID, MEMBER_ID)
    assert {m["id"] for m in listed["members"]} == {post, unread}  # the bot's own posts
    starter = answers[f"/channels/{post}/messages/{post}"]
    assert starter["embeds"][0]["url"] == "https://news.example.org/a.html"
    assert answers[f"/channels/{unread}/messages/{unread}"]["code"] == 50001
    assert answers[f"/channels/{post}/messages/1"]["code"] == 10008
    new = answers[f"/channels/{FORUM}/threads"]
    assert new["owner_id"] == APP_ID and new["message"]["id"] == new["id"]
