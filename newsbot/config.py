"""Typed configuration: a TOML file, overridden key by key from the environment.

The core's sections (`site`, `store`, `log`, `web`, `delivery`, `metrics`) are
declared in `sections.py`; every other section belongs to the adapter of that
name, whose `settings` model declares it (`Adapter.settings`), so a third-party
adapter brings its own, validated the same way. Read one with
`config.section("telegram", TelegramSettings)`.

Where the file comes from: `--config PATH`, else `NEWSBOT_CONFIG`, else
`newsbot.toml` in the working directory (optional: with none, defaults and the
environment are used). Every key can come from `NEWSBOT_<SECTION>_<KEY>`, and
the environment wins; the command line's few settings (`--console`) win over
both. Relative paths (`site.posts_dir`, a relative SQLite file)
are taken relative to the folder of the config file, or the working directory.
With `site.source`, the site's own `_config.yml` fills the `site` keys that the
file and the environment leave unset.

A bad value raises `ConfigError` with one sentence naming the file and key.
Tokens are `SecretStr`: they never show in a repr, a log line or an error.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import (
    Field,
    SerializeAsAny,
    ValidationError,
)

from newsbot import registry
from newsbot.sections import (
    DeliveryConfig,
    LogConfig,
    MetricsConfig,
    Section,
    SiteConfig,
    StoreConfig,
    WebConfig,
)

if TYPE_CHECKING:
    from newsbot.adapter import Adapter

DEFAULT_FILE = "newsbot.toml"
ENV_PREFIX = "NEWSBOT_"


class ConfigError(Exception):
    """A configuration problem a person can fix; the message names file and key."""


S = TypeVar("S", bound=Section)


class AppConfig(Section):
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    log: LogConfig = LogConfig()
    web: WebConfig = WebConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    metrics: MetricsConfig = MetricsConfig()
    #: each adapter's validated section, by adapter name (read one with `section`)
    adapter_sections: dict[str, SerializeAsAny[Section]] = Field(default_factory=dict)
    #: the file the configuration came from, if any (for messages)
    source: str = "defaults"

    def section(self, name: str, model: type[S]) -> S:
        """The adapter `name`'s validated section, as its `settings` model."""
        value = self.adapter_sections.get(name)
        if not isinstance(value, model):
            raise LookupError(f"no [{name}] section of type {model.__name__} was read")
        return value


CORE_SECTIONS = ("site", "store", "log", "web", "delivery", "metrics")


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
    *,
    adapters: Mapping[str, type[Adapter]] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> AppConfig:
    """Read, merge and validate.

    `adapters` (name → class; the registry's by default) bring the sections their
    `settings` models declare. `overrides` are the command line's values: they win.
    """
    env = os.environ if env is None else env
    models = _settings_models(registry.adapters() if adapters is None else adapters)
    known = (*CORE_SECTIONS, *models)
    raw: dict[str, dict[str, Any]] = {}
    origin: dict[tuple[str, ...], str] = {}
    file = find_config_file(path, env)
    label = "defaults" if file is None else str(file)
    if file is not None:
        _merge(raw, origin, _read(file), label, known)
    for name, value in env.items():
        section = _env_section(name, known)
        if section is not None:
            key = name[len(ENV_PREFIX) + len(section) + 1:].lower()
            _merge(raw, origin, {section: {key: value}}, f"environment {name}", known)
    _merge(raw, origin, overrides or {}, "command line", known)

    base = Path.cwd() if file is None else file.resolve().parent
    jekyll = _merge_jekyll_config(raw, origin, base)
    core = {name: raw[name] for name in CORE_SECTIONS if name in raw}
    config = _validate(AppConfig, {**core, "source": label}, (), label, origin)
    for name, model in models.items():
        config.adapter_sections[name] = _validate(model, raw.get(name, {}), (name,), label, origin)

    site = config.site
    if not site.posts_dir.is_absolute():
        site.posts_dir = base / site.posts_dir
    if jekyll is not None:
        site._jekyll_file, site._jekyll_taken, site._jekyll_config = jekyll
    config.store.url = _anchor_sqlite(config.store.url, base)
    return config


def _settings_models(adapters: Mapping[str, type[Adapter]]) -> dict[str, type[Section]]:
    """The sections adapters declare, by adapter name; an adapter may declare none."""
    models = {}
    for name, cls in adapters.items():
        model = cls.settings
        if model is None:
            continue
        if not (isinstance(model, type) and issubclass(model, Section)):
            # a plain pydantic model would drop unknown keys silently
            raise ConfigError(f"adapter {name!r}: its settings must be a newsbot.sections.Section")
        if name in CORE_SECTIONS:
            raise ConfigError(f"adapter {name!r} cannot declare the core's [{name}] section")
        models[name] = model
    return models


def _read(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read configuration file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None


def _env_section(name: str, known: Iterable[str]) -> str | None:
    """The section `NEWSBOT_<SECTION>_<KEY>` sets, if it is one of ours (longest name wins,
    so an adapter may have `_` in its name); NEWSBOT_API_SPECS and friends are not."""
    rest = name[len(ENV_PREFIX):].lower() if name.startswith(ENV_PREFIX) else ""
    matches = [s for s in known if rest.startswith(f"{s}_") and len(rest) > len(s) + 1]
    return max(matches, key=len, default=None)


def _merge(
    raw: dict[str, dict[str, Any]],
    origin: dict[tuple[str, ...], str],
    layer: Mapping[str, Any],
    label: str,
    known: Sequence[str],
) -> None:
    """Lay one source's sections over `raw`, remembering where each key came from."""
    for section, value in layer.items():
        if section not in known:
            names = ", ".join(sorted(known))
            raise ConfigError(f"{label}: unknown section [{section}] (known: {names})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"{label}: {section} must be a table ([{section}])")
        raw.setdefault(section, {}).update(value)
        origin.update({(section, key): label for key in value})


def _validate(
    model: type[S],
    data: Mapping[str, Any],
    loc: tuple[str, ...],
    label: str,
    origin: Mapping[tuple[str, ...], str],
) -> S:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, loc, label, origin)) from None


def _merge_jekyll_config(
    raw: dict[str, Any], origin: dict[tuple[str, ...], str], base: Path
) -> tuple[Path | None, dict[str, Any], dict[str, Any]] | None:
    """With `site.source`, fill the site keys newsbot.toml and the environment leave
    unset from the site's `_config.yml`; return (file, values taken, whole config)."""
    from newsbot.ingest.jekyll_site import JekyllConfigError, read_jekyll_config, site_values

    site = raw.get("site")
    if not isinstance(site, dict) or not site.get("source"):
        return None
    source = base / str(site["source"])  # an absolute source stays as it is
    site["source"] = str(source)
    if not source.is_dir():
        where = origin.get(("site", "source"), "configuration")
        raise ConfigError(f"{where}: site.source: folder not found: {source}")
    try:
        file, config = read_jekyll_config(source)
        values = site_values(config, file) if file is not None else {}
    except JekyllConfigError as exc:
        raise ConfigError(str(exc)) from None
    taken = {key: value for key, value in values.items() if ("site", key) not in origin}
    for key, value in taken.items():
        site[key] = value
        origin[("site", key)] = str(file)
    return file, taken, config


def _anchor_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite file path relative to the config folder."""
    prefix = url.split("///", 1)[0] + "///"
    if not url.startswith("sqlite") or "///" not in url:
        return url
    rest = url[len(prefix):]
    if rest in ("", ":memory:") or rest.startswith("/") or rest.startswith("file:"):
        return url
    return prefix + str(base / rest)


def _describe(
    exc: ValidationError,
    section: tuple[str, ...],
    label: str,
    origin: Mapping[tuple[str, ...], str],
) -> str:
    """One sentence for the first problem, naming the key and where it came from.

    Never includes the offending value: it might be a token.
    """
    error = exc.errors(include_input=False, include_url=False)[0]
    loc = section + tuple(str(part) for part in error["loc"])
    key = ".".join(loc)
    where = origin.get(loc[:2], label)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{where}: {key}: {message}"
