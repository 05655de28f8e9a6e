"""Liquid in an excerpt, rendered as Jekyll renders it, within bounds a hostile post cannot pass.

Jekyll renders an excerpt's Liquid with the post's front matter as `page` and
the site's `_config.yml` and `_data` as `site`, so `release of Ruby {{
release.version }}.` reads "release of Ruby 3.4.0." on the site. python-liquid
does the same here, in lax mode: tags it does not know (`{% include %}`,
`{% post_url %}`, plugin tags) and filters it does not know render as nothing,
never as debris; the common Jekyll filters are added.

Bounds: markup whose tags are not closed before the next one opens is not
handed to the engine (its lexer takes quadratic time on a run of unclosed
`{{`) but has its Liquid stripped instead, and so does markup the engine
refuses or that exceeds its loop, output or nesting limits.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from newsbot.ingest.permalink import slugify

log = logging.getLogger(__name__)

#: Liquid tags and outputs one excerpt may hold before it is stripped instead
MAX_TAGS = 500
#: longest text, and longest list, a filter may make
MAX_VALUE = 20_000
MAX_ITEMS = 2_000
_OPENERS = ("{{", "{%")
_CLOSERS = {"{{": "}}", "{%": "%}"}
_WORDS = re.compile(r"\S+")


def has_liquid(text: str) -> bool:
    """Jekyll's `has_liquid_construct?`: only then is the engine worth starting."""
    return "{{" in text or "{%" in text


def well_formed(text: str) -> bool:
    """Every `{{` and `{%` is closed before the next one opens, and there are not too many.

    One linear pass; what fails it would cost the engine quadratic time or is
    broken markup anyway.
    """
    at = count = 0
    while True:
        starts = [i for i in (text.find(o, at) for o in _OPENERS) if i >= 0]
        if not starts:
            return True
        start = min(starts)
        count += 1
        if count > MAX_TAGS:
            return False
        closer = _CLOSERS[text[start : start + 2]]
        end = text.find(closer, start + 2)
        if end < 0:
            return False
        following = [i for i in (text.find(o, start + 2, end) for o in _OPENERS) if i >= 0]
        if following:
            return False
        at = end + 2


def render(text: str, page: Mapping[str, Any], site: Mapping[str, Any]) -> str | None:
    """`text` with its Liquid rendered; None when it cannot be within bounds (strip it)."""
    if not well_formed(text):
        return None
    from liquid.exceptions import LiquidError

    try:
        return _environment().from_string(text).render(page=dict(page), site=dict(site))
    except (LiquidError, RecursionError, ValueError, TypeError, ArithmeticError) as exc:
        log.debug("Liquid not rendered (%s); stripped instead", exc)
        return None


_ENV: Any = None


def _environment() -> Any:
    """The one Liquid environment, made (and the engine imported) when first needed:
    most posts hold no Liquid, and reader processes start faster without it."""
    global _ENV
    if _ENV is None:
        from liquid import Environment, Mode

        class BoundedEnvironment(Environment):
            loop_iteration_limit = 10_000
            output_stream_limit = 100_000
            local_namespace_limit = 100_000
            context_depth_limit = 10
            block_nesting_limit = 20

        env = BoundedEnvironment(tolerance=Mode.LAX, strict_filters=False)
        env.filters.update(_JEKYLL_FILTERS)
        # Lax mode carries on past a resource limit, so a value doubled in a loop of
        # `assign`s would keep growing: every filter's result is capped instead.
        for name, function in list(env.filters.items()):
            env.filters[name] = _capped(function)
        _ENV = env
    return _ENV


def _capped(function: Any) -> Any:
    def capped(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_VALUE:
            return result[:MAX_VALUE]
        if isinstance(result, list) and len(result) > MAX_ITEMS:
            return result[:MAX_ITEMS]
        return result

    for attribute in ("with_context", "with_environment"):
        if getattr(function, attribute, False):
            setattr(capped, attribute, True)
    return capped


def _site(context: Any) -> Mapping[str, Any]:
    site = context.globals.get("site") if hasattr(context, "globals") else None
    return site if isinstance(site, Mapping) else {}


def _with_context(function: Any) -> Any:
    function.with_context = True  # python-liquid's `with_context`, without importing it
    return function


@_with_context
def _relative_url(value: object, *, context: Any) -> str:
    base = str(_site(context).get("baseurl") or "").strip().rstrip("/")
    path = str(value)
    if "://" in path:
        return path
    return (base + "/" + path.lstrip("/")) if base else "/" + path.lstrip("/")


@_with_context
def _absolute_url(value: object, *, context: Any) -> str:
    site = _site(context)
    path = str(value)
    if "://" in path:
        return path
    url = str(site.get("url") or "").rstrip("/")
    base = str(site.get("baseurl") or "").strip().strip("/")
    prefix = url + ("/" + base if base and not url.endswith("/" + base) else "")
    return prefix + "/" + path.lstrip("/")


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _date_to_string(value: object, *_: object) -> object:
    when = _as_datetime(value)
    return value if when is None else f"{when.day:02d} {when:%b} {when.year}"


def _date_to_long_string(value: object, *_: object) -> object:
    when = _as_datetime(value)
    return value if when is None else f"{when.day:02d} {when:%B} {when.year}"


def _date_to_xmlschema(value: object) -> object:
    when = _as_datetime(value)
    return value if when is None else when.isoformat()


def _where(items: object, key: object, wanted: object = None) -> list[Any]:
    if not isinstance(items, Iterable) or isinstance(items, str | bytes):
        return []
    values = items.values() if isinstance(items, Mapping) else items
    want = "" if wanted is None else str(wanted)
    return [item for item in values
            if isinstance(item, Mapping) and str(item.get(str(key), "")) == want]


def _number_of_words(value: object) -> int:
    return len(_WORDS.findall(str(value)))


def _array_to_sentence_string(value: object, connector: object = "and") -> str:
    items = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if len(items) <= 2:
        return f" {connector} ".join(items)
    return ", ".join(items[:-1]) + f", {connector} " + items[-1]


def _identity(value: object, *_: object) -> object:
    return value


_JEKYLL_FILTERS: dict[str, Any] = {
    "relative_url": _relative_url,
    "absolute_url": _absolute_url,
    "date_to_string": _date_to_string,
    "date_to_long_string": _date_to_long_string,
    "date_to_xmlschema": _date_to_xmlschema,
    "date_to_rfc822": lambda v: v.strftime("%a, %d %b %Y %H:%M:%S %z")
    if isinstance(v, datetime) else v,
    "xml_escape": lambda v: html.escape(str(v)) if v is not None else "",
    "cgi_escape": lambda v: quote(str(v), safe=""),
    "uri_escape": lambda v: quote(str(v), safe="/:?#[]@!$&'()*+,;="),
    "jsonify": lambda v: json.dumps(v, default=str, ensure_ascii=False),
    "slugify": lambda v, mode="default", *_: slugify(str(v), pretty=mode == "pretty"),
    "number_of_words": _number_of_words,
    "normalize_whitespace": lambda v: " ".join(str(v).split()),
    "array_to_sentence_string": _array_to_sentence_string,
    "where": _where,
    # converted later, with the rest of the excerpt
    "markdownify": _identity,
    "smartify": _identity,
    "inspect": lambda v: repr(v),
}
