"""Where adapters are found: an explicit list plus the `newsbot.adapters` entry points.

The built-in adapters are named here, so a broken environment (no entry point
metadata, a source checkout) still finds them. A third party adds a platform by
declaring an entry point `name = "package:AdapterClass"` in the group
`newsbot.adapters`; no folder is scanned and nothing is registered by import.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from newsbot.adapter import Adapter

if TYPE_CHECKING:
    from newsbot.chat.desk import CommandDesk
    from newsbot.config import AppConfig

log = logging.getLogger(__name__)

GROUP = "newsbot.adapters"
BUILTIN: dict[str, str] = {
    "console": "newsbot_console:ConsoleAdapter",
    "telegram": "newsbot_telegram:TelegramAdapter",
    "discord": "newsbot_discord:DiscordAdapter",
}


class AdapterNotFound(LookupError):
    """No adapter is registered under that name, or it is not an `Adapter`."""


def available() -> dict[str, str]:
    """Adapter name → `module:Class`, built-ins first, then installed entry points."""
    found = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def load(name: str) -> type[Adapter]:
    """Import the adapter class registered under `name`."""
    target = available().get(name)
    if target is None:
        known = ", ".join(sorted(available()))
        raise AdapterNotFound(f"no adapter named {name!r} (known: {known})")
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise AdapterNotFound(f"{target} is not a newsbot Adapter")
    return cls


def adapters() -> dict[str, type[Adapter]]:
    """Every adapter class that can be imported, by name. One that cannot is logged
    and left out, so a broken plug-in does not stop the others."""
    found: dict[str, type[Adapter]] = {}
    for name in available():
        try:
            found[name] = load(name)
        except Exception:
            log.exception("adapter %r cannot be loaded; continuing without it", name)
    return found


def build_adapters(config: AppConfig, desk: CommandDesk) -> dict[str, Adapter]:
    """Every registered adapter whose settings turn it on."""
    built: dict[str, Adapter] = {}
    for cls in adapters().values():
        adapter = cls.from_config(config, desk)
        if adapter is not None:
            built[cls.platform] = adapter
    return built


def enable_hints() -> list[str]:
    """For each adapter, the settings that would turn it on."""
    return [f"{name}: {cls.enable_hint}" for name, cls in adapters().items()
            if cls.enable_hint]
