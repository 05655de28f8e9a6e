"""Reading one post file into a `Post`, the way Jekyll (and mostly Hugo) would.

`parse_post` takes the raw bytes, so that encodings (UTF-8 with or without BOM,
UTF-16 with BOM) and line endings are decided here, once. Anything it cannot
turn into a trustworthy `Post` raises `PostError` with a reason a person can
act on: a half-written file must never become a half-right message.
"""

from __future__ import annotations

import abc
import html
import posixpath
import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler

from newsbot.config import SiteConfig
from newsbot.ingest.excerpt import clean_text, excerpt_from_body, to_text
from newsbot.ingest.permalink import image_url, post_url, slugify
from newsbot.types import Post

# The C loader is ten times faster; both are safe loaders, never the full one.
_YamlLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: extensions taken off a file name to get its slug
POST_EXTENSIONS = (".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".mdwn", ".html", ".htm",
                   ".txt", ".textile")
IMAGE_KEYS = ("path", "feature", "url", "teaser")
#: a post file larger than this is refused unread ("too large"): far beyond any
#: article, and it keeps one bad file from costing the bot seconds and megabytes
MAX_POST_BYTES = 2 * 1024 * 1024
#: tags (and, separately, categories) a post may carry; more is a mistake, not a post
MAX_LABELS = 1000
#: authors a post may name
MAX_AUTHORS = 20
#: longest post id (front matter `id`, `permalink` or path): the store's key column
MAX_ID_LENGTH = 1024

_FILE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})-(.+)")
_DATE_TEXT = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PostError(Exception):
    """A post that cannot be read; `line` is the 1-based line of the problem if known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return self.reason


class _FencedHandler(BaseHandler, abc.ABC):
    """Splits on exact fence lines and, unlike the library, refuses an unclosed fence.

    python-frontmatter treats a missing closing fence as "no front matter",
    which would turn a file caught mid-write into a post made of its YAML.
    """

    FENCE = ""
    CLOSE: re.Pattern[str] = re.compile("$^")

    def __init__(self) -> None:
        super().__init__(fm_boundary=self.CLOSE, start_delimiter=self.FENCE,
                         end_delimiter=self.FENCE)

    def split(self, text: str) -> tuple[str, str]:
        start = text.find("\n") + 1
        close = self.CLOSE.search(text, start) if start else None
        if close is None:
            raise PostError(f"the front matter opened by `{self.FENCE}` on line 1 is never "
                            "closed (is the file still being written?)", line=1)
        return text[start : close.start()], text[close.end() :]

    def load(self, fm: str, **kwargs: object) -> dict[str, Any]:
        # The library silently drops front matter that is not a mapping.
        meta = self.decode(fm)
        if meta is None:
            return {}
        if not isinstance(meta, dict):
            raise PostError(f"the front matter must be `key: value` lines, not {_kind(meta)}",
                            line=2)
        return meta

    @abc.abstractmethod
    def decode(self, fm: str) -> object:
        """The front matter text as data (YAML or TOML)."""


class _YamlHandler(_FencedHandler):
    FENCE = "---"
    CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)

    def decode(self, fm: str) -> object:
        return yaml.load(fm, Loader=_YamlLoader)


class _TomlHandler(_FencedHandler):
    """TOML front matter with the standard library, as Hugo writes it between `+++`."""

    FENCE = "+++"
    CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)

    def decode(self, fm: str) -> object:
        return tomllib.loads(fm)


_HANDLERS: dict[str, _FencedHandler] = {"---": _YamlHandler(), "+++": _TomlHandler()}


def too_large(size: int) -> PostError:
    """The problem reported for a file of `size` bytes over `MAX_POST_BYTES`."""
    return PostError(f"the file is too large ({size / 1_048_576:.1f} MB; a post may be at "
                     f"most {MAX_POST_BYTES // 1_048_576} MB)")


def parse_post(data: bytes, relpath: str, site: SiteConfig) -> Post | None:
    """The post in `data`, None if it is not to be published, or `PostError`.

    `relpath` is the POSIX path below the posts folder: it gives the date and
    slug of `YYYY-MM-DD-slug.md` names, the default id, and names the file in
    warnings.
    """
    try:
        return _parse(data, relpath, site)
    except PostError:
        raise
    except Exception as exc:  # a reader must never take the watcher down
        raise PostError(f"cannot read the post ({type(exc).__name__}: {exc})") from exc


def _parse(data: bytes, relpath: str, site: SiteConfig) -> Post | None:
    if len(data) > MAX_POST_BYTES:
        raise too_large(len(data))
    text = _decode(data)
    if not text.strip():
        raise PostError("the file is empty (is it still being written?)")
    meta, body = _front_matter(text)
    if meta.get("published") is False or meta.get("draft") is True:
        return None

    title = _text(meta, "title")
    if title is None:
        raise PostError("no title: add `title:` to the front matter")
    title = clean_text(html.unescape(title) if "&" in title else title)
    if not title:
        raise PostError("the title is empty")

    file_date, file_slug = _from_file_name(relpath)
    if meta.get("date") is not None:
        when = _date(meta["date"], site.tzinfo)
    elif file_date is not None:
        when = datetime.combine(file_date, time(), site.tzinfo)
    else:
        raise PostError("no date: add `date:` to the front matter or name the file "
                        "YYYY-MM-DD-slug.md")
    _storable(when)

    categories = _labels(meta, "categories", "category")
    tags = _labels(meta, "tags", "tag")
    permalink = _text(meta, "permalink")
    given_slug = _text(meta, "slug")
    slug = (slugify(given_slug or file_slug or "", pretty=True, cased=True)
            or slugify(title)
            or slugify(posixpath.splitext(posixpath.basename(relpath))[0])
            or "post")
    post_id = (_text(meta, "id") or "").strip() or permalink or relpath
    if len(post_id) > MAX_ID_LENGTH:
        raise PostError(f"the post id is too long ({len(post_id)} characters, at most "
                        f"{MAX_ID_LENGTH}): shorten its id, permalink or file path")
    if _CONTROL.search(post_id):
        raise PostError("the post id (its id, permalink or file path) holds control characters")
    return Post(
        id=post_id,
        title=title,
        date=when,
        url=post_url(site, date=when, slug=slug, categories=categories, permalink=permalink),
        excerpt=_excerpt(meta, body, site),
        author=_author(meta.get("author")),
        image_url=_image(meta.get("image"), site, relpath),
        tags=tags,
        categories=categories,
        source=relpath,
    )


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        codec, name, raw = "utf-8", "UTF-8", data[3:]
    elif data.startswith(b"\xff\xfe"):
        codec, name, raw = "utf-16-le", "UTF-16 (little-endian)", data[2:]
    elif data.startswith(b"\xfe\xff"):
        codec, name, raw = "utf-16-be", "UTF-16 (big-endian)", data[2:]
    else:
        codec, name, raw = "utf-8", "UTF-8", data
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1 if codec == "utf-8" else None
        raise PostError(f"the file is not valid {name}: {exc.reason} at byte {exc.start} "
                        f"(save it as UTF-8)", line=line) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _front_matter(text: str) -> tuple[Mapping[str, Any], str]:
    stripped = text.lstrip()
    lead = text.count("\n", 0, len(text) - len(stripped))  # lines before the fence
    end = stripped.find("\n")
    handler = _HANDLERS.get((stripped if end < 0 else stripped[:end]).rstrip())
    if handler is None:
        raise PostError("no front matter: a post starts with a `---` line", line=lead + 1)
    try:
        meta, body = frontmatter.parse(stripped, handler=handler)
    except PostError as exc:
        raise PostError(exc.reason, line=lead + (exc.line or 1)) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, lead) from None
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_WHERE.search(str(exc))
        line = lead + 1 + int(where.group(1)) if where else None
        reason = _TOML_WHERE.sub("", str(exc))
        suffix = f" (line {line})" if line else ""
        raise PostError(f"the front matter is not valid TOML: {reason}{suffix}", line) from None
    return meta, body


def _yaml_error(exc: yaml.YAMLError, lead: int) -> PostError:
    problem = str(exc)
    line = None
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or exc.context or problem
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line = lead + 2 + mark.line  # mark lines count from 0 after the fence line
    suffix = f" (line {line})" if line else ""
    return PostError(f"the front matter is not valid YAML: {problem}{suffix}", line)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, datetime | date):
        return "a date"
    if isinstance(value, time):
        return "a time of day"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _text(meta: Mapping[str, Any], key: str) -> str | None:
    """A scalar field as a string; None when absent; PostError for anything else."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    hint = " (put it in quotes)" if isinstance(value, bool | date) else ""
    raise PostError(f"{key} must be text, not {_kind(value)}{hint}")


def _from_file_name(relpath: str) -> tuple[date | None, str]:
    """Date and slug of a Jekyll `YYYY-MM-DD-slug.md` name (no leading zeros needed)."""
    name = posixpath.basename(relpath)
    lowered = name.lower()
    for extension in POST_EXTENSIONS:
        if lowered.endswith(extension):
            name = name[: -len(extension)]
            break
    match = _FILE_DATE.fullmatch(name)
    if match is None:
        return None, ""
    slug = match.group(4).rstrip(".")  # Jekyll: slugs never end with a period
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), slug
    except ValueError:
        return None, slug


def _date(value: object, zone: tzinfo) -> datetime:
    """A front matter date as an aware datetime; naive ones are in the site's zone."""
    if isinstance(value, str):
        value = _date_from_text(value.strip())
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), zone)
    raise PostError(f"date must be a date such as 2024-05-06 12:30:00 +0100, not {_kind(value)}")


def _date_from_text(text: str) -> datetime:
    match = _DATE_TEXT.fullmatch(text)
    try:
        if match is None:
            return datetime.fromisoformat(text)
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                        int(second or 0), micro, _offset(offset))
    except ValueError:
        raise PostError(f"date {text!r} is not a date such as 2024-05-06 12:30:00 +0100") from None


def _storable(when: datetime) -> None:
    """Refuse dates the store cannot hold: it keeps them in UTC, within years 1 to 9999."""
    try:
        when.astimezone(UTC)
    except OverflowError:
        raise PostError(f"date {when.isoformat()} is out of range") from None


def _offset(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-delta if text[0] == "-" else delta)  # ValueError past 24 h


def _labels(meta: Mapping[str, Any], plural: str, singular: str) -> tuple[str, ...]:
    """Jekyll's `tags`/`tag` and `categories`/`category`, deduplicated, order kept.

    A plural string is space-separated words; a singular one is a single label.
    """
    items: list[object] = []
    for key, split in ((plural, True), (singular, False)):
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            items.extend(value.split() if split else [value])
        elif isinstance(value, list | tuple):
            for item in value:
                if item is not None and (isinstance(item, bool)
                                         or not isinstance(item, str | int | float)):
                    raise PostError(f"{key} must hold words, not {_kind(item)}")
            items.extend(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            items.append(value)
        else:
            raise PostError(f"{key} must be a list or space-separated words, not {_kind(value)}")
    if len(items) > MAX_LABELS:
        raise PostError(f"{plural} holds {len(items)} entries; a post may have at most "
                        f"{MAX_LABELS}")
    seen: set[str] = set()
    labels: list[str] = []
    for item in items:
        label = clean_text(str(item)) if item is not None else ""
        key = label.casefold()
        if label and key not in seen:
            seen.add(key)
            labels.append(label)
    return tuple(labels)


def _excerpt(meta: Mapping[str, Any], body: str, site: SiteConfig) -> str:
    given = _text(meta, "excerpt")
    if given is not None:
        return to_text(given, inline=True)
    separator = _text(meta, "excerpt_separator") or site.excerpt_separator
    return excerpt_from_body(body, separator)


def _author(value: object) -> str:
    """A name, a mapping with `name` (jekyll-seo-tag), or a list of those."""
    if isinstance(value, list | tuple):
        if len(value) > MAX_AUTHORS:
            raise PostError(f"author names {len(value)} people; at most {MAX_AUTHORS}")
        # one level only: a list of lists is a mistake (and, with YAML aliases, a bomb)
        return ", ".join(name for name in (_one_author(item) for item in value) if name)
    return _one_author(value)


def _one_author(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = value.get("name")
        if value is None:
            return ""
    if isinstance(value, str):
        return clean_text(html.unescape(value) if "&" in value else value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise PostError(f"author must be a name or a mapping with `name`, not {_kind(value)}")


def _image(value: object, site: SiteConfig, relpath: str) -> str | None:
    """`image: path` or a mapping (`path`, `feature`, `url`, `teaser`: first one set)."""
    key = "image"
    if isinstance(value, Mapping):
        key, value = next(((f"image.{k}", value[k]) for k in IMAGE_KEYS if value.get(k)),
                          (key, None))
    if value is None:
        return None
    if not isinstance(value, str):
        raise PostError(f"{key} must be a path or URL, not {_kind(value)}")
    return image_url(value, site, source=relpath)
