"""PTB's requests over aiohttp (`newsbot_telegram.transport`): what the real Bot class
sends through it, and the errors PTB expects when no answer comes. (Every other test of
the adapter goes through it too: the adapter builds its application with it.)"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from newsbot_telegram.transport import AiohttpRequest
from tests.telegram.fake_bot_api import TOKEN

ME = {"id": 1, "is_bot": True, "first_name": "News", "username": "news_bot"}
MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 5, "type": "private"}}


class Recorder:
    """A Bot API that answers getMe and any send, recording what each request carried;
    `stall` makes it answer only once `released`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.stall = False
        self.released = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        fields = {name: (value.file.read() if isinstance(value, web.FileField) else value)
                  for name, value in form.items()}
        self.requests.append((method, request.content_type, fields))
        if self.stall:
            await self.released.wait()
        return web.json_response({"ok": True, "result": ME if method == "getMe" else MESSAGE})


@pytest.fixture
async def api() -> AsyncIterator[tuple[Recorder, str]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield recorder, f"http://127.0.0.1:{port}/bot"
    finally:
        recorder.released.set()
        await runner.cleanup()


async def test_a_message_goes_as_a_form_and_its_answer_comes_back(api):
    recorder, url = api
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest()) as bot:
        message = await bot.send_message(chat_id=5, text="<b>News</b>", parse_mode="HTML",
                                         api_kwargs={"allow_paid_broadcast": True})
    assert message.message_id == 7
    method, content_type, fields = recorder.requests[-1]
    assert (method, content_type) == ("sendMessage", "application/x-www-form-urlencoded")
    assert fields == {"chat_id": "5", "text": "<b>News</b>", "parse_mode": "HTML",
                      "allow_paid_broadcast": "true"}


async def test_a_file_goes_as_multipart_with_the_other_parameters(api):
    recorder, url = api
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest()) as bot:
        await bot.send_document(chat_id=5, document=b"a,b\n1,2\n", filename="t.csv",
                                caption="Table")
    method, content_type, fields = recorder.requests[-1]
    assert (method, content_type) == ("sendDocument", "multipart/form-data")
    assert fields["chat_id"] == "5" and fields["caption"] == "Table"
    assert fields["document"] == b"a,b\n1,2\n"


async def test_an_api_that_never_answers_is_timed_out(api):
    recorder, url = api
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest(read_timeout=0.2)) as bot:
        recorder.stall = True
        with pytest.raises(TimedOut):
            await bot.send_message(chat_id=5, text="x")


async def test_an_unreachable_api_is_a_network_error_that_names_no_token():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as info:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert not isinstance(info.value, TimedOut)
    assert TOKEN not in str(info.value) and TOKEN.split(":")[1] not in str(info.value)


async def test_a_proxy_named_in_the_environment_carries_the_requests(api, monkeypatch):
    recorder, url = api
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url.removesuffix("/bot"))  # as httpx honoured it
    async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot",
                   request=AiohttpRequest()) as bot:
        await bot.send_message(chat_id=5, text="through the proxy")
    assert [method for method, _, _ in recorder.requests] == ["getMe", "sendMessage"]
