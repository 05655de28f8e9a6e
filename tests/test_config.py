"""Configuration: file, environment, validation messages, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.config import ConfigError, load_config

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
    assert config.telegram.token.get_secret_value() == TOKEN
    assert config.discord.guild_id == 42
    assert config.log.level == "DEBUG"
    assert config.discord.api_url == "https://discord.com/api/v10"
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
    ],
)
def test_bad_values_give_one_line_naming_file_and_key(tmp_path, text, env, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_errors_never_echo_a_token(tmp_path):
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\napi_url = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "telegram.api_url" in str(info.value) and TOKEN not in str(info.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nothere\.toml: configuration file not found"):
        load_config(tmp_path / "nothere.toml", env={})


def test_third_party_sections_are_kept_for_their_adapter(tmp_path):
    path = write(tmp_path, '[matrix]\nhomeserver = "https://m.example"\n')
    config = load_config(path, env={}, extra_sections=["matrix"])
    assert config.extras == {"matrix": {"homeserver": "https://m.example"}}
