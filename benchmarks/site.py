"""A bot to measure: its configuration file, and a newsroom pointed at the fakes.

Everything the benchmarks run is the shipped code (`Newsroom`, the registry's
adapters built by `from_config`, the SQLite store); only the endpoints differ:
`telegram.api_url`, `discord.api_url` and `discord.gateway_url` name the fake
servers on 127.0.0.1, as a self-hosted Bot API or a rate-limit proxy would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsbot.config import AppConfig, load_config
from newsbot_discord import DiscordAdapter

SITE_URL = "https://news.example.org"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the fakes listen (None: that platform stays off)."""

    telegram_api: str | None = None
    discord_api: str | None = None
    discord_gateway: str | None = None


def write_config(folder: Path, posts_dir: Path, endpoints: Endpoints) -> Path:
    """newsbot.toml in `folder`, with its store there too; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[site]",
        f'url = "{SITE_URL}"',
        f'posts_dir = "{posts_dir.as_posix()}"',
        "[store]",
        'url = "sqlite:///newsbot.sqlite3"',
        "[log]",
        'level = "WARNING"',
    ]
    if endpoints.telegram_api:
        lines += ["[telegram]", f'api_url = "{endpoints.telegram_api}"']
    if endpoints.discord_api and endpoints.discord_gateway:
        lines += [
            "[discord]",
            f'api_url = "{endpoints.discord_api}"',
            f'gateway_url = "{endpoints.discord_gateway}"',
        ]
    path = folder / "newsbot.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def token_env(endpoints: Endpoints) -> dict[str, str]:
    """The tokens the fakes accept, as `newsbot run` would find them in the environment."""
    # imported here: the probe, which runs the bot, must not load the fakes' modules
    from tests.discord.objects import TOKEN as DISCORD_TOKEN
    from tests.telegram.fake_bot_api import TOKEN as TELEGRAM_TOKEN

    env = {}
    if endpoints.telegram_api:
        env["NEWSBOT_TELEGRAM_TOKEN"] = TELEGRAM_TOKEN
    if endpoints.discord_api:
        env["NEWSBOT_DISCORD_TOKEN"] = DISCORD_TOKEN
    return env


def load(path: Path, env: Mapping[str, str]) -> AppConfig:
    return load_config(path, env=dict(env))


def quick_discord_ready() -> None:
    """discord.py waits `guild_ready_timeout` (2 s) after the last GUILD_CREATE for more
    guilds; the fake has one. Start-up only: nothing measured waits on it."""
    DiscordAdapter.guild_ready_timeout = 0.05
