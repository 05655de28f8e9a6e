"""Typed configuration: a TOML file, overridden key by key from the environment.

Where the file comes from: `--config PATH`, else `NEWSBOT_CONFIG`, else
`newsbot.toml` in the working directory (optional: with none, defaults and the
environment are used). Every key can come from `NEWSBOT_<SECTION>_<KEY>`, and
the environment wins. Relative paths (`site.posts_dir`, a relative SQLite file)
are taken relative to the folder of the config file, or the working directory.

A bad value raises `ConfigError` with one sentence naming the file and key.
Tokens are `SecretStr`: they never show in a repr, a log line or an error.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

DEFAULT_FILE = "newsbot.toml"
ENV_PREFIX = "NEWSBOT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A configuration problem a person can fix; the message names file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _http_url(value: str, *, allow_empty: bool = False) -> str:
    if allow_empty and value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL such as https://example.com")
    return value


class SiteConfig(_Section):
    posts_dir: Path = Path("_posts")
    url: str = "http://localhost:4000"
    permalink: str = "date"
    timezone: str = "UTC"
    #: seconds between full rescans, the safety net for lost file events
    rescan_seconds: float = Field(default=60.0, gt=0)
    #: where a body is cut when a post has no `excerpt`; empty = first paragraph
    excerpt_separator: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Europe/London)"
            ) from None
        return value

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StoreConfig(_Section):
    url: str = "sqlite:///newsbot.sqlite3"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres") or "://" not in value:
            raise ValueError("must be a sqlite:///FILE or postgresql://… database URL")
        return value


class LogConfig(_Section):
    level: str = "INFO"

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()


class ConsoleConfig(_Section):
    enabled: bool = False


class TelegramConfig(_Section):
    token: SecretStr = SecretStr("")
    api_url: str = "https://api.telegram.org/bot"

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class DiscordConfig(_Section):
    token: SecretStr = SecretStr("")
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    guild_id: int | None = None

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    @field_validator("gateway_url")
    @classmethod
    def _gateway(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError("must be a ws(s) URL such as wss://gateway.discord.gg")
        return value.rstrip("/")


class AppConfig(_Section):
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    log: LogConfig = LogConfig()
    console: ConsoleConfig = ConsoleConfig()
    telegram: TelegramConfig = TelegramConfig()
    discord: DiscordConfig = DiscordConfig()
    #: sections of third-party adapters, as written (each adapter validates its own)
    extras: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: the file the configuration came from, if any (for messages)
    source: str = "defaults"


CORE_SECTIONS = tuple(name for name in AppConfig.model_fields if name not in ("extras", "source"))


def find_config_file(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    """The config file to read: explicit path, `NEWSBOT_CONFIG`, or ./newsbot.toml if present."""
    if path is not None:
        return Path(path)
    if env.get("NEWSBOT_CONFIG"):
        return Path(env["NEWSBOT_CONFIG"])
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    extra_sections: Iterable[str] = (),
) -> AppConfig:
    """Read, merge and validate. `extra_sections` are third-party adapters' section names."""
    env = os.environ if env is None else env
    file = find_config_file(path, env)
    raw: dict[str, Any] = {}
    label = "defaults"
    base = Path.cwd()
    if file is not None:
        label = str(file)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: configuration file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read configuration file ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        base = file.resolve().parent

    known = set(CORE_SECTIONS) | set(extra_sections)
    origin: dict[tuple[str, ...], str] = {}
    for section, value in raw.items():
        if section not in known:
            names = ", ".join(sorted(known))
            raise ConfigError(f"{label}: unknown section [{section}] (known: {names})")
        if not isinstance(value, dict):
            raise ConfigError(f"{label}: {section} must be a table ([{section}])")
        for key in value:
            origin[(section, key)] = label

    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == "NEWSBOT_CONFIG":
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("_")
        if section not in known or not key:
            continue  # NEWSBOT_API_SPECS and friends belong to someone else
        raw.setdefault(section, {})[key] = value
        origin[(section, key)] = f"environment {name}"

    extras = {name: raw.pop(name) for name in list(raw) if name not in CORE_SECTIONS}
    try:
        config = AppConfig.model_validate({**raw, "extras": extras, "source": label})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, label, origin)) from None

    site = config.site
    if not site.posts_dir.is_absolute():
        site.posts_dir = base / site.posts_dir
    config.store.url = _anchor_sqlite(config.store.url, base)
    return config


def _anchor_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite file path relative to the config folder."""
    prefix = url.split("///", 1)[0] + "///"
    if not url.startswith("sqlite") or "///" not in url:
        return url
    rest = url[len(prefix):]
    if rest in ("", ":memory:") or rest.startswith("/") or rest.startswith("file:"):
        return url
    return prefix + str(base / rest)


def _describe(exc: ValidationError, label: str, origin: Mapping[tuple[str, ...], str]) -> str:
    """One sentence for the first problem, naming the key and where it came from.

    Never includes the offending value: it might be a token.
    """
    error = exc.errors(include_input=False, include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join(loc)
    where = origin.get(loc[:2], label)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{where}: {key}: {message}"
