"""Logging set-up, with secrets redacted from every record that reaches a handler.

The Telegram token is part of every Bot API URL, and HTTP client libraries log
URLs at INFO/DEBUG. Rather than hoping every library behaves, each adapter
registers its secrets here and a filter on the handlers rewrites any record
(message, arguments and traceback text) that contains one.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

REDACTED = "[REDACTED]"
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Never let `value` appear in a log line from now on."""
    if len(value) >= 6:  # a tiny "secret" would redact ordinary words
        with _lock:
            _secrets.add(value)


def forget_secret(value: str) -> None:
    """`value` no longer needs hiding (a sign-in link that expired)."""
    with _lock:
        _secrets.discard(value)


def redact(text: str) -> str:
    """`text` with every registered secret replaced."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Renders the record once, redacted, so no handler sees the raw secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Log to stderr at `level`, redacting secrets; quiet chatty libraries below DEBUG."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_newsbot", False):
            root.removeHandler(old)
    handler._newsbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # one INFO line per HTTP request drowns the bot's own messages (at DEBUG, all is wanted)
    for name in ("httpx", "httpcore", "discord.gateway", "discord.client", "alembic"):
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
