"""Checks requests against Discord's official OpenAPI description, for the fake.

`NEWSBOT_API_SPECS` names a folder holding `discord-openapi.json` (`.ci/run` sets
it when the specs sit beside the checkout). Each request the fake receives is
looked up by method and path template, and its JSON body is checked against the
request schema: unknown fields, missing required fields and wrong types become
problems, which fail the test. Without the variable `load_spec()` returns None
and nothing is checked. `check_response` checks an answer of the fake the same way,
against the schema the spec gives the route's answers (`test_fake.py` uses it).

Only the parts of JSON Schema the spec uses for these bodies are implemented:
`$ref`, `type` (lists too), `properties`/`required`/`additionalProperties`,
`items`, `oneOf`/`anyOf`/`allOf`, `enum`/`const`, string and array bounds,
`minimum`/`maximum` and `pattern`. An object schema with `properties` and no
`additionalProperties` is treated as closed, as Discord rejects unknown fields.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC_FILE = "discord-openapi.json"

#: Fields Discord's documentation lists that the (preview) spec omits; the
#: documentation wins where they disagree (see the spec folder's README).
DOCUMENTED_EXTRAS: Mapping[str, frozenset[str]] = {
    # "nsfw: boolean, Indicates whether the command is age-restricted" (Application Commands docs)
    "ApplicationCommandUpdateRequest": frozenset({"nsfw"}),
    # "flags?: integer, embed flags" (Message resource docs, embed object)
    "RichEmbed": frozenset({"flags"}),
    # Start Thread in Forum or Media Channel: "Returns a channel, with a nested message
    # object" (Channel resource docs); the adapter reads the post's id from it
    "CreatedThreadResponse": frozenset({"message"}),
}

_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}


def load_spec(env: Mapping[str, str] | None = None) -> OpenAPI | None:
    """The spec named by `NEWSBOT_API_SPECS`, or None when the variable is unset."""
    env = os.environ if env is None else env
    folder = env.get("NEWSBOT_API_SPECS")
    if not folder:
        return None
    path = Path(folder) / SPEC_FILE
    return OpenAPI(json.loads(path.read_text(encoding="utf-8")))


@dataclass
class _Operation:
    template: str
    pattern: re.Pattern[str]
    method: str
    spec: dict[str, Any]
    path_spec: dict[str, Any] = field(default_factory=dict)


class OpenAPI:
    """An OpenAPI 3.1 document that can check one request at a time."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._operations: list[_Operation] = []
        for template, item in document["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method, spec in item.items():
                if method in ("parameters", "summary", "description"):
                    continue
                self._operations.append(
                    _Operation(template, re.compile(regex), method.upper(), spec, item)
                )

    def check(
        self, method: str, path: str, query: Mapping[str, str], body: Any, has_body: bool
    ) -> list[str]:
        """Problems with this request; `path` is relative to the API base (`/channels/1/...`)."""
        matches = [op for op in self._operations if op.pattern.match(path)]
        if not matches:
            return [f"{method} {path}: no such route in the official spec"]
        op = next((op for op in matches if op.method == method), None)
        if op is None:
            return [f"{method} {path}: method not allowed by the official spec"]
        where = f"{method} {op.template}"
        problems: list[str] = []
        declared = {
            p["name"]
            for p in (*op.path_spec.get("parameters", []), *op.spec.get("parameters", []))
            if p.get("in") == "query"
        }
        problems += [f"{where}: unknown query parameter {q!r}" for q in query if q not in declared]
        request = op.spec.get("requestBody")
        if request is None:
            if has_body:
                problems.append(f"{where}: the spec declares no request body")
            return problems
        if not has_body:
            if request.get("required"):
                problems.append(f"{where}: request body required")
            return problems
        schema = request["content"].get("application/json", {}).get("schema")
        if schema is None:
            return [*problems, f"{where}: the spec declares no JSON body"]
        problems += [f"{where}: {p}" for p in self.validate(body, schema, "body")]
        return problems

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with an answer of the fake: `body` against the schema the spec gives
        the route's answers with that status (for the fake's objects, not the client's)."""
        op = next((op for op in self._operations
                   if op.method == method and op.pattern.match(path)), None)
        if op is None:
            return [f"{method} {path}: no such route in the official spec"]
        answers = op.spec.get("responses", {})
        answer = answers.get(str(status)) or answers.get(f"{status // 100}XX") or {}
        answer, _ = self._resolve(answer)  # errors are shared answers (`$ref`)
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return [f"{method} {op.template}: the spec declares no JSON answer for {status}"]
        return [f"{method} {op.template} -> {status}: {p}"
                for p in self.validate(body, schema, "answer")]

    # -- JSON Schema subset -------------------------------------------------------

    def _resolve(self, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        name = None
        while "$ref" in schema:
            ref = schema["$ref"]
            name = ref.rsplit("/", 1)[-1]
            node: Any = self.document
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema, name

    def validate(self, value: Any, schema: dict[str, Any], at: str,
                 siblings: frozenset[str] = frozenset()) -> list[str]:
        """Problems of `value` against `schema`; `siblings`: fields that other parts of an
        `allOf` declare (each part alone does not make them unknown)."""
        schema, name = self._resolve(schema)
        problems: list[str] = []
        parts = schema.get("allOf", [])
        declared = siblings.union(*(self._resolve(p)[0].get("properties", {}) for p in parts))
        for part in parts:
            problems += self.validate(value, part, at, declared)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = [self.validate(value, sub, at) for sub in schema[key]]
                if all(branches):
                    # the branch that got furthest: not one refused on its type alone
                    best = min(branches, key=lambda errors: (_type_only(errors, at), len(errors)))
                    problems.append(f"{at}: matches no allowed form ({'; '.join(best)})")
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, t) for t in types):
                return [*problems, f"{at}: expected {'/'.join(types)}, got {_kind(value)}"]
        if "const" in schema and value != schema["const"]:
            problems.append(f"{at}: must be {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{at}: {value!r} is not one of {schema['enum']}")
        if isinstance(value, str):
            problems += _string_bounds(value, schema, at)
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int | float):
            if "minimum" in schema and value < schema["minimum"]:
                problems.append(f"{at}: {value} is below {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                problems.append(f"{at}: {value} is above {schema['maximum']}")
        elif isinstance(value, list):
            problems += self._array(value, schema, at)
        elif isinstance(value, dict):
            problems += self._object(value, schema, name, at, siblings)
        return problems

    def _array(self, value: list[Any], schema: dict[str, Any], at: str) -> list[str]:
        problems: list[str] = []
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{at}: more than {schema['maxItems']} items")
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{at}: fewer than {schema['minItems']} items")
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) < len(
            value
        ):
            problems.append(f"{at}: items must be unique")
        if "items" in schema:
            for i, item in enumerate(value):
                problems += self.validate(item, schema["items"], f"{at}[{i}]")
        return problems

    def _object(self, value: dict[str, Any], schema: dict[str, Any], name: str | None,
                at: str, siblings: frozenset[str]) -> list[str]:
        problems: list[str] = []
        properties: dict[str, Any] = schema.get("properties", {})
        problems += [f"{at}: missing required field {k!r}" for k in schema.get("required", [])
                     if k not in value]
        extra = schema.get("additionalProperties")
        allowed_extra = DOCUMENTED_EXTRAS.get(name or "", frozenset())
        for key, item in value.items():
            if key in properties:
                problems += self.validate(item, properties[key], f"{at}.{key}")
            elif isinstance(extra, dict):
                problems += self.validate(item, extra, f"{at}.{key}")
            elif extra is True or key in allowed_extra or key in siblings:
                continue
            elif properties or extra is False:
                problems.append(f"{at}: unknown field {key!r}" + (f" in {name}" if name else ""))
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            problems.append(f"{at}: more than {schema['maxProperties']} fields")
        return problems


def _string_bounds(value: str, schema: dict[str, Any], at: str) -> list[str]:
    problems = []
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(f"{at}: longer than {schema['maxLength']} characters")
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(f"{at}: shorter than {schema['minLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{at}: {value!r} does not match {schema['pattern']}")
    return problems


def _type_only(errors: list[str], at: str) -> bool:
    return all(e.startswith(f"{at}: expected ") for e in errors)


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES[name])


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__
