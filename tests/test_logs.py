"""Secrets registered by adapters never reach a log handler."""

from __future__ import annotations

import io
import logging

from pydantic import SecretStr

from newsbot import logs
from newsbot.sections import secret

TOKEN = "987654:AAH-recognisable-secret"


def test_token_is_redacted_from_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)
    logs.register_secret(TOKEN)
    log = logging.getLogger("httpx")
    log.info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        logging.getLogger("newsbot.test").exception("send failed")
    out = stream.getvalue()
    assert TOKEN not in out
    assert "bot[REDACTED]/getMe" in out and "bot[REDACTED]/sendMessage" in out
    logs.configure("WARNING", stream=io.StringIO())  # leave logging quiet for other tests


def test_a_secret_setting_is_hidden_once_read_and_empty_means_off():
    token = "123456:AAH-another-setting-secret"
    assert secret(SecretStr("  ")) is None
    assert secret(SecretStr(f" {token}\n")) == token
    assert logs.redact(f"https://api.telegram.org/bot{token}/getMe") == (
        "https://api.telegram.org/bot[REDACTED]/getMe")
