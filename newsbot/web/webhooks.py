"""Updates a platform POSTs to the bot (Telegram's webhook), served by the bot's own
process on an address of its own.

The receiver is the policy, the adapter the translation. A request must be a POST to
the one path, carrying the shared secret in the platform's header (compared in
constant time): without it the answer is 403 and nothing reads the body, so a forged
update never reaches the commands. A body that is not a JSON object is 400, one over
`MAX_BODY` 413. What the adapter cannot turn into a command is logged and still
acknowledged (200): the platform would otherwise send it again and again. The access
log has the method, path and status only, never a header, so the secret stays out of it.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

log = logging.getLogger(__name__)

#: an update is a message and its metadata: far below this
MAX_BODY = 1024 * 1024

#: the adapter's part: one update, as the JSON object the platform sent
Take = Callable[[dict[str, Any]], Awaitable[None]]


class _AccessLog(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.debug("%s %s %s", request.method, request.path, response.status)


class WebhookReceiver:
    """Serves `path` on `host:port` (port 0: any free one, see `port` once started)."""

    def __init__(self, *, host: str, port: int, path: str, header: str, secret: str,
                 take: Take, name: str = "webhook") -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.host, self.path, self.header, self.name = host, path or "/", header, name
        self._secret = secret.encode()
        self._take = take
        self._wanted_port = port
        self._runner: web.AppRunner | None = None
        #: updates refused for a missing or wrong secret
        self.refused = 0
        self.port = 0

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._post)
        self._runner = web.AppRunner(app, access_log_class=_AccessLog, access_log=log,
                                     handle_signals=False)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self._wanted_port).start()
        except OSError:
            await self.stop()
            raise
        self.port = self._runner.addresses[0][1]
        log.info("%s: taking updates on %s:%d%s", self.name, self.host, self.port, self.path)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(self.header, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refused += 1
            log.warning("%s: refused an update without the right secret (from %s)",
                        self.name, request.remote)
            return web.Response(status=403, text="Forbidden")
        try:
            data = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:
            raise
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return web.Response(status=400, text="a JSON object is expected")
        try:
            await self._take(data)
        except Exception:
            log.exception("%s: could not read an update; acknowledged, dropped", self.name)
        return web.Response(status=200)
