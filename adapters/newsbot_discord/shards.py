"""Discord's gateway in shards, spread over the workers: which shards this worker runs.

Discord splits a bot's servers into `shard_count` shards (a guild's events go to
shard `(guild_id >> 22) % shard_count`, and a bot in 2,500 servers or more must
shard). Each shard is a lease `shard:discord:<i>`, a `Share` of the role keeper
(`newsbot.workers`): the live workers hold about as many each, and a dead worker's
shards move to the others. Holding none, a worker runs no gateway at all. Stories
do not need the gateway: the adapter sends them by REST with a client of its own,
on every worker. Commands (interactions) arrive on the shard of their guild and are
answered by whichever worker runs it. One process alone holds every shard.

Each shard runs in a gateway client of its own, a one-shard `AutoShardedClient`
with its own command tree, so when this worker's set changes `changed` starts the
shards it gains and closes those it loses, and the shards it keeps go on in their
sessions untouched (no new IDENTIFY, no gap in their servers' commands). discord.py
cannot do that with one client: an `AutoShardedClient` launches the `shard_ids`
it was built with and no others (`ShardInfo.connect` only reconnects one of those;
launching them all to disconnect some would IDENTIFY shards another worker runs).
One shard each rather than `Client(shard_id=i)`: the sharded client says
`shard_ready` and keeps retrying a first connection that fails, where a plain
client's `connect` trips over its missing websocket. The cost, per shard: one
client logging in (`GET /users/@me`) and one HTTP session with its own connection
pool, beside the websocket every shard has anyway; their caches do not overlap (a
server is in one shard). All the clients keep one global rate, the REST client's.
Looking a channel up goes through every running client (`get_channel`).

The count is `discord.shard_count`, else Discord's recommendation (`GET /gateway/bot`,
read by each worker at start): with several workers, set it, so every worker agrees
even when the recommendation changes while some of them run.

Discord lets a bot IDENTIFY once per 5 seconds (`max_concurrency` 1, as for every
bot in fewer than 150,000 servers; more is answered with an Invalid Session): the
bot's, not a process's. Every IDENTIFY (a shard starting, or starting again after
a lost session) therefore takes a slot of one pace, the adapter's overall pace named
"identify": with several workers, a schedule in the store they all share. `changed`
returns once the first of the shards it starts is ready, and the others follow in
the background.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from newsbot.chat.desk import CommandDesk
from newsbot.delivery.pacing import RATE_SHARE, OverallPace, PaceMaker, local_pace
from newsbot_discord.commands import build_tree
from newsbot_discord.routing import RoutedHTTPClient, gateway_context, route_client

log = logging.getLogger(__name__)

#: what a gateway client's cache holds for a channel id
GatewayChannel = discord.abc.GuildChannel | discord.Thread | discord.abc.PrivateChannel

PREFIX = "shard:discord:"


def shard_names(count: int) -> list[str]:
    return [f"{PREFIX}{i}" for i in range(count)]


class GatewayFailed(Exception):
    """The gateway closed while shards were starting (`error` says why: a refused token
    is `discord.ConnectionClosed` with code 4004)."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__(repr(error))
        self.error = error


class ShardClient(discord.AutoShardedClient):
    """discord.py's sharded client for one shard, whose IDENTIFYs wait for a slot of
    `identify`."""

    identify: OverallPace | None = None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # also a client's first: the previous IDENTIFY may be another client's or worker's
        if self.identify is not None:
            async with self.identify:
                pass  # taking the slot is the point: the IDENTIFY follows it


@dataclass(frozen=True, slots=True)
class RunningShard:
    client: ShardClient
    task: asyncio.Task[None]  # the client's `connect`


class Shards:
    """The gateway clients of one worker, one per shard it holds."""

    def __init__(self, token: str, desk: CommandDesk, *, api_url: str, gateway_url: str,
                 count: int | None, options: dict[str, Any], ready_timeout: float,
                 identify_seconds: float, on_dead: Callable[[], None]) -> None:
        self._token, self.desk = token, desk
        self.api_url, self.gateway_url = api_url, gateway_url
        self.options = options  # the keyword arguments every discord.py client gets
        self.ready_timeout, self.identify_seconds = ready_timeout, identify_seconds
        self._on_dead = on_dead
        #: the share's names: filled at `prepare` when the count is Discord's to say
        self.names: list[str] = shard_names(count) if count else []
        self.running: dict[int, RunningShard] = {}
        #: the adapter's overall paces, the IDENTIFYs' and the REST client's global
        #: one (given at `prepare`)
        self._pace: PaceMaker = local_pace
        self._identify: OverallPace | None = None
        self._global: OverallPace | None = None
        self._lock = asyncio.Lock()
        #: shards being started: their gateway failing is `changed`'s to report
        self._opening: set[int] = set()

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def ids(self) -> list[int]:
        """The shards running now."""
        return sorted(self.running)

    def get_channel(self, channel_id: int, /) -> GatewayChannel | None:
        """A channel (or thread) of the servers of the shards running here, from the
        gateway's cache; None when none of them has it."""
        for shard in self.running.values():
            channel = shard.client.get_channel(channel_id)
            if channel is not None:
                return channel
        return None

    async def prepare(self, rest: discord.Client, pace: PaceMaker) -> None:
        """Learn the count from Discord (`GET /gateway/bot`) unless it was set; the
        gateway's requests and IDENTIFYs keep paces `pace` builds (the adapter's
        `overall_pace`), the requests the same global one as `rest`'s. Raises
        `discord.GatewayNotFound` when Discord does not answer."""
        self._pace = pace
        if isinstance(rest.http, RoutedHTTPClient):
            self._global = rest.http.global_pace
        if self.identify_seconds and self._identify is None:
            # a little under the rate: two IDENTIFYs that leave 5 s apart may arrive closer
            self._identify = pace(RATE_SHARE / self.identify_seconds, "identify")
        if not self.names:
            recommended, _, _ = await rest.http.get_bot_gateway()
            self.names[:] = shard_names(max(1, int(recommended)))
            log.info("discord: %d shard(s), as Discord recommends", self.count)

    async def changed(self, held: frozenset[str]) -> None:
        """Run exactly the shards `held` (none: no gateway), keeping those running.
        Raises `GatewayFailed` when the gateway closes before the first shard it
        starts is ready."""
        async with self._lock:
            wanted = {int(name.removeprefix(PREFIX)) for name in held}
            await self._stop([i for i in self.running if i not in wanted])
            new = sorted(wanted - self.running.keys())
            if new and not await self._start(new):
                log.warning("discord: shard(s) %s not ready after %gs; commands in their "
                            "servers work once they connect", new, self.ready_timeout)
            elif self.running:
                log.info("discord: running shard(s) %s of %d", self.ids, self.count)
            else:
                log.info("discord: running no shard")

    async def _start(self, ids: list[int]) -> bool:
        """Start the shards `ids`; whether the first of them was ready in time."""
        self._opening.update(ids)
        ready: list[asyncio.Future[Any]] = []
        try:
            for shard_id in ids:
                ready.append(await self._launch(shard_id))
            tasks = [self.running[i].task for i in ids]
            await asyncio.wait([*ready, *tasks], timeout=self.ready_timeout,
                               return_when=asyncio.FIRST_COMPLETED)
            # read at once, before any done callback runs: a gateway that ends later is
            # `_ended`'s to report
            failed = next((task for task in tasks if task.done()), None)
            if failed is not None:
                raise GatewayFailed(None if failed.cancelled() else failed.exception())
            return any(future.done() for future in ready)
        except Exception:
            await self._stop(ids)  # those of them that started
            raise
        finally:
            self._opening.difference_update(ids)
            for future in ready:
                future.cancel()

    async def _launch(self, shard_id: int) -> asyncio.Future[Any]:
        """Log a client in for `shard_id` and connect it; its `shard_ready`, to wait for."""
        client = ShardClient(shard_ids=[shard_id], shard_count=self.count, **self.options)
        client.identify = self._identify
        route_client(client, self.api_url, self.gateway_url, self._pace, self._global)
        build_tree(client, self.desk)  # answers interactions; the adapter synced them
        try:
            await client.login(self._token)
        except BaseException:
            await client.close()  # its HTTP session
            raise
        ready = asyncio.ensure_future(client.wait_for("shard_ready"))
        await asyncio.sleep(0)  # listening before anything can be dispatched
        task = asyncio.create_task(
            client.connect(reconnect=True), name=f"newsbot-discord-shard-{shard_id}",
            context=gateway_context(self.api_url),
        )
        self.running[shard_id] = RunningShard(client, task)
        task.add_done_callback(functools.partial(self._ended, shard_id))
        return ready

    def _ended(self, shard_id: int, task: asyncio.Task[None]) -> None:
        # discord.py reconnects by itself and only gives up (closing the client) on
        # errors a person must fix: a revoked token, intents the bot may not use.
        shard = self.running.get(shard_id)
        if shard is None or shard.task is not task or task.cancelled():
            return  # closed by `_stop`
        if shard_id in self._opening:
            return  # `_start` reports it, and stops it
        del self.running[shard_id]  # a later `changed` holding it starts it again
        log.error("discord: shard %d disconnected for good (%r); stories wait in the outbox "
                  "and commands in its servers go unanswered until newsbot is restarted",
                  shard_id, task.exception())
        self._on_dead()

    async def _stop(self, ids: list[int]) -> None:
        stopping = [self.running.pop(i) for i in ids if i in self.running]
        await asyncio.gather(*(self._close_one(shard) for shard in stopping))

    @staticmethod
    async def _close_one(shard: RunningShard) -> None:
        await shard.client.close()
        if not shard.task.done():
            shard.task.cancel()
        await asyncio.gather(shard.task, return_exceptions=True)

    async def close(self) -> None:
        async with self._lock:
            await self._stop(list(self.running))
