"""The front matter fields of a post that need care: text, labels, authors, image.

Each takes what YAML or TOML made of a field and gives the value a `Post`
holds, repaired (mojibake, entities, whitespace), or raises `PostError` naming
the field when its type makes no sense.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from typing import Any

from newsbot.config import SiteConfig
from newsbot.ingest.excerpt import clean_text
from newsbot.ingest.front_matter import PostError, kind
from newsbot.ingest.permalink import image_url

IMAGE_KEYS = ("path", "feature", "url", "teaser")
#: tags (and, separately, categories) a post may carry; more is a mistake, not a post
MAX_LABELS = 1000
#: authors a post may name
MAX_AUTHORS = 20


def text(meta: Mapping[str, Any], key: str) -> str | None:
    """A scalar field as a string; None when absent; PostError for anything else."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    hint = " (put it in quotes)" if isinstance(value, bool | date) else ""
    raise PostError(f"{key} must be text, not {kind(value)}{hint}")


def labels(
    meta: Mapping[str, Any], plural: str, singular: str, first: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """Jekyll's `tags`/`tag` and `categories`/`category`, deduplicated, order kept.

    A plural string is space-separated words; a singular one is a single label.
    `first` come before them (the categories a post's folders give, in Jekyll).
    """
    items: list[object] = list(first)
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
                    raise PostError(f"{key} must hold words, not {kind(item)}")
            items.extend(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            items.append(value)
        else:
            raise PostError(f"{key} must be a list or space-separated words, not {kind(value)}")
    if len(items) > MAX_LABELS:
        raise PostError(f"{plural} holds {len(items)} entries; a post may have at most "
                        f"{MAX_LABELS}")
    seen: set[str] = set()
    found: list[str] = []
    for item in items:
        label = clean_text(str(item)) if item is not None else ""
        key = label.casefold()
        if label and key not in seen:
            seen.add(key)
            found.append(label)
    return tuple(found)


def author(value: object) -> str:
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
    raise PostError(f"author must be a name or a mapping with `name`, not {kind(value)}")


def image(value: object, site: SiteConfig, relpath: str) -> str | None:
    """`image: path` or a mapping (`path`, `feature`, `url`, `teaser`: first one set)."""
    key = "image"
    if isinstance(value, Mapping):
        key, value = next(((f"image.{k}", value[k]) for k in IMAGE_KEYS if value.get(k)),
                          (key, None))
    if value is None:
        return None
    if not isinstance(value, str):
        raise PostError(f"{key} must be a path or URL, not {kind(value)}")
    return image_url(value, site, source=relpath)
