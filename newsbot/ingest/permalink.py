"""Where a post and its image live on the web, computed the way Jekyll does.

`post_url` expands a Jekyll permalink style or pattern (`/:categories/:year/...`)
under the site URL; `image_url` turns a post's `image` into an absolute URL and
refuses anything that would point outside the site or at something that is not
an image. Nothing here touches the disk: a post naming `/etc/passwd` only ever
gets a refusal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
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
_SLUG_DEFAULT = re.compile(r"[\W_]+")
# Jekyll's "pretty" mode keeps the characters that are safe in a URL path.
_SLUG_PRETTY = re.compile(r"(?:[^\w._~!$&'()+,;=@]|_)+")
_SLASHES = re.compile(r"/{2,}")
_UNSAFE_IN_IMAGE = re.compile(r"[\x00-\x1f\x7f\\]")
# What stays literal in a path; everything else (spaces, non-ASCII) is escaped.
_PATH_SAFE = "/-._~!$&'()*+,;=:@%"
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"
_QUERY_SAFE = "/?:@!$&'()*+,;=%-._~"

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


def slugify(text: str, *, pretty: bool = False, cased: bool = False) -> str:
    """Jekyll's `slugify`: runs of unwanted characters become `-`, ends trimmed.

    Default mode keeps letters and digits only; `pretty` also keeps `._~!$&'()+,;=@`.
    """
    pattern = _SLUG_PRETTY if pretty else _SLUG_DEFAULT
    slug = pattern.sub("-", text).strip("-")
    return slug if cased else slug.lower()


def expand(pattern: str, *, date: datetime, slug: str, categories: Sequence[str] = ()) -> str:
    """The URL path of a post for a permalink style name or pattern.

    `date` is used as it is, in its own time zone, as Jekyll does. Unknown
    placeholders are left alone, again as Jekyll does.
    """
    template = STYLES.get(pattern, pattern)
    values = {
        "title": slug,
        "slug": slugify(slug),
        "categories": "/".join(c for c in (slugify(c) for c in categories) if c),
        "slugified_categories": "/".join(c for c in (slugify(c) for c in categories) if c),
        "output_ext": ".html",
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        part = _DATE_PARTS.get(name)
        return part(date) if part is not None else match.group(0)

    path = _PLACEHOLDER.sub(replace, template)
    # Jekyll's sanitize_url: no climbing, no empty segments left by empty values.
    path = _SLASHES.sub("/", "/" + path.replace("..", "/"))
    return quote(path, safe=_PATH_SAFE)


def post_url(
    site: SiteConfig,
    *,
    date: datetime,
    slug: str,
    categories: Sequence[str] = (),
    permalink: str | None = None,
) -> str:
    """Absolute URL of a post: the site URL (base path kept) plus its permalink.

    `permalink` is the post's own front matter permalink, which wins over the
    site's style and may use the same placeholders.
    """
    pattern = permalink if permalink else site.permalink
    return site.url.rstrip("/") + expand(pattern, date=date, slug=slug, categories=categories)


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
