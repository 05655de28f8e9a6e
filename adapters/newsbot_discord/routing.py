"""The one place that points discord.py at `discord.api_url` and `discord.gateway_url`.

discord.py 2.7 builds every REST URL from a class attribute, `discord.http.Route.BASE`
(and `discord.webhook.async_.Route.BASE` for interaction responses and follow-ups),
and a plain `Client` opens the gateway at the class attribute
`DiscordWebSocket.DEFAULT_GATEWAY`: it never asks `/gateway/bot` (only the sharded
client does), and after READY it resumes at the `resume_gateway_url` Discord sent.

Assigning those class attributes would point every client in the process at one
place and outlive the adapter (two adapters in one test run would leak into each
other). Instead each client gets its own `RoutedHTTPClient` and
`RoutedWebhookAdapter`, which swap the library's base for ours as each request
leaves, so the library's URL building, buckets and 429 handling stay untouched:

- REST: every URL starting with `Route.BASE` is re-based on `api_url`.
- Gateway: with a non-default `gateway_url`, every gateway connection (first
  connect and resumes) goes there, keeping the library's query (`v`, `encoding`,
  `compress`); a proxy in front of Discord has to see resumes too.
- Interactions: discord.py picks its webhook adapter from the context variable
  `discord.webhook.async_.async_context`; `gateway_context()` returns a context
  in which it is ours, and the gateway task runs in it, so every task that
  handles an interaction inherits it (asyncio copies the context into tasks).
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import aiohttp
import discord
import yarl
from discord.http import HTTPClient, Route
from discord.webhook import async_ as webhook_async

from newsbot.delivery.pacing import RATE_SHARE, OverallPace, PaceMaker, local_pace

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg"


def rebase(url: str, base: str, target: str) -> str:
    """`url` with its `base` prefix replaced by `target` (unchanged when it lacks it)."""
    if target == base or not url.startswith(base):
        return url
    return target + url[len(base):]


class RoutedHTTPClient(HTTPClient):
    """discord.py's REST client, sending to `api_url` and connecting to `gateway_url`."""

    #: Discord's global limit for a bot: requests a second, every route together
    global_per_second: float = 50

    def __init__(self, *args: Any, api_url: str, gateway_url: str,
                 pace: PaceMaker = local_pace, global_pace: OverallPace | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = api_url.rstrip("/")
        self.gateway_url = gateway_url.rstrip("/")
        # discord.py paces each route's bucket from its headers, but nothing keeps it
        # under the global limit: a fan-out to many channels would provoke global 429s
        self.global_pace = (global_pace if global_pace is not None
                            else pace(self.global_per_second * RATE_SHARE))

    async def request(self, route: Route, **kwargs: Any) -> Any:
        route.url = rebase(route.url, Route.BASE, self.api_url)
        async with self.global_pace:
            return await super().request(route, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        if self.gateway_url != DEFAULT_GATEWAY_URL:
            url = str(yarl.URL(self.gateway_url).with_query(yarl.URL(url).query))
        return await super().ws_connect(url, compress=compress)


class RoutedWebhookAdapter(webhook_async.AsyncWebhookAdapter):
    """discord.py's interaction-response client, sending to `api_url`."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")

    async def request(self, route: webhook_async.Route, *args: Any, **kwargs: Any) -> Any:
        route.url = rebase(route.url, webhook_async.Route.BASE, self.api_url)
        return await super().request(route, *args, **kwargs)


def route_client(client: discord.Client, api_url: str, gateway_url: str,
                 pace: PaceMaker = local_pace, global_pace: OverallPace | None = None) -> None:
    """Give a freshly built client an HTTP client that uses our URLs, keeping the global
    rate with a pace `pace` builds (the adapter's `overall_pace`), or with `global_pace`
    when given (one pace for several clients of the bot in this process).

    `Client.__init__` builds its `HTTPClient` and hands it to its connection state;
    both references are replaced before anything has used them (the HTTP session
    is only created at login, so nothing is left open).
    """
    old = client.http
    client.http = RoutedHTTPClient(
        client.loop,
        old.connector or None,
        proxy=old.proxy,
        proxy_auth=old.proxy_auth,
        unsync_clock=not old.use_clock,
        http_trace=old.http_trace,
        max_ratelimit_timeout=old.max_ratelimit_timeout,
        api_url=api_url,
        gateway_url=gateway_url,
        pace=pace,
        global_pace=global_pace,
    )
    client._connection.http = client.http


def gateway_context(api_url: str) -> contextvars.Context:
    """A context whose interaction responses go to `api_url`; run the gateway task in it."""
    context = contextvars.copy_context()
    if api_url.rstrip("/") != DEFAULT_API_URL:
        context.run(webhook_async.async_context.set, RoutedWebhookAdapter(api_url))
    return context
