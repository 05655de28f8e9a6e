"""Where a post and its image live on the web, computed the way Jekyll does.

`post_url` expands a Jekyll permalink style or pattern (`/:categories/:year/...`)
under the site URL, following Jekyll's `url.rb`, `drops/url_drop.rb` and
`utils.rb` (slugify); `image_url` turns a post's `image` into an absolute URL and
refuses anything that would point outside the site or at something that is not
an image. Nothing here touches the disk: a post naming `/etc/passwd` only ever
gets a refusal.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit

from newsbot.config import SiteConfig

log = logging.getLogger(__name__)

#: Jekyll's built-in permalink styles
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".svg")

_PLACEHOLDER = re.compile(r":([a-z_]+)")
#: Jekyll's `pretty` slug mode keeps these besides letters, marks and decimal digits
_PRETTY_KEEPS = frozenset("._~!$&'()+,;=@")
_ASCII_DEFAULT = re.compile(r"[^A-Za-z0-9]+")
_ASCII_PRETTY = re.compile(r"[^A-Za-z0-9._~!$&'()+,;=@]+")
_SLASHES = re.compile(r"/{2,}")
_UNSAFE_IN_IMAGE = re.compile(r"[\x00-\x1f\x7f\\]")
# What stays literal in a path; everything else (spaces, non-ASCII) is escaped.
_PATH_SAFE = "/-._~!$&'()*+,;=:@%"
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"
_QUERY_SAFE = "/?:@!$&'()*+,;=%-._~"
# Jekyll's URL.escape_path: values made only of these are used as they are.
_PLAIN_VALUE = re.compile(r"[a-zA-Z0-9./-]+")
_VALUE_SAFE = "-._~!$&'()*+,;=:@/"

_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

# Placeholder name → value from the post's date; names are Jekyll's (and English,
# whatever the machine's locale, as Jekyll's are).
_DATE_PARTS: dict[str, Callable[[datetime], str]] = {
    "year": lambda d: f"{d.year:04d}",
    "short_year": lambda d: f"{d.year % 100:02d}",
    "month": lambda d: f"{d.month:02d}",
    "i_month": lambda d: str(d.month),
    "short_month": lambda d: _MONTHS[d.month - 1][:3],
    "long_month": lambda d: _MONTHS[d.month - 1],
    "day": lambda d: f"{d.day:02d}",
    "i_day": lambda d: str(d.day),
    "y_day": lambda d: f"{d.timetuple().tm_yday:03d}",
    "hour": lambda d: f"{d.hour:02d}",
    "minute": lambda d: f"{d.minute:02d}",
    "second": lambda d: f"{d.second:02d}",
    "week": lambda d: f"{d.isocalendar().week:02d}",
    "w_year": lambda d: str(d.isocalendar().year),
    "w_day": lambda d: str(d.isoweekday()),
    "short_day": lambda d: _DAYS[d.weekday()][:3],
    "long_day": lambda d: _DAYS[d.weekday()],
}


def _kept(char: str, pretty: bool) -> bool:
    """Jekyll's slug alphabet: Unicode letters, marks and decimal digits (`\\p{L}\\p{M}\\p{Nd}`)."""
    if char.isascii():
        return char.isalnum() or (pretty and char in _PRETTY_KEEPS)
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def slugify(text: str, *, pretty: bool = False, cased: bool = False) -> str:
    """Jekyll's `Utils.slugify` (modes `default` and `pretty`): every run of other
    characters becomes one `-`, a leading and a trailing `-` go, lowercased unless `cased`.

    Default mode keeps letters, marks and decimal digits in any script; `pretty` also
    keeps `._~!$&'()+,;=@` (so `_` too).
    """
    if text.isascii():  # the everyday case, at C speed
        slug = (_ASCII_PRETTY if pretty else _ASCII_DEFAULT).sub("-", text).strip("-")
        return slug if cased else slug.lower()
    out: list[str] = []
    dash = False
    for char in text:
        if _kept(char, pretty):
            out.append(char)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    slug = "".join(out).strip("-")
    return slug if cased else slug.lower()


@dataclass(frozen=True, slots=True)
class UrlParts:
    """What a post gives Jekyll's URL placeholders (its `UrlDrop`)."""

    date: datetime  # already in the site's time zone
    slug: str  # front matter `slug`, else the slug of the file name
    categories: Sequence[str] = ()
    name: str = ""  # file name without extension (`:name`)
    path: str = ""  # path without extension and `_posts` (`:path`)
    output_ext: str = ".html"

    def value(self, name: str) -> str | None:
        if name == "title":
            return slugify(self.slug, pretty=True, cased=True)
        if name == "slug":
            return slugify(self.slug)
        if name == "name":
            return slugify(self.name)
        if name == "categories":
            return "/".join(dict.fromkeys(c.lower() for c in self.categories))
        if name == "slugified_categories":
            return "/".join(dict.fromkeys(slugify(c) for c in self.categories))
        if name == "path":
            return self.path
        if name == "output_ext":
            return self.output_ext
        if name == "collection":
            return "posts"
        part = _DATE_PARTS.get(name)
        return part(self.date) if part is not None else None


def _escape_value(value: str) -> str:
    if not value or _PLAIN_VALUE.fullmatch(value):
        return value
    return quote(value, safe=_VALUE_SAFE)


def expand(pattern: str, parts: UrlParts) -> str:
    """The URL path of a post for a permalink pattern, as Jekyll's `URL` builds it.

    Each placeholder's value is escaped on its own (`URL.escape_path`); `:name_`
    is `:name` followed by `_`. Unknown placeholders are left as they are (Jekyll
    refuses to build the site). Then Jekyll's `sanitize_url`: no climbing, no `./`,
    no empty segments; what is left unescaped in the pattern itself is escaped last.
    """
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = parts.value(name)
        if value is None and name.endswith("_"):
            value = parts.value(name.rstrip("_"))
            if value is not None:
                return _escape_value(value) + "_" * (len(name) - len(name.rstrip("_")))
        return match.group(0) if value is None else _escape_value(value)

    path = _PLACEHOLDER.sub(replace, pattern)
    path = ("/" + path).replace("..", "/").replace("./", "")
    return quote(_SLASHES.sub("/", path), safe=_PATH_SAFE)


def output_ext(permalink: str | None) -> str:
    """`.html`, or the extension a post's own permalink ends in (Jekyll's `permalink_ext`)."""
    if permalink and not permalink.endswith("/"):
        last = permalink.rsplit("/", 1)[-1]
        dot = last.rfind(".")
        if dot > 0 and ":" not in last[dot:]:
            return last[dot:]
    return ".html"


def post_url(site: SiteConfig, parts: UrlParts, permalink: str | None = None) -> str:
    """Absolute URL of a post: the site URL (base path kept) plus its permalink.

    `permalink` is the post's own front matter permalink, which wins over the
    site's style and may use the same placeholders.
    """
    pattern = permalink if permalink else STYLES.get(site.permalink, site.permalink)
    return site.url.rstrip("/") + expand(pattern, parts)


def image_url(ref: str, site: SiteConfig, *, source: str = "") -> str | None:
    """Absolute URL of a post's image, or None when there is none or it is refused.

    Local paths, relative or site-absolute, resolve against the site URL
    (base path kept) and must name an image file; `http(s)` URLs are kept.
    Every refusal is logged as a warning naming `source`, the post file.
    """
    ref = ref.strip()
    if not ref:
        return None
    try:
        return _resolve_image(ref, site.url.rstrip("/"))
    except _Refused as exc:
        log.warning("%s: image %r dropped: %s", source or "post", ref, exc)
        return None


class _Refused(Exception):
    """Why an image reference is not turned into a URL."""


def _resolve_image(ref: str, site_url: str) -> str:
    if _UNSAFE_IN_IMAGE.search(ref):
        raise _Refused("it contains a backslash or control character")
    if ref.startswith("//"):
        ref = "https:" + ref
    try:
        parts = urlsplit(ref)
    except ValueError:  # an unbalanced IPv6 bracket and the like
        raise _Refused("it is not a valid URL") from None
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Refused("only http(s) URLs and paths inside the site are allowed")
        return parts._replace(
            path=quote(parts.path, safe=_PATH_SAFE),
            query=quote(parts.query, safe=_QUERY_SAFE),
            fragment=quote(parts.fragment, safe=_QUERY_SAFE),
        ).geturl()
    if parts.netloc:
        raise _Refused("it names a host without a scheme")

    # Decoded first, so that %2e%2e/ and %5c are judged as what they mean.
    path = unquote(parts.path)
    if _UNSAFE_IN_IMAGE.search(path):
        raise _Refused("it contains an encoded backslash or control character")
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                raise _Refused("it climbs out of the site")
            segments.pop()
        else:
            segments.append(segment)
    if not segments or not segments[-1].lower().endswith(IMAGE_EXTENSIONS):
        raise _Refused("a local image must end in " + " ".join(IMAGE_EXTENSIONS))
    url = site_url + "/" + "/".join(quote(s, safe=_SEGMENT_SAFE) for s in segments)
    if parts.query:
        url += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return url
