"""Discord's gateway in shards, spread over the workers: which shards this worker runs.

Discord splits a bot's servers into `shard_count` shards (a guild's events go to
shard `(guild_id >> 22) % shard_count`, and a bot in 2,500 servers or more must
shard). Each shard is a lease `shard:discord:<i>`, a `Share` of the role keeper
(`newsbot.workers`): the live workers hold about as many each, and a dead worker's
shards move to the others. Whenever this worker's set changes, `changed` (re)starts
discord.py's `AutoShardedClient` with `shard_ids` = the shards held now, so this
worker runs exactly those; holding none, it runs no gateway at all. Stories do not
need the gateway: the adapter sends them by REST with a client of its own, on every
worker. Commands (interactions) arrive on the shard of their guild and are answered
by whichever worker runs it. One process alone holds every shard.

The count is `discord.shard_count`, else Discord's recommendation (`GET /gateway/bot`,
read by each worker at start): with several workers, set it, so every worker agrees
even when the recommendation changes while some of them run.

Discord lets a bot IDENTIFY once per 5 seconds (`max_concurrency` 1, as for every
bot in fewer than 150,000 servers; more is answered with an Invalid Session): the
bot's, not a process's. Every IDENTIFY (a shard starting, or starting again after a
restart or a lost session) therefore takes a slot of one pace, the adapter's overall
pace named "identify": with several workers, a schedule in the store they all share.
`changed` returns once the first of its shards is ready, and the others follow in
the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord

from newsbot.chat.desk import CommandDesk
from newsbot.delivery.pacing import RATE_SHARE, OverallPace, PaceMaker, local_pace
from newsbot_discord.commands import build_tree
from newsbot_discord.routing import gateway_context, route_client

log = logging.getLogger(__name__)

PREFIX = "shard:discord:"


def shard_names(count: int) -> list[str]:
    return [f"{PREFIX}{i}" for i in range(count)]


class GatewayFailed(Exception):
    """The gateway closed while shards were starting (`error` says why: a refused token
    is `discord.ConnectionClosed` with code 4004)."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__(repr(error))
        self.error = error


class ShardedClient(discord.AutoShardedClient):
    """discord.py's sharded client, whose IDENTIFYs wait for a slot of `identify`."""

    identify: OverallPace | None = None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # also the first shard of a client: the previous IDENTIFY may be another
        # worker's, or this worker's own before its set of shards changed
        if self.identify is not None:
            async with self.identify:
                pass  # taking the slot is the point: the IDENTIFY follows it


class Shards:
    """The gateway client of one worker, restarted with the shards it holds."""

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
        self.client: ShardedClient | None = None
        #: the adapter's overall paces, and the IDENTIFYs' (given at `prepare`)
        self._pace: PaceMaker = local_pace
        self._identify: OverallPace | None = None
        self.task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._opening = False  # a gateway that fails while starting is `changed`'s to report

    @property
    def count(self) -> int:
        return len(self.names)

    async def prepare(self, rest: discord.Client, pace: PaceMaker) -> None:
        """Learn the count from Discord (`GET /gateway/bot`) unless it was set; the
        gateway's requests and IDENTIFYs keep paces `pace` builds (the adapter's
        `overall_pace`). Raises `discord.GatewayNotFound` when Discord does not answer."""
        self._pace = pace
        if self.identify_seconds and self._identify is None:
            # a little under the rate: two IDENTIFYs that leave 5 s apart may arrive closer
            self._identify = pace(RATE_SHARE / self.identify_seconds, "identify")
        if not self.names:
            recommended, _, _ = await rest.http.get_bot_gateway()
            self.names[:] = shard_names(max(1, int(recommended)))
            log.info("discord: %d shard(s), as Discord recommends", self.count)

    async def changed(self, held: frozenset[str]) -> None:
        """Run exactly the shards `held` (none: no gateway). Raises `GatewayFailed` when
        the gateway closes before the first shard is ready."""
        async with self._lock:
            await self._close()
            ids = sorted(int(name.removeprefix(PREFIX)) for name in held)
            if ids:
                self._opening = True
                try:
                    await self._open(ids)
                finally:
                    self._opening = False

    async def _open(self, ids: list[int]) -> None:
        client = ShardedClient(shard_ids=ids, shard_count=self.count, **self.options)
        client.identify = self._identify
        route_client(client, self.api_url, self.gateway_url, self._pace)
        build_tree(client, self.desk)  # answers interactions; the adapter synced them
        self.client = client
        await client.login(self._token)
        first = asyncio.ensure_future(client.wait_for("shard_ready"))
        await asyncio.sleep(0)  # listening before anything can be dispatched
        self.task = task = asyncio.create_task(
            client.connect(reconnect=True), name=f"newsbot-discord-shards-{ids}",
            context=gateway_context(self.api_url),
        )
        task.add_done_callback(self._ended)
        done, _ = await asyncio.wait({first, task}, timeout=self.ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if first not in done:
            first.cancel()
        if task in done:
            raise GatewayFailed(None if task.cancelled() else task.exception())
        if not done:
            log.warning("discord: shard(s) %s not ready after %gs; commands in their "
                        "servers work once they connect", ids, self.ready_timeout)
        else:
            log.info("discord: running shard(s) %s of %d", ids, self.count)

    def _ended(self, task: asyncio.Task[None]) -> None:
        # discord.py reconnects by itself and only gives up (closing the client) on
        # errors a person must fix: a revoked token, intents the bot may not use.
        if task is self.task and not task.cancelled() and not self._opening:
            self.task = None
            log.error("discord: disconnected for good (%r); stories wait in the outbox and "
                      "commands go unanswered until newsbot is restarted", task.exception())
            self._on_dead()

    async def _close(self) -> None:
        client, task = self.client, self.task
        self.client = self.task = None
        if client is not None:
            await client.close()
        if task is not None:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        async with self._lock:
            await self._close()
