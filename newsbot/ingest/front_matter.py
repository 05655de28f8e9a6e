"""Front matter: a post file's bytes decoded, split at its fences, and its YAML/TOML read.

Encodings (UTF-8 with or without BOM, UTF-16 with BOM) and line endings are
decided here, once. A file caught mid-write (an unclosed fence) or whose front
matter is not a mapping raises `PostError` with the line to look at.
"""

from __future__ import annotations

import abc
import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler

# The C loader is ten times faster; both are safe loaders, never the full one.
_YamlLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: a post file larger than this is refused unread ("too large"): far beyond any
#: article, and it keeps one bad file from costing the bot seconds and megabytes
MAX_POST_BYTES = 2 * 1024 * 1024

_LEADING_SPACE = re.compile(r"\s+")
_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column \d+\)$")


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
            raise PostError(f"the front matter must be `key: value` lines, not {kind(meta)}",
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


def decode_text(data: bytes) -> str:
    """A file's text: BOM honoured, line endings made `\\n`; `PostError` if not text."""
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


def split_front_matter(text: str) -> tuple[Mapping[str, Any], str]:
    """The front matter as a mapping, and the body after its closing fence."""
    stripped = text.lstrip()
    lead = text.count("\n", 0, len(text) - len(stripped))  # lines before the fence
    end = stripped.find("\n")
    handler = _HANDLERS.get((stripped if end < 0 else stripped[:end]).rstrip())
    if handler is None:
        raise PostError("no front matter: a post starts with a `---` line", line=lead + 1)
    try:
        fm, body = handler.split(stripped)
        meta = handler.load(fm)
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
    # Jekyll's content starts after the closing fence line and any blank lines after it
    # (its YAML_FRONT_MATTER_REGEXP, lib/jekyll/document.rb); indentation is kept.
    blank = _LEADING_SPACE.match(body)
    if blank is not None:
        body = body[blank.group().rfind("\n") + 1 :]
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


def kind(value: object) -> str:
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


