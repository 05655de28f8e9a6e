"""An HTTP proxy on 127.0.0.1 that stands between the bot and a fake platform and
misbehaves on request: the fault-injection tool of the subprocess tests.

The fakes stay as they are (they answer like the platform); the proxy decides,
per request, whether the platform is reachable at all:

- `failure_rate`: that share of requests fail before reaching the fake, as one of
  `kinds`: "500" or "502" (an error page), "timeout" (held without an answer for
  `timeout_hold` seconds, then the connection closes) or "reset" (the connection
  closes at once). A failed request never reaches the fake, so it never delivers.
- `down`: every request fails ("reset"), as while the platform is unreachable.
- `hold_sends`: messages go through to the fake (they are delivered) but their
  answers are held back until the proxy closes, as when a process dies between
  the platform's confirmation and recording it.

It counts what it saw (`seen`, with the time and what it did) and how many
requests it has received but not yet answered (`in_flight`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

KINDS = ("500", "502", "timeout", "reset")
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection",
                          "content-encoding", "keep-alive"})


@dataclass
class Seen:
    at: float  # time.monotonic()
    method: str
    path: str
    send: bool  # a request that posts a message
    outcome: str = ""  # "forwarded", "held", or the failure kind


class FlakyProxy:
    def __init__(self, upstream: str, is_send: Callable[[str, str], bool], seed: int = 0) -> None:
        """`upstream` is the fake's origin (`http://127.0.0.1:PORT`); `is_send(method,
        path)` tells which requests post a message."""
        self.upstream = upstream.rstrip("/")
        self.is_send = is_send
        self.rng = random.Random(seed)
        self.failure_rate = 0.0
        self.kinds: tuple[str, ...] = KINDS
        self.timeout_hold = 6.0
        self.down = False
        self.hold_sends = False
        self.seen: list[Seen] = []
        self.in_flight = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        # a fresh connection per request: a pooled one the fake closed meanwhile would
        # fail in the proxy, which is not the fault under test
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True), auto_decompress=False
        )
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        self._closing.set()  # held requests and timeouts end now
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- what tests look at ----------------------------------------------------------

    def sends(self, since: float = 0.0, until: float | None = None) -> list[Seen]:
        """Message-posting requests seen in [since, until)."""
        return [s for s in self.seen if s.send and s.at >= since
                and (until is None or s.at < until)]

    def held(self) -> int:
        return sum(1 for s in self.seen if s.outcome == "held")

    # -- the proxy ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        try:
            return await self._serve(request)
        finally:
            self.in_flight -= 1

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen = Seen(time.monotonic(), request.method, request.path,
                    self.is_send(request.method, request.path))
        self.seen.append(seen)
        kind = None
        if self.down:
            kind = "reset"
        elif self.failure_rate and self.rng.random() < self.failure_rate:
            kind = self.rng.choice(self.kinds)
        if kind is not None:
            seen.outcome = kind
            return await self._fail(request, kind)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body,
            allow_redirects=False,
        ) as upstream:
            answer = await upstream.read()
            status = upstream.status
            back = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
        seen.outcome = "forwarded"
        if self.hold_sends and seen.send:
            seen.outcome = "held"
            await self._closing.wait()
        return web.Response(body=answer, status=status, headers=back)

    async def _fail(self, request: web.Request, kind: str) -> web.StreamResponse:
        if kind in ("500", "502"):
            reason = "Internal Server Error" if kind == "500" else "Bad Gateway"
            return web.Response(status=int(kind), text=f"<html>{kind} {reason}</html>",
                                content_type="text/html")
        if kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.timeout_hold)
        if request.transport is not None:  # (after a timeout the client may be gone)
            request.transport.close()  # "reset", or the end of a timeout: no answer at all
        return web.Response(status=499)
