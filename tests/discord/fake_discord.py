"""A fake Discord on 127.0.0.1 for the adapter's tests: REST API v10 plus a gateway.

The real discord.py client talks to it through `discord.api_url` and
`discord.gateway_url`. It answers the routes the adapter uses with objects shaped
as Discord documents them, records every request, and can be scripted to fail
(429 with `retry_after`, Missing Access, Missing Permissions, Unknown Channel,
503). Channels the fake does not know answer Unknown Channel, channels the bot
cannot see answer Missing Access, exactly as Discord would.

The gateway says HELLO, accepts IDENTIFY, sends READY and a GUILD_CREATE with
channels, roles and the bot's member, acknowledges heartbeats, and lets a test
inject INTERACTION_CREATE events built from the commands the adapter synced.
Sharding as Discord does it: an IDENTIFY may carry `shard: [id, count]` (an invalid
one is closed with 4010), and that session gets the guilds whose
`(guild_id >> 22) % count == id` only, events of a guild (interactions) go to the
session of its shard, and `GET /gateway/bot` recommends `shard_count` shards.
`closed` keeps the shard of every identified connection that closed, in order.
Servers besides the default one come from channels with another `guild_id`.

Besides text channels the server has an announcement channel, a forum with tags
and a thread, served as `fake_places.py` describes (channel lookups, messages,
crossposts with Discord's hourly limit, locked and archived threads) and
`fake_forums.py` (forum posts, a server's active threads); a channel
option of a command arrives resolved, with the member's permissions there. Servers
(roles, owner) and their members, with the channels' overwrites, and the members of
private threads, let the adapter resolve a person's rights by REST as
`fake_members.py` describes.

When `NEWSBOT_API_SPECS` is set, every REST request is also checked against the
official OpenAPI description (see `openapi.py`); any problem, like a request to a
route the fake does not serve, is kept in `problems` and fails the test.

With `limits=RateLimits()` it also enforces Discord's rate limits: 5 messages
per 5 seconds per channel (a bucket whose `X-RateLimit-*` headers tell the
truth, as discord.py reads them) and 50 requests a second overall, bursts
allowed (a global 429); refusals are kept in `throttled`. On the gateway, the
IDENTIFYs of every connection (whichever process opened it) count together: one per
5 seconds for each shard id modulo `max_concurrency` (what `GET /gateway/bot` says,
1 as for most bots); one more is answered with an Invalid Session (op 9), as Discord
does, and kept in `identify_refused`. Off by default: most tests are not about
pacing, and their answers then carry fixed, harmless bucket headers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord.answers import (
    ERRORS,
    RateLimits,
    bucket_headers,
    drop_connection,
    json_response,
    rate_limited,
)
from tests.discord.fake_forums import FakeForums
from tests.discord.fake_members import FakeMembers
from tests.discord.fake_places import API_PREFIX, FakePlaces
from tests.discord.objects import (
    ANNOUNCE,
    ANNOUNCEMENT,
    APP_ID,
    BOT_CAN_POST,
    BULLETIN,
    EPHEMERAL,
    FORUM,
    FORUM_TAGS,
    FORUM_TYPE,
    GUILD_ID,
    MEMBER,
    NEWS,
    PUBLIC_THREAD,
    SEND_IN_THREADS,
    SPORT,
    STAFF,
    THREAD,
    TOKEN,
    VIEW_CHANNEL,
    Channel,
    application,
    bot_user,
    guild,
    message,
    ready,
    resolved_channel,
)
from tests.discord.objects import interaction as interaction_payload
from tests.discord.openapi import OpenAPI, load_spec
from tests.rate_limits import FixedWindow, SlidingWindow, TokenBucket

#: the application command option type of a channel
CHANNEL_OPTION = 7

@dataclass
class Request:
    method: str
    path: str  # below /api/v10
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.perf_counter)  # when it arrived


_ENTRY = web.RequestKey("entry", Request)


@dataclass(eq=False)
class _Session:
    """An identified gateway connection, and the shard it asked for (None: unsharded)."""

    ws: web.WebSocketResponse
    seq: itertools.count[int]
    shard: tuple[int, int] | None

    def covers(self, guild_id: str) -> bool:
        return self.shard is None or shard_of(guild_id, self.shard[1]) == self.shard[0]


def shard_of(guild_id: str, count: int) -> int:
    """The shard a guild's events go to (Discord's sharding formula)."""
    return (int(guild_id) >> 22) % count


@dataclass
class Interaction:
    id: str
    token: str
    payload: dict[str, Any]
    callbacks: list[dict[str, Any]] = field(default_factory=list)


class FakeDiscord(FakePlaces, FakeForums, FakeMembers):
    """Start with `await fake.start()`, stop with `await fake.close()`."""

    def __init__(self, spec: OpenAPI | None = None, limits: RateLimits | None = None) -> None:
        self.spec = spec if spec is not None else load_spec()
        self.limits = limits
        #: requests refused with 429 because they broke `limits`
        self.throttled: list[Request] = []
        self._global = (
            TokenBucket(limits.global_per_second, limits.global_per_second, time.perf_counter)
            if limits is not None
            else None
        )
        self._buckets: dict[str, FixedWindow] = {}
        #: IDENTIFYs at a time, per 5 seconds (`session_start_limit.max_concurrency`)
        self.max_concurrency = 1
        self._identify_buckets: dict[int, SlidingWindow] = {}
        #: IDENTIFYs refused (op 9) because they broke `limits`
        self.identify_refused: list[dict[str, Any]] = []
        self.channels: dict[str, Channel] = {
            c.id: c
            for c in (
                Channel(NEWS, "news"),
                Channel(SPORT, "sport"),
                Channel(STAFF, "staff", bot_permissions=0),
                Channel(ANNOUNCE, "announcements", bot_permissions=VIEW_CHANNEL),
                Channel(BULLETIN, "bulletin", type=ANNOUNCEMENT),
                Channel(FORUM, "stories", type=FORUM_TYPE, tags=FORUM_TAGS),
                Channel(THREAD, "election night", BOT_CAN_POST | SEND_IN_THREADS,
                        type=PUBLIC_THREAD, parent_id=NEWS),
            )
        }
        self._init_places()
        self._init_members()
        self.requests: list[Request] = []
        self.problems: list[str] = []
        self.identify: list[dict[str, Any]] = []
        #: the shard of every identified gateway connection that closed, in order
        self.closed: list[tuple[int, int] | None] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id
        self.interactions: dict[str, Interaction] = {}
        self.failures: dict[str, deque[str]] = defaultdict(deque)
        self.retry_after = 0.05
        #: the token the gateway accepts (a test can make it refuse one REST accepted)
        self.gateway_token = TOKEN
        #: the number of shards `GET /gateway/bot` recommends
        self.shard_count = 1
        self._ids = itertools.count(1500000000000000001)
        self._sockets: list[_Session] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        r.add_get(API_PREFIX + "/users/@me", self._me)
        r.add_get(API_PREFIX + "/oauth2/applications/@me", self._application)
        r.add_get(API_PREFIX + "/gateway/bot", self._gateway_bot)
        r.add_put(API_PREFIX + "/applications/{app}/commands", self._sync)
        r.add_put(API_PREFIX + "/applications/{app}/guilds/{guild}/commands", self._sync)
        r.add_post(API_PREFIX + "/channels/{channel}/messages", self._create_message)
        self._place_routes(r)
        self._forum_routes(r)
        self._member_routes(r)
        r.add_post(API_PREFIX + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(API_PREFIX + "/webhooks/{app}/{token}", self._followup)
        r.add_route("*", API_PREFIX + "/webhooks/{app}/{token}/messages/@original", self._original)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for session in list(self._sockets):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests look at -----------------------------------------------------

    def sent(self, channel_id: str) -> list[dict[str, Any]]:
        """Bodies of the messages Discord accepted in this channel."""
        path = f"/channels/{channel_id}/messages"
        return [r.body for r in self.requests if r.path == path and r.status == 200]

    def attempts(self, channel_id: str) -> list[Request]:
        path = f"/channels/{channel_id}/messages"
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def fail(self, channel_id: str, *kinds: str) -> None:
        """The next sends to this channel fail, one kind each: a key of ERRORS,
        "rate_limited" (429 with `retry_after`), "rate_limited_long" (60 s) or
        "disconnect" (the connection closes without an answer); given a forum's id, the
        next forum posts there, a kind of ERRORS or "disconnect", after the post was made
        when prefixed "created+" (`fake_forums.py`). Given a server's id, the next
        requests for the server or its members fail (a key of ERRORS); given
        "{server id}/threads/active", the next lists of its active threads; given
        "{thread id}/thread-members", the next looks at who is in that thread."""
        self.failures[channel_id].extend(kinds)

    async def wait_for(self, check: Callable[[], Any], seconds: float = 5.0) -> Any:
        """Wait until `check()` is truthy (re-evaluated on every request and frame)."""
        async with asyncio.timeout(seconds), self._changed:
            return await self._changed.wait_for(check)

    async def _touch(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- REST -------------------------------------------------------------------

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        path = request.path[len(API_PREFIX):]
        arrived = time.perf_counter()  # before the body is read: when Discord would count it
        raw = await request.read()
        body = json.loads(raw) if raw else None
        entry = request[_ENTRY] = Request(request.method, path, dict(request.query), body,
                                          at=arrived)
        self.requests.append(entry)
        if self.spec is not None:
            self.problems += self.spec.check(request.method, path, request.query, body, bool(raw))
        refusal = self._global_limit(path, arrived)
        if refusal is not None:
            entry.status = refusal.status
            self.throttled.append(entry)
            await self._touch()
            return refusal
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status in (404, 405):
                self.problems.append(f"{request.method} {path}: the fake does not serve this")
            entry.status = exc.status
            await self._touch()
            raise
        entry.status = response.status
        await self._touch()
        return response

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {TOKEN}"

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return json_response(bot_user())

    async def _application(self, request: web.Request) -> web.Response:
        return json_response(application())

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0,
                 "max_concurrency": self.max_concurrency}
        return json_response({"url": self.gateway_url, "shards": self.shard_count,
                              "session_start_limit": limit})

    async def _sync(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild", "global")
        out = []
        for command in await request.json():
            out.append(
                {
                    **command,
                    "id": str(next(self._ids)),
                    "application_id": APP_ID,
                    "version": str(next(self._ids)),
                    **({} if scope == "global" else {"guild_id": scope}),
                }
            )
        self.commands[scope] = out
        return json_response(out)

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        channel_id = request.match_info["channel"]
        pending = self.failures.get(channel_id)
        kind = pending.popleft() if pending else None
        channel = self.channels.get(channel_id)
        if kind is None:
            kind = self.posting_refusal(channel)
        if kind == "disconnect":
            return drop_connection(request)
        if kind is not None:
            return self._error(kind)
        headers = bucket_headers()
        if self.limits is not None:
            bucket, arrived = self._bucket(channel_id), request[_ENTRY].at
            wait = bucket.wait(arrived)
            if wait > 0:
                self.throttled.append(request[_ENTRY])
                return rate_limited(wait, bucket_headers(0, wait, self.limits.channel_messages))
            bucket.admit(arrived)
            headers = bucket_headers(
                bucket.remaining, bucket.reset_after(), self.limits.channel_messages
            )
        body = await request.json()
        if channel is not None and channel.archived:  # a message wakes an archived thread
            channel.archived = False
        return json_response(self._message(channel_id, body), headers=headers)

    def _bucket(self, channel_id: str) -> FixedWindow:
        assert self.limits is not None
        if channel_id not in self._buckets:
            self._buckets[channel_id] = FixedWindow(
                self.limits.channel_messages, self.limits.channel_period, time.perf_counter
            )
        return self._buckets[channel_id]

    def _global_limit(self, path: str, arrived: float) -> web.Response | None:
        """A global 429 past 50 requests a second (interactions are exempt, as on Discord)."""
        if self._global is None or path.startswith(("/interactions/", "/webhooks/")):
            return None
        wait = self._global.wait(arrived)
        if wait > 0:
            return rate_limited(wait, {"X-RateLimit-Global": "true"}, scope="global")
        self._global.admit(arrived)
        return None

    def _error(self, kind: str) -> web.Response:
        if kind.startswith("rate_limited"):
            wait = 60.0 if kind == "rate_limited_long" else self.retry_after
            return rate_limited(wait, bucket_headers(remaining=0, reset_after=wait))
        status, body = ERRORS[kind]
        return json_response(body, status=status)

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["id"])
        if interaction is None or interaction.token != request.match_info["token"]:
            return json_response({"message": "Unknown interaction", "code": 10062}, status=404)
        if interaction.callbacks:
            body = {"message": "Interaction has already been acknowledged.", "code": 40060}
            return json_response(body, status=400)
        body = await request.json()
        interaction.callbacks.append(body)
        if body["type"] not in (4, 5) or "with_response" not in request.query:
            return web.Response(status=204)
        data = body.get("data") or {}
        message = self._message(interaction.payload["channel_id"], data, interaction=True)
        answer = {
            "interaction": {
                "id": interaction.id,
                "type": interaction.payload["type"],
                "response_message_id": message["id"],
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
            },
            "resource": {"type": body["type"], "message": message},
        }
        return json_response(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request.match_info["token"])
        if interaction is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        body = await request.json()
        interaction.callbacks.append({"type": "followup", "data": body})
        return json_response(
            self._message(interaction.payload["channel_id"], body, interaction=True)
        )

    async def _original(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request.match_info["token"])
        if interaction is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        if request.method == "DELETE":
            return web.Response(status=204)
        body = await request.json() if request.can_read_body else {}
        if request.method == "PATCH":
            interaction.callbacks.append({"type": "edit", "data": body})
        return json_response(self._message(interaction.payload["channel_id"], body, True))

    def _by_token(self, token: str) -> Interaction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def _message(self, channel_id: str, body: dict[str, Any], interaction: bool = False) -> dict:
        return self._keep(message(str(next(self._ids)), channel_id, body, interaction))

    # -- gateway ----------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.problems.append(f"gateway opened with {dict(request.query)}")
        seq = itertools.count(1)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                self.problems.append(f"unexpected gateway frame {msg.type}")
                continue
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif frame["op"] == 2:
                self.identify.append(frame["d"])
                if frame["d"].get("token") != self.gateway_token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                shard = frame["d"].get("shard")
                if shard is not None and not (
                    isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]
                ):
                    await ws.close(code=4010, message=b"Invalid shard.")
                    break
                if not self._may_identify(shard):
                    self.identify_refused.append(frame["d"])
                    await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
                    await self._touch()
                    continue
                session = _Session(ws, seq, None if shard is None else (shard[0], shard[1]))
                guilds = [g for g in self.guild_ids() if session.covers(g)]
                await self._send(ws, seq, "READY", ready(self.gateway_url, guilds, shard))
                for guild_id in guilds:
                    channels = [c for c in self.channels.values() if c.guild_id == guild_id]
                    await self._send(ws, seq, "GUILD_CREATE", guild(channels, guild_id))
                self._sockets.append(session)
            else:
                self.problems.append(f"unexpected gateway op {frame['op']}")
            await self._touch()
        self.closed += [s.shard for s in self._sockets if s.ws is ws]
        self._sockets = [s for s in self._sockets if s.ws is not ws]
        await self._touch()
        return ws

    def _may_identify(self, shard: list[int] | None) -> bool:
        """Whether an IDENTIFY now keeps the limit of its bucket (counting it if so)."""
        if self.limits is None:
            return True
        key = (shard[0] if shard else 0) % self.max_concurrency
        bucket = self._identify_buckets.setdefault(key, SlidingWindow(
            1, self.limits.identify_period, time.perf_counter))
        if bucket.wait() > 0:
            return False
        bucket.admit()
        return True

    def guild_ids(self) -> list[str]:
        """Every server the bot is in: the default one and those of added channels."""
        return sorted({GUILD_ID} | {c.guild_id for c in self.channels.values()})

    def sessions(self) -> list[tuple[int, int] | None]:
        """The shard of every identified gateway connection open now."""
        return [s.shard for s in self._sockets]

    async def _send(
        self, ws: web.WebSocketResponse, seq: itertools.count[int], event: str, data: Any
    ) -> None:
        await ws.send_json({"op": 0, "t": event, "s": next(seq), "d": data})

    async def drop_gateway(self, code: int, reason: str) -> None:
        """Close every gateway connection with a close code, as Discord does."""
        for session in list(self._sockets):
            await session.ws.close(code=code, message=reason.encode())

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the sessions that get it: a guild's to the shard of the guild."""
        guild_id = data.get("guild_id")
        sessions = [s for s in self._sockets if guild_id is None or s.covers(str(guild_id))]
        if not sessions:
            raise AssertionError(f"no identified gateway connection gets events of {guild_id}")
        for session in sessions:
            await self._send(session.ws, session.seq, event, data)

    # -- interactions -----------------------------------------------------------

    def command(self, name: str) -> dict[str, Any]:
        """The synced definition of a command (guild commands first, like Discord)."""
        for scope in (GUILD_ID, "global"):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise AssertionError(f"/{name} was never synced (synced: {self.commands})")

    async def use(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        channel: str = NEWS,
        permissions: int = MEMBER,
        focused: str | None = None,
        elsewhere: int | None = None,
    ) -> Interaction:
        """A member types `/name option:value` in `channel` (autocomplete if `focused`);
        a channel option's channel comes resolved, with the member's permissions there
        (`elsewhere`, else the same as in `channel`)."""
        command = self.command(name)
        kinds = {o["name"]: o["type"] for o in command.get("options") or []}
        given = []
        resolved = []
        for key, value in (options or {}).items():
            if key not in kinds:
                raise AssertionError(f"/{name} has no option {key!r}")
            given.append({"name": key, "type": kinds[key], "value": value})
            if kinds[key] == CHANNEL_OPTION:
                named = self.channels.get(value, Channel(value, "unknown", 0))
                there = permissions if elsewhere is None else elsewhere
                resolved.append(resolved_channel(named, there))
            if key == focused:
                given[-1]["focused"] = True
        interaction_id = str(next(self._ids))
        token = f"interaction-token-{interaction_id}"
        target = self.channels.get(channel, Channel(channel, "unknown", 0))
        payload = interaction_payload(
            interaction_id, token, command, given, autocomplete=focused is not None,
            channel=channel, target=target, permissions=permissions, resolved=resolved,
        )
        interaction = Interaction(interaction_id, token, payload)
        self.interactions[interaction_id] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def answer(self, interaction: Interaction, count: int = 1) -> list[dict[str, Any]]:
        """Wait for the bot's first `count` responses (callback, then follow-ups)."""
        await self.wait_for(lambda: len(interaction.callbacks) >= count)
        return interaction.callbacks[:count]
