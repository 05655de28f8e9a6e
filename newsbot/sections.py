"""The core's own configuration sections: `site`, `store`, `log`, `web`, `delivery` and
`metrics`, and the `Section` base every section (the adapters' too) is built on.

`newsbot.config` reads, merges and validates them; this module only says what
each key may hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from newsbot.logs import register_secret

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Section(BaseModel):
    """One `[section]` of newsbot.toml: unknown keys are errors, defaults are validated.

    An adapter's `settings` model subclasses this; its section is named after it.
    """

    model_config = ConfigDict(extra="forbid", validate_default=True)


def http_url(value: str, *, allow_empty: bool = False) -> str:
    """The validator of every http(s) URL setting (adapters' too)."""
    if allow_empty and value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL such as https://example.com")
    return value


def listen_address(value: str, example: str = "127.0.0.1:8080") -> str:
    """The validator of every host:port setting ("" = off)."""
    if value == "":
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not host or not (port.isdigit() and 0 <= int(port) < 65536):
        raise ValueError(f"must be host:port, such as {example}")
    return value


def split_listen(value: str) -> tuple[str, int]:
    """A valid host:port setting as (host, port), an IPv6 host without its brackets."""
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def secret(value: SecretStr) -> str | None:
    """A secret setting (a bot token) as set, hidden from every log line from now on
    (a platform's URLs contain its token, and HTTP clients log URLs); None when it is
    empty, which leaves its adapter off."""
    text = value.get_secret_value().strip()
    if not text:
        return None
    register_secret(text)
    return text


class SiteConfig(Section):
    #: the Jekyll source folder: its `_config.yml` is read and every `_posts` folder under it
    source: Path | None = None
    #: a single folder of posts, for a site without `_config.yml` (ignored with `source`)
    posts_dir: Path = Path("_posts")
    url: str = "http://localhost:4000"
    permalink: str = "date"
    timezone: str = "UTC"
    #: seconds between full rescans, the safety net for lost file events
    rescan_seconds: float = Field(default=60.0, gt=0)
    #: where a body is cut when a post has no `excerpt`, as in Jekyll (`""` = no excerpt);
    #: unset: Jekyll's "\n\n" with `source`, else the first paragraph of prose
    excerpt_separator: str | None = None
    #: publish posts dated in the future at once (Jekyll's `future`), instead of at their time
    future: bool = False
    #: paths under `source` never read (Jekyll's `exclude`, with its defaults)
    exclude: list[str] = Field(default_factory=list)
    #: where the collections live under `source` (Jekyll's `collections_dir`)
    collections_dir: str = ""
    #: the `_config.yml` read, and the values taken from it (for `newsbot check`)
    _jekyll_file: Path | None = PrivateAttr(default=None)
    _jekyll_taken: dict[str, Any] = PrivateAttr(default_factory=dict)
    #: the whole `_config.yml`, which Liquid in excerpts sees as `site`
    _jekyll_config: dict[str, Any] = PrivateAttr(default_factory=dict)
    # the site's `_data` files as read last, kept until one changes (see jekyll_site)
    _data_cache: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value).rstrip("/")

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

    @field_validator("exclude", mode="before")
    @classmethod
    def _exclude(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: comma-separated
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def jekyll(self) -> bool:
        """Whether posts are read the way Jekyll reads a whole site (`source` is set)."""
        return self.source is not None

    @property
    def root(self) -> Path:
        """The folder whose files are posts, and relative to which their paths are kept."""
        if self.source is None:
            return self.posts_dir
        return self.source / self.collections_dir if self.collections_dir else self.source

    @property
    def separator(self) -> str | None:
        """The site's excerpt separator in effect (None: newsbot's first paragraph)."""
        if self.excerpt_separator is None and self.jekyll:
            return "\n\n"  # Jekyll's default
        return self.excerpt_separator

    @property
    def jekyll_file(self) -> Path | None:
        return self._jekyll_file

    @property
    def jekyll_taken(self) -> dict[str, Any]:
        return dict(self._jekyll_taken)

    @property
    def jekyll_config(self) -> dict[str, Any]:
        return self._jekyll_config

    @property
    def data_cache(self) -> dict[str, Any]:
        """Where the site's `_data` is kept between posts, by whoever reads them."""
        return self._data_cache


class StoreConfig(Section):
    url: str = "sqlite:///newsbot.sqlite3"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres") or "://" not in value:
            raise ValueError("must be a sqlite:///FILE or postgresql://… database URL")
        return value


class LogConfig(Section):
    level: str = "INFO"

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()


class DeliveryConfig(Section):
    """What happens to messages already delivered when their story changes."""

    #: "update": a visible change to a delivered post edits every message sent for it;
    #: "ignore": messages keep what they said when sent (the store still changes)
    edits: Literal["update", "ignore"] = "update"
    #: "delete": the messages of a post deleted or unpublished are deleted where the
    #: platform allows; "keep": they stay
    deletions: Literal["keep", "delete"] = "keep"


class Listening(Section):
    """A section that serves something over HTTP on `listen` (host:port; "" = off,
    port 0: any free one)."""

    #: the example a bad `listen` is told to look like
    example: ClassVar[str] = "127.0.0.1:8080"
    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        return listen_address(value, cls.example)

    @property
    def enabled(self) -> bool:
        return bool(self.listen)

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]


class WebConfig(Listening):
    """The moderators' web page (`newsbot.web`): off unless `listen` is set (without it,
    no /manage command either)."""

    #: what sign-in links point at (a reverse proxy's https URL); unset: http://<listen>
    public_url: str = ""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return http_url(value, allow_empty=True).rstrip("/")

    @property
    def base_url(self) -> str:
        """Where links point: `public_url`, else the listening address itself."""
        return self.public_url or f"http://{self.listen}"

    @property
    def secure(self) -> bool:
        """Cookies are only sent over https when the page is reached over https."""
        return self.base_url.startswith("https://")


class MetricsConfig(Listening):
    """Each worker's `/healthz` and Prometheus `/metrics` (`newsbot.ops`): off unless
    `listen` is set."""

    example: ClassVar[str] = "127.0.0.1:9108"
