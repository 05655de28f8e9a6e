"""The fake Bot API's strictness: Telegram's HTML parse mode and the official method list.

`telegram_html` reads HTML `parse_mode` markup the way Telegram does, refusing
what Telegram refuses, and returns the visible text (measured with `utf16`).
`SpecChecker` checks a request against `telegram-bot-api.json` (the official
method and type list) in `NEWSBOT_API_SPECS`: unknown method or field, missing
required field, wrong type.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# -- Telegram's HTML, strictly ------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+=\"[^\"<>]*\")*)\s*>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
                   "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"})


def telegram_html(markup: str) -> str:
    """The visible text of HTML `parse_mode` markup; ValueError where Telegram refuses it."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(markup):
        char = markup[pos]
        if char == "<":
            tag = _TAG.match(markup, pos)
            if tag is None or tag[2] not in _TAGS:
                raise ValueError(f"can't parse entities: unsupported start tag at offset {pos}")
            closing, name, attrs = tag[1], tag[2], tag[3]
            if closing:
                if not stack or stack.pop() != name:
                    raise ValueError(f"can't parse entities: unmatched end tag {name!r}")
            else:
                if name == "a" and "href=" not in attrs:
                    raise ValueError("can't parse entities: <a> without href")
                stack.append(name)
            pos = tag.end()
        elif char == "&":
            entity = _ENTITY.match(markup, pos)
            if entity is None:
                raise ValueError(f"can't parse entities: stray '&' at offset {pos}")
            out.append(html.unescape(entity[0]))
            pos = entity.end()
        elif char == ">":
            raise ValueError(f"can't parse entities: stray '>' at offset {pos}")
        else:
            out.append(char)
            pos += 1
    if stack:
        raise ValueError(f"can't parse entities: unclosed tag {stack[-1]!r}")
    return "".join(out).strip()


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- the official method list ----------------------------------------------------------


class SpecChecker:
    """Checks requests against the Bot API's machine-readable method and type list."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.methods: Mapping[str, Any] = spec["methods"]
        self.types: Mapping[str, Any] = spec["types"]

    @classmethod
    def from_env(cls) -> SpecChecker | None:
        folder = os.environ.get("NEWSBOT_API_SPECS")
        if not folder:
            return None
        path = Path(folder) / "telegram-bot-api.json"
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def check(self, method: str, raw: Mapping[str, Any]) -> list[str]:
        spec = self.methods.get(method)
        if spec is None:
            return [f"unknown method {method}"]
        return self._fields(method, raw, spec.get("fields", []), top=True)

    def _fields(self, where: str, value: Mapping[str, Any], fields: list[dict[str, Any]],
                *, top: bool = False) -> list[str]:
        known = {f["name"]: f for f in fields}
        problems = [f"{where}: unknown field {name!r}" for name in value if name not in known]
        problems += [f"{where}: missing required field {name!r}"
                     for name, f in known.items() if f["required"] and name not in value]
        for name, item in value.items():
            if name in known:
                problems += self._value(f"{where}.{name}", item, known[name]["types"], top=top)
        return problems

    def _value(self, where: str, value: Any, types: list[str], *, top: bool = False) -> list[str]:
        if top and isinstance(value, str):
            if "String" in types or "InputFile" in types:
                return []
            try:  # form fields carry everything but strings as JSON
                value = json.loads(value)
            except ValueError:
                return [f"{where}: {value[:40]!r} is not {' or '.join(types)}"]
        first: list[str] | None = None
        for kind in types:
            problems = self._one(where, value, kind)
            if not problems:
                return []
            first = problems if first is None else first
        return first or []

    def _one(self, where: str, value: Any, kind: str) -> list[str]:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {kind}"]
            return [p for i, item in enumerate(value)
                    for p in self._value(f"{where}[{i}]", item, [kind[9:]])]
        simple: dict[str, Callable[[Any], bool]] = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
            "String": lambda v: isinstance(v, str),
            "InputFile": lambda v: isinstance(v, str),
        }
        if kind in simple:
            return [] if simple[kind](value) else [f"{where}: {value!r:.40} is not {kind}"]
        spec = self.types.get(kind)
        if spec is None:
            return [f"{where}: unknown type {kind}"]
        if spec.get("subtypes"):
            return self._value(where, value, spec["subtypes"])
        if not isinstance(value, dict):
            return [f"{where}: expected a {kind} object"]
        return self._fields(f"{where}<{kind}>", value, spec.get("fields", []))
