"""Reading one post file into a `Post`, the way Jekyll (and mostly Hugo) would.

`parse_post` takes the raw bytes (decoded and split in `front_matter.py`) and
builds the `Post` from its front matter and file path following Jekyll's
`document.rb`: title from the file name when there is none, date from the
front matter or the file name, taken into the site's zone (`dates.py`),
categories from the folders above `_posts` plus the front matter (with
`site.source` only), the URL from the permalink (`permalink.py`) and the
excerpt as Jekyll cuts it, its Liquid rendered (`excerpt.py`,
`liquid_render.py`). Anything it cannot turn into a trustworthy `Post`
raises `PostError` with a reason a person can act on: a half-written file
must never become a half-right message.
"""

from __future__ import annotations

import dataclasses
import html
import posixpath
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from newsbot.config import SiteConfig
from newsbot.ingest import liquid_render
from newsbot.ingest.dates import in_zone, post_date
from newsbot.ingest.excerpt import clean_text, excerpt_from_body, strip_liquid, to_text
from newsbot.ingest.front_matter import (
    MAX_POST_BYTES,
    PostError,
    decode_text,
    split_front_matter,
    too_large,
)
from newsbot.ingest.jekyll_site import site_payload
from newsbot.ingest.permalink import UrlParts, output_ext, post_url, slugify
from newsbot.ingest.post_fields import MAX_LABELS, author, image, labels, text
from newsbot.types import Post

__all__ = ["MAX_ID_LENGTH", "MAX_LABELS", "MAX_POST_BYTES", "PostError", "parse_post",
           "read_post", "too_large"]

#: extensions taken off a file name to get its slug
POST_EXTENSIONS = (".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".mdwn", ".html", ".htm",
                   ".txt", ".textile")
#: longest post id (front matter `id`, `permalink` or path): the store's key column
MAX_ID_LENGTH = 1024
POSTS_FOLDER = "_posts"

# Jekyll's DATE_FILENAME_MATCHER, on the name without its extension.
_FILE_DATE = re.compile(r"(\d{2,4}-\d{1,2}-\d{1,2})-(.*)", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_post(data: bytes, relpath: str, site: SiteConfig) -> Post | None:
    """The post in `data`, None if it is not to be published, or `PostError`.

    `relpath` is the POSIX path below the site's root (`site.root`): it gives the
    date and slug of `YYYY-MM-DD-slug.md` names, the categories of the folders
    above `_posts` (with `site.source`), the default id, and names the file in
    warnings.
    """
    return read_post(data, relpath, site)[0]


def read_post(
    data: bytes, relpath: str, site: SiteConfig, *, unpublished: bool = False
) -> tuple[Post | None, bool]:
    """(post, published). An unpublished post is None unless `unpublished` asks for it
    (for `newsbot check`), in which case it is read like any other."""
    try:
        return _parse(data, relpath, site, unpublished)
    except PostError:
        raise
    except Exception as exc:  # a reader must never take the watcher down
        raise PostError(f"cannot read the post ({type(exc).__name__}: {exc})") from exc


def _parse(
    data: bytes, relpath: str, site: SiteConfig, keep_unpublished: bool
) -> tuple[Post | None, bool]:
    if len(data) > MAX_POST_BYTES:
        raise too_large(len(data))
    body_text = decode_text(data)
    if not body_text.strip():
        raise PostError("the file is empty (is it still being written?)")
    meta, body = split_front_matter(body_text)
    published = meta.get("published") is not False and meta.get("draft") is not True
    if not published and not keep_unpublished:
        return None, False

    name = _without_extension(posixpath.basename(relpath), site.jekyll)
    file_date, file_slug = _from_file_name(name)
    title = text(meta, "title")
    given_title = title is not None
    if title is None:  # Jekyll's titleize_slug of the file's slug
        title = " ".join(word.capitalize() for word in (file_slug or name).split("-"))
    title = clean_text(html.unescape(title) if "&" in title else title)
    if not title:
        raise PostError("the title is empty" if given_title else
                        "no title: add `title:` to the front matter")

    zone = site.tzinfo
    if meta.get("date") is not None:
        when = post_date(meta["date"], zone, naive_timestamps_utc=site.jekyll)
    elif file_date is not None:
        when = in_zone(datetime.combine(file_date, time(), zone), zone)
    else:
        raise PostError("no date: add `date:` to the front matter or name the file "
                        "YYYY-MM-DD-slug.md")

    folders = _folder_categories(relpath) if site.jekyll else ()
    categories = labels(meta, "categories", "category", first=folders)
    permalink = text(meta, "permalink")
    post_id = (text(meta, "id") or "").strip() or permalink or relpath
    if len(post_id) > MAX_ID_LENGTH:
        raise PostError(f"the post id is too long ({len(post_id)} characters, at most "
                        f"{MAX_ID_LENGTH}): shorten its id, permalink or file path")
    if _CONTROL.search(post_id):
        raise PostError("the post id (its id, permalink or file path) holds control characters")
    parts = UrlParts(
        date=when,
        slug=_slug(meta, file_slug, name, title, site),
        categories=_url_categories(meta, folders),
        name=name,
        path=_clean_path(relpath, site),
        output_ext=output_ext(permalink),
    )
    url = post_url(site, parts, permalink)
    post = Post(
        id=post_id,
        title=title,
        date=when,
        url=url,
        excerpt="",
        author=author(meta.get("author")),
        image_url=image(meta.get("image"), site, relpath),
        tags=labels(meta, "tags", "tag"),
        categories=categories,
        source=relpath,
    )
    page = {**meta, "title": title, "date": when, "url": url, "slug": parts.slug,
            "categories": list(categories), "tags": list(post.tags), "path": relpath,
            "id": post_id}
    return dataclasses.replace(post, excerpt=_excerpt(meta, body, site, page)), published


def _without_extension(name: str, any_extension: bool) -> str:
    """Jekyll's `basename_without_ext` (the last extension goes); in a plain posts folder
    only the known post extensions, since a fenced file may have none."""
    dot = name.rfind(".")
    if dot <= 0:
        return name
    if any_extension or name[dot:].lower() in POST_EXTENSIONS:
        return name[:dot]
    return name


def _from_file_name(name: str) -> tuple[date | None, str]:
    """Date and slug of a Jekyll `YYYY-MM-DD-slug` name (no leading zeros needed)."""
    match = _FILE_DATE.fullmatch(name)
    if match is None:
        return None, ""
    slug = match.group(2).rstrip(".")  # Jekyll: slugs never end with a period
    year, month, day = (int(part) for part in match.group(1).split("-"))
    if year < 100:  # Ruby's Time.parse: 69-99 are 19xx, the rest 20xx
        year += 1900 if year >= 69 else 2000
    try:
        return date(year, month, day), slug
    except ValueError:
        return None, slug


def _folder_categories(relpath: str) -> tuple[str, ...]:
    """Jekyll's `categories_from_path`: the folders above `_posts` (`en/news/_posts/x.md`
    gives `en`, `news`); folders below it give none."""
    at = relpath.find(POSTS_FOLDER)
    if at <= 0:
        return ()
    return tuple(part for part in relpath[:at].split("/") if part and part != POSTS_FOLDER)


def _url_categories(meta: Mapping[str, Any], folders: tuple[str, ...]) -> tuple[str, ...]:
    """The categories as Jekyll's URL sees them: not repaired, only made text."""
    found: list[str] = list(folders)
    for key, split in (("categories", True), ("category", False)):
        value = meta.get(key)
        if isinstance(value, str):
            found.extend(value.split() if split else [value])
        elif isinstance(value, list | tuple):
            found.extend(str(item) for item in value if item is not None)
        elif value is not None:
            found.append(str(value))
    return tuple(dict.fromkeys(found))


def _slug(meta: Mapping[str, Any], file_slug: str, name: str, title: str,
          site: SiteConfig) -> str:
    """Jekyll's `data["slug"]`: the front matter's, else the file name's."""
    given = text(meta, "slug")
    if site.jekyll:
        return given if given is not None else (file_slug or name.rstrip("."))
    # A plain posts folder keeps newsbot's own rule: names without a date take the title.
    return (slugify(given or file_slug or "", pretty=True, cased=True)
            or slugify(title)
            or slugify(name)
            or "post")


def _clean_path(relpath: str, site: SiteConfig) -> str:
    """Jekyll's `cleaned_relative_path` (`:path`): no extension, no `_posts`."""
    stem = relpath[: len(relpath) - len(posixpath.basename(relpath))]
    stem += _without_extension(posixpath.basename(relpath), site.jekyll)
    if site.jekyll:
        stem = stem.replace(POSTS_FOLDER, "", 1)
    return stem.rstrip(".")


def _excerpt(meta: Mapping[str, Any], body: str, site: SiteConfig,
             page: Mapping[str, Any]) -> str:
    given = text(meta, "excerpt")
    if given is not None:
        return to_text(given, inline=True)
    if "excerpt_separator" in meta and meta["excerpt_separator"] is not None:
        separator: str | None = str(meta["excerpt_separator"])  # Ruby's to_s, "" included
    else:
        separator = site.separator

    def liquid(markdown: str) -> str:
        if not liquid_render.has_liquid(markdown):
            return markdown
        payload = site_payload(site.source, site.jekyll_config, site.url, site.data_cache)
        rendered = liquid_render.render(markdown, page, payload)
        return strip_liquid(markdown) if rendered is None else rendered

    return excerpt_from_body(body, separator, liquid)
