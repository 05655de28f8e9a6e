"""The `[console]` section of newsbot.toml (`NEWSBOT_CONSOLE_ENABLED`; `--console` sets it)."""

from __future__ import annotations

from newsbot.sections import Section


class ConsoleSettings(Section):
    enabled: bool = False
