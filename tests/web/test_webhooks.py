"""The core's webhook receiver: only a POST with the secret reaches the adapter, and only
a JSON object; what the adapter cannot read is acknowledged so it is not sent again."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from newsbot.web.webhooks import MAX_BODY, WebhookReceiver

HEADER = "X-Secret"
SECRET = "the-shared-secret"


@pytest.fixture
async def taken() -> AsyncIterator[tuple[WebhookReceiver, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []

    async def take(update: dict[str, Any]) -> None:
        if update.get("poison"):
            raise ValueError("unreadable")
        got.append(update)

    receiver = WebhookReceiver(host="127.0.0.1", port=0, path="/hook", header=HEADER,
                               secret=SECRET, take=take)
    await receiver.start()
    try:
        yield receiver, got
    finally:
        await receiver.stop()


async def post(receiver: WebhookReceiver, body: bytes, headers: dict[str, str],
               method: str = "POST", path: str = "/hook") -> int:
    url = f"http://127.0.0.1:{receiver.port}{path}"
    async with aiohttp.ClientSession() as session, session.request(
        method, url, data=io.BytesIO(body), headers=headers
    ) as response:
        return response.status


@pytest.mark.parametrize(
    ("body", "headers", "method", "path", "status"),
    [
        (b'{"update_id": 1}', {HEADER: SECRET}, "POST", "/hook", 200),
        (b'{"update_id": 1}', {}, "POST", "/hook", 403),
        (b'{"update_id": 1}', {HEADER: SECRET.upper()}, "POST", "/hook", 403),
        (b"not json", {HEADER: SECRET}, "POST", "/hook", 400),
        (b"[1, 2]", {HEADER: SECRET}, "POST", "/hook", 400),
        (b'{"update_id": 1}', {HEADER: SECRET}, "GET", "/hook", 405),
        (b'{"update_id": 1}', {HEADER: SECRET}, "POST", "/other", 404),
        (b'{"poison": true}', {HEADER: SECRET}, "POST", "/hook", 200),
        (b'{"a": "' + b"x" * MAX_BODY + b'"}', {HEADER: SECRET}, "POST", "/hook", 413),
    ],
    ids=["taken", "no-secret", "wrong-secret", "not-json", "not-an-object", "get",
         "other-path", "unreadable", "too-large"],
)
async def test_what_reaches_the_adapter(
    taken: tuple[WebhookReceiver, list[dict[str, Any]]], body: bytes, headers: dict[str, str],
    method: str, path: str, status: int,
) -> None:
    receiver, got = taken
    assert await post(receiver, body, headers, method, path) == status
    assert got == ([{"update_id": 1}] if status == 200 and b"poison" not in body else [])
    assert receiver.refused == (1 if status == 403 else 0)


def test_a_webhook_without_a_secret_is_refused() -> None:
    async def take(update: dict[str, Any]) -> None:
        """Never called."""

    with pytest.raises(ValueError, match="needs a secret"):
        WebhookReceiver(host="127.0.0.1", port=0, path="/", header=HEADER, secret="", take=take)
