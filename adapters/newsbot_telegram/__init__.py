"""Telegram for newsbot: stories pushed to chats, groups and channels; commands answered.

Turned on by `telegram.token` (`NEWSBOT_TELEGRAM_TOKEN`); `telegram.api_url` sets
the Bot API base URL (a self-hosted Bot API server, or the tests' fake).
"""

import os

# Opt in now to python-telegram-bot's coming time periods as `timedelta`: without
# it, every 429 makes PTB warn about its own `RetryAfter.retry_after` (errors.py
# reads either form).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from newsbot_telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
