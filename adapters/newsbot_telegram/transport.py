"""python-telegram-bot's HTTP requests over aiohttp instead of httpx: PTB's `BaseRequest`,
the library's own way to choose its HTTP client.

Why: a paid broadcast sends up to 1,000 messages a second, and through httpx each
request also went through httpcore (whose pool looks at every idle connection's socket
at every request) and anyio, about as much CPU as everything else a send costs. aiohttp,
which newsbot has already (the webhook, the moderators' page, discord.py), makes the
same request for a fraction of it.

What PTB asks of a request class, done as its `HTTPXRequest` does: POST the method's
parameters as a form (as multipart when files go with them), honour the timeouts it
passes (the defaults when it passes none), answer the status and the body whatever the
status, and raise `TimedOut` when a timeout ran out, `NetworkError` when anything else
kept the request from an answer. No message names the URL, which holds the bot's token.
"""

from __future__ import annotations

from typing import Any
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

from newsbot.logs import redact

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """One aiohttp session (its own pool of `connection_pool_size` connections) for the
    requests of one PTB bot; the timeouts are PTB's defaults unless given."""

    __slots__ = ("_proxies", "_session", "_size", "_timeouts")

    def __init__(self, connection_pool_size: int = 256, *, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0,
                 ) -> None:
        self._size = connection_pool_size
        self._timeouts = {"read": read_timeout, "connect": connect_timeout,
                          "pool": pool_timeout}
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[URL, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._size),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar())  # the Bot API sets none

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """The status and body of Telegram's answer. (aiohttp has no write timeout: a
        stalled upload is bounded by the read timeout that follows it.)"""
        data, headers, read_timeout = self._outgoing(request_data, read_timeout)
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        read, connect, pool = (
            self._timeouts[name] if value is BaseRequest.DEFAULT_NONE else value
            for name, value in (("read", read_timeout), ("connect", connect_timeout),
                                ("pool", pool_timeout)))
        timeout = aiohttp.ClientTimeout(
            total=None, sock_read=read, sock_connect=connect,
            # aiohttp's `connect` spans waiting for a free connection and making one
            connect=None if connect is None or pool is None else connect + pool)
        try:
            async with self._session.request(method, url, data=data, headers=headers,
                                              proxy=self._proxy(url),
                                              timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            detail = redact(str(exc).replace(url, "the Bot API"))
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {detail}") from exc

    def _outgoing(self, request_data: RequestData | None, read_timeout: Any
                  ) -> tuple[bytes | aiohttp.FormData | None, dict[str, str] | None, Any]:
        """What goes out: the body, its headers and the read timeout PTB asked for. A
        subclass may send something else, or raise to send nothing."""
        data, headers = _body(request_data)
        return data, headers, read_timeout

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for `url` (HTTPS_PROXY and the like, which
        httpx honoured), looked up once per origin: aiohttp's own lookup (`trust_env`)
        costs two trips to a thread at every request."""
        origin = URL(url).origin()
        if origin not in self._proxies:
            self._proxies[origin] = (None if proxy_bypass(origin.host or "")
                                     else getproxies().get(origin.scheme))
        return self._proxies[origin]


def _body(request_data: RequestData | None
          ) -> tuple[bytes | aiohttp.FormData | None, dict[str, str] | None]:
    """The parameters as a form (values JSON-encoded as PTB does), encoded here (aiohttp's
    FormData makes a multipart writer even for a plain form); with files, multipart."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.url_encoded_parameters().encode(), FORM
    form = aiohttp.FormData(request_data.json_parameters)
    for name, part in request_data.multipart_data.items():
        filename, content, *mimetype = part
        form.add_field(name, content, filename=filename,
                       content_type=mimetype[0] if mimetype else None)
    return form, None
