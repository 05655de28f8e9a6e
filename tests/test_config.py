"""Configuration: file, environment, validation messages, secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, SecretStr, field_validator

from newsbot.config import ConfigError, load_config
from newsbot.sections import Section, http_url
from newsbot_console.settings import ConsoleSettings
from newsbot_discord.settings import DiscordSettings
from newsbot_telegram.settings import TelegramSettings
from tests.helpers import ScriptedAdapter

TOKEN = "123456:SECRET-token-value"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_file_and_environment_with_environment_winning(tmp_path):
    path = write(tmp_path, '[site]\nurl = "https://a.example"\ntimezone = "Europe/London"\n')
    env = {
        "NEWSBOT_SITE_URL": "https://b.example/blog/",
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_DISCORD_GUILD_ID": "42",
        "NEWSBOT_LOG_LEVEL": "debug",
        "NEWSBOT_API_SPECS": "/somewhere",  # not ours: ignored
    }
    config = load_config(path, env=env)
    assert config.site.url == "https://b.example/blog"
    assert config.site.timezone == "Europe/London"
    assert config.site.posts_dir == tmp_path / "_posts"  # relative to the file
    assert config.store.url == f"sqlite:///{tmp_path}/newsbot.sqlite3"
    assert config.section("telegram", TelegramSettings).token.get_secret_value() == TOKEN
    assert config.section("discord", DiscordSettings).guild_id == 42
    assert config.log.level == "DEBUG"
    assert config.section("discord", DiscordSettings).api_url == "https://discord.com/api/v10"
    assert TOKEN not in repr(config) and TOKEN not in str(config.model_dump())


def test_config_file_from_environment_variable(tmp_path):
    path = write(tmp_path, '[site]\nurl = "https://c.example"\n')
    assert load_config(None, env={"NEWSBOT_CONFIG": str(path)}).site.url == "https://c.example"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ('[site]\nurl = "ftp://x"\n', {}, "newsbot.toml: site.url: must be an http(s) URL"),
        ('[site]\npost_dir = "x"\n', {}, "newsbot.toml: site.post_dir: unknown key"),
        ("[sight]\n", {}, "newsbot.toml: unknown section [sight]"),
        ("[site\n", {}, "newsbot.toml: not valid TOML"),
        ('[site]\ntimezone = "Mars/Base"\n', {}, "site.timezone: unknown time zone 'Mars/Base'"),
        ("", {"NEWSBOT_SITE_URL": "nope"}, "environment NEWSBOT_SITE_URL: site.url: must be"),
        ("", {"NEWSBOT_SITE_RESCAN_SECONDS": "-1"}, "site.rescan_seconds: Input should be greater"),
        ('[store]\nurl = "mysql://x"\n', {}, "store.url: must be a sqlite:///FILE"),
        ("", {"NEWSBOT_DISCORD_GATEWAY_URL": "http://x"}, "discord.gateway_url: must be a ws(s)"),
        ('[metrics]\nlisten = "9108"\n', {},
         "newsbot.toml: metrics.listen: must be host:port, such as 127.0.0.1:9108"),
        ("", {"NEWSBOT_METRICS_LISTEN": "localhost:http"},
         "environment NEWSBOT_METRICS_LISTEN: metrics.listen: must be host:port"),
    ],
)
def test_bad_values_give_one_line_naming_file_and_key(tmp_path, text, env, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_metrics_are_off_unless_listen_is_set_and_the_environment_may_set_it(tmp_path):
    assert not load_config(write(tmp_path, ""), env={}).metrics.enabled
    path = write(tmp_path, '[metrics]\nlisten = "127.0.0.1:9108"\n')
    assert load_config(path, env={}).metrics.port == 9108
    moved = load_config(path, env={"NEWSBOT_METRICS_LISTEN": "0.0.0.0:9200"}).metrics
    assert (moved.enabled, moved.host, moved.port) == (True, "0.0.0.0", 9200)


def test_errors_never_echo_a_token(tmp_path):
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\napi_url = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "telegram.api_url" in str(info.value) and TOKEN not in str(info.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nothere\.toml: configuration file not found"):
        load_config(tmp_path / "nothere.toml", env={})


def test_the_command_line_wins_over_file_and_environment(tmp_path):
    path = write(tmp_path, "[console]\nenabled = false\n")
    env = {"NEWSBOT_CONSOLE_ENABLED": "false"}
    config = load_config(path, env=env, overrides={"console": {"enabled": True}})
    assert config.section("console", ConsoleSettings).enabled is True
    assert load_config(path, env=env).section("console", ConsoleSettings).enabled is False


class TeamChatSettings(Section):
    """A third-party adapter's own section (`team_chat`: its name has an underscore)."""

    server: str = "https://chat.example"
    token: SecretStr = SecretStr("")
    rooms: int = 1

    @field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        return http_url(value)


class TeamChatAdapter(ScriptedAdapter):
    """Stands in for an adapter found through a `newsbot.adapters` entry point."""

    platform: ClassVar[str] = "team_chat"
    settings: ClassVar[type[Section] | None] = TeamChatSettings


#: what the registry hands `load_config`: adapter classes by name, one without settings
PLUGINS = {"scripted": ScriptedAdapter, "team_chat": TeamChatAdapter}


def test_a_third_party_adapter_brings_its_own_section(tmp_path):
    path = write(tmp_path, '[team_chat]\nserver = "https://a.example"\nrooms = 2\n')
    env = {"NEWSBOT_TEAM_CHAT_SERVER": "https://b.example", "NEWSBOT_TEAM_CHAT_TOKEN": TOKEN}
    config = load_config(path, env=env, adapters=PLUGINS)
    assert config.section("team_chat", TeamChatSettings) == TeamChatSettings(
        server="https://b.example", token=TOKEN, rooms=2  # the environment wins
    )
    assert TOKEN not in repr(config) and TOKEN not in str(config.model_dump())


def test_a_third_party_section_left_out_gets_its_defaults(tmp_path):
    config = load_config(write(tmp_path, ""), env={}, adapters=PLUGINS)
    assert config.section("team_chat", TeamChatSettings) == TeamChatSettings()


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ('[team_chat]\nserver = "ftp://x"\n', {},
         "newsbot.toml: team_chat.server: must be an http(s) URL"),
        ("", {"NEWSBOT_TEAM_CHAT_ROOMS": "many"},
         "environment NEWSBOT_TEAM_CHAT_ROOMS: team_chat.rooms: Input should be a valid integer"),
        ('[team_chat]\nroom = 3\n', {}, "newsbot.toml: team_chat.room: unknown key"),
        ("", {"NEWSBOT_TEAM_CHAT_ROOM": "3"},
         "environment NEWSBOT_TEAM_CHAT_ROOM: team_chat.room: unknown key"),
        ("[scripted]\n", {},
         "newsbot.toml: unknown section [scripted] "
         "(known: delivery, log, metrics, site, store, team_chat, web)"),
        ('[telegram]\ntoken = "x"\n', {},
         "newsbot.toml: unknown section [telegram] (known: delivery, log,"),
    ],
)
def test_a_third_party_section_is_checked_like_the_core(tmp_path, text, env, message):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env=env, adapters=PLUGINS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


class PlainSettings(BaseModel):
    token: str = ""


class LaxAdapter(ScriptedAdapter):
    settings = PlainSettings  # a plain pydantic model would let unknown keys through


@pytest.mark.parametrize(
    ("adapters", "message"),
    [
        ({"lax": LaxAdapter}, "adapter 'lax': its settings must be a newsbot.sections.Section"),
        ({"log": TeamChatAdapter}, "adapter 'log' cannot declare the core's [log] section"),
    ],
)
def test_settings_an_adapter_cannot_declare(tmp_path, adapters, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, ""), env={}, adapters=adapters)
