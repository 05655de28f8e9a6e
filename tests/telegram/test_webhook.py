"""Webhooks: with `telegram.webhook_url` and `telegram.listen`, Telegram POSTs updates to
the bot (the fake does, as a self-hosted Bot API server would, over http to 127.0.0.1);
commands are answered, a request without the secret token never reaches the desk, and
going back to polling deletes the webhook."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from newsbot import logs
from newsbot.app import Newsroom
from newsbot.config import AppConfig, ConfigError, load_config
from newsbot_telegram import TelegramAdapter
from newsbot_telegram.webhook import derived_secret
from tests.helpers import make_config
from tests.telegram.bot_api_webhooks import Hook
from tests.telegram.conftest import telegram_config, telegram_room
from tests.telegram.fake_bot_api import TOKEN, ApiError, FakeBotAPI, command, person, private

PATH = "/telegram/updates"
LATEST = "Latest stories\n\n• The vote — 21 Jan 2026\n• Budget day — 20 Jan 2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_config(tmp_path: Path, fake: FakeBotAPI, **telegram: Any) -> AppConfig:
    port = free_port()
    section = {"api_url": fake.api_url, "webhook_url": f"http://127.0.0.1:{port}{PATH}",
               "listen": f"127.0.0.1:{port}", **telegram}
    return make_config(tmp_path, sections={"telegram": section},
                       env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN})


@pytest.fixture
async def hooked(tmp_path: Path, fake: FakeBotAPI, posts: Path) -> AsyncIterator[Newsroom]:
    room = telegram_room(webhook_config(tmp_path, fake))
    await room.start()
    try:
        yield room
    finally:
        await room.stop()


async def test_a_command_posted_to_the_webhook_is_answered(
    hooked: Newsroom, fake: FakeBotAPI
) -> None:
    assert fake.webhook is not None
    assert fake.webhook.url.endswith(PATH)
    assert fake.webhook.secret_token == derived_secret(TOKEN)
    assert fake.webhook.allowed_updates == ["message", "channel_post"]
    reply = await fake.ask(command(private(person(7)), "/latest"))
    assert reply.visible == LATEST
    assert [p.status for p in fake.posted] == [200]
    assert fake.requests("getUpdates") == []  # nobody polls
    adapter = hooked.adapters["telegram"]
    assert adapter.worker_roles() == []  # every worker takes updates: no lease


@pytest.mark.parametrize("secret", [None, "", "forged", derived_secret(TOKEN)[:-1] + "0"])
async def test_an_update_without_the_secret_never_reaches_the_desk(
    hooked: Newsroom, fake: FakeBotAPI, secret: str | None
) -> None:
    assert await fake.post_update(command(private(person(7)), "/latest"), secret) == 403
    # the refusal came back before anything read the update; the next real one is answered,
    # and it is the only reply
    reply = await fake.ask(command(private(person(8)), "/tags"))
    assert reply.chat_id == 8
    assert [c.chat_id for c in fake.requests("sendMessage")] == [8]


async def test_a_configured_secret_is_the_one_telegram_is_given(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    room = telegram_room(webhook_config(tmp_path, fake, webhook_secret="Our_own-secret42"))
    await room.start()
    try:
        assert fake.webhook is not None and fake.webhook.secret_token == "Our_own-secret42"
        reply = await fake.ask(command(private(person(7)), "/latest"))
        assert reply.ok
    finally:
        await room.stop()


async def test_the_secret_is_never_logged(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)  # PTB logs every request's parameters at DEBUG
    room = telegram_room(webhook_config(tmp_path, fake, webhook_secret="Our_own-secret42"))
    try:
        await room.start()
        await fake.ask(command(private(person(7)), "/latest"))
        await fake.post_update(command(private(person(7)), "/latest"), "forged")
    finally:
        await room.stop()
        logs.configure("WARNING", stream=io.StringIO())
    out = stream.getvalue()
    assert "setWebhook" in out and "refused an update without the right secret" in out
    assert "Our_own-secret42" not in out


async def test_going_back_to_polling_deletes_the_webhook(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    fake.webhook = Hook("https://old.example.org/hook", "old-secret", None)
    room = telegram_room(telegram_config(tmp_path, fake))
    await room.start()
    try:
        assert fake.webhook is None
        reply = await fake.ask(command(private(person(7)), "/latest"))
        assert reply.visible == LATEST
    finally:
        await room.stop()
    assert [c.method for c in fake.calls if "Webhook" in c.method] == ["deleteWebhook"]
    assert fake.conflicts == []


async def test_a_port_already_taken_names_telegram_listen(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = webhook_config(tmp_path, fake)
        section = config.section("telegram", TelegramAdapter.settings)
        section.listen = f"127.0.0.1:{port}"
        room = telegram_room(config)
        with pytest.raises(ConfigError, match=r"^telegram\.listen: cannot listen on 127\.0\.0"):
            await room.start()
    assert fake.webhook is None  # Telegram was not told about an address nobody serves


def settings_error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(None, env={"NEWSBOT_TELEGRAM_TOKEN": TOKEN, **env})
    return str(info.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSBOT_TELEGRAM_WEBHOOK_URL": "http://bot.example.org/hook",
          "NEWSBOT_TELEGRAM_LISTEN": "0.0.0.0:8443"},
         "telegram.webhook_url: must be an https URL: Telegram delivers updates over https"),
        ({"NEWSBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook"},
         "telegram.listen: needed with telegram.webhook_url"),
        ({"NEWSBOT_TELEGRAM_LISTEN": "0.0.0.0:8443"},
         "telegram.listen: only used with telegram.webhook_url"),
        ({"NEWSBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook",
          "NEWSBOT_TELEGRAM_LISTEN": "8443"}, "telegram.listen: must be host:port"),
        ({"NEWSBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook",
          "NEWSBOT_TELEGRAM_LISTEN": "0.0.0.0:8443",
          "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": "has spaces in it"},
         "telegram.webhook_secret: must be 1 to 256 of the characters A-Z, a-z, 0-9, _ and -"),
    ],
    ids=["https", "listen-needed", "listen-alone", "listen-form", "secret-characters"],
)
def test_bad_webhook_settings_name_the_key(env: dict[str, str], message: str) -> None:
    error = settings_error(env)
    assert message in error
    assert "has spaces" not in error  # a value is never repeated: it might be a secret


def test_http_works_with_a_self_hosted_bot_api_server() -> None:
    config = load_config(None, env={
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
        "NEWSBOT_TELEGRAM_WEBHOOK_URL": "http://10.0.0.5:8080/hook",
        "NEWSBOT_TELEGRAM_LISTEN": "0.0.0.0:8080",
    })
    adapter = TelegramAdapter.from_config(config, None)  # type: ignore[arg-type]
    assert adapter is not None and adapter.webhook is not None
    assert (adapter.webhook.host, adapter.webhook.port, adapter.webhook.path) == (
        "0.0.0.0", 8080, "/hook")
    assert derived_secret(TOKEN) not in repr(adapter.webhook)


async def test_a_webhook_url_telegram_refuses_names_the_key(
    tmp_path: Path, fake: FakeBotAPI, posts: Path
) -> None:
    fake.fail(ApiError(400, "Bad Request: bad webhook: Webhook can be set up only on ports "
                            "80, 88, 443 or 8443"), method="setWebhook")
    room = telegram_room(webhook_config(tmp_path, fake))
    with pytest.raises(ConfigError, match=r"^telegram\.webhook_url: Telegram refused it "
                                          r"\(Bad webhook: webhook can be set up only on ports"):
        await room.start()
    assert fake.webhook is None
