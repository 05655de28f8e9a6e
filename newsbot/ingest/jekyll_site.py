"""What newsbot takes from a Jekyll site's source folder: `_config.yml` and `_data`.

`read_jekyll_config` finds and reads `_config.yml` (or `_config.yaml`) and
`site_values` picks the few settings that decide what a post's link, date and
excerpt are, under newsbot's names (`newsbot.toml` and the environment still
win: the caller merges). `site_payload` is what Liquid in an excerpt sees as
`site`: the whole configuration plus `site.data`, the `_data` files, re-read
whenever one of them changes, since a deploy often brings a post and the data
it quotes together.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

CONFIG_NAMES = ("_config.yml", "_config.yaml")
#: Jekyll's built-in `exclude` entries, always added to the site's own
DEFAULT_EXCLUDES = (
    ".sass-cache", ".jekyll-cache", ".ruby-lsp", "gemfiles", "Gemfile", "Gemfile.lock",
    "node_modules", "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/",
)
DATA_EXTENSIONS = (".yml", ".yaml", ".json", ".csv", ".tsv")
#: a data file larger than this is left out of `site.data` (with a warning)
MAX_DATA_BYTES = 2 * 1024 * 1024

_YamlLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class JekyllConfigError(Exception):
    """A `_config.yml` newsbot cannot use; the message names the file and key."""


def read_jekyll_config(source: Path) -> tuple[Path | None, dict[str, Any]]:
    """The site's `_config.yml` and its contents; (None, {}) when it has none."""
    for name in CONFIG_NAMES:
        path = source / name
        if not path.is_file():
            continue
        try:
            loaded = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_YamlLoader)
        except (OSError, UnicodeDecodeError) as exc:
            raise JekyllConfigError(f"{path}: cannot read it ({exc})") from None
        except yaml.YAMLError as exc:
            raise JekyllConfigError(f"{path}: not valid YAML ({exc})") from None
        if loaded is None:
            return path, {}
        if not isinstance(loaded, dict):
            raise JekyllConfigError(f"{path}: must hold `key: value` settings")
        return path, loaded
    return None, {}


def site_values(config: Mapping[str, Any], file: Path) -> dict[str, Any]:
    """newsbot `site.*` settings from a Jekyll configuration (only those it sets)."""
    values: dict[str, Any] = {}
    url = config.get("url")
    if isinstance(url, str) and url.strip():
        baseurl = config.get("baseurl") or ""
        values["url"] = url.strip().rstrip("/") + "/" + str(baseurl).strip().strip("/")
    collections = config.get("collections")
    posts = collections.get("posts") if isinstance(collections, dict) else None
    posts = posts if isinstance(posts, dict) else {}
    permalink = posts.get("permalink") or config.get("permalink")
    if permalink:
        values["permalink"] = str(permalink)
    if config.get("timezone"):
        values["timezone"] = str(config["timezone"])
    if "excerpt_separator" in config and config["excerpt_separator"] is not None:
        values["excerpt_separator"] = str(config["excerpt_separator"])
    if config.get("future") or posts.get("future"):
        values["future"] = True
    exclude = config.get("exclude")
    if exclude is not None:
        if not isinstance(exclude, list):
            raise JekyllConfigError(f"{file}: exclude must be a list, as Jekyll requires")
        values["exclude"] = [str(entry) for entry in exclude]
    if config.get("collections_dir"):
        values["collections_dir"] = str(config["collections_dir"]).strip("/")
    return values


def site_payload(
    source: Path | None, config: Mapping[str, Any], url: str, cache: dict[str, Any]
) -> dict[str, Any]:
    """Liquid's `site`: the configuration, `url`/`baseurl`, `time` and `data` (`_data`
    read once into `cache` and read again only when one of its files changes)."""
    payload = dict(config)
    payload.setdefault("url", url)
    payload.setdefault("baseurl", "")
    payload["time"] = datetime.now(UTC)
    payload["data"] = {} if source is None else site_data(source / str(
        config.get("data_dir") or "_data"), cache)
    return payload


def site_data(folder: Path, cache: dict[str, Any]) -> dict[str, Any]:
    """The files of `_data` as Jekyll nests them (`_data/a/b.yml` is `data.a.b`), kept in
    `cache` until a file changes."""
    files = _data_files(folder)
    key = os.fspath(folder)
    signature = tuple(files)
    cached = cache.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    data: dict[str, Any] = {}
    for rel, size, _mtime in files:
        if size > MAX_DATA_BYTES:
            log.warning("%s: left out of site.data, larger than %d MB", rel,
                        MAX_DATA_BYTES // 1_048_576)
            continue
        stem, extension = os.path.splitext(rel)
        try:
            value = _load(folder / rel, extension.lower())
        except (OSError, ValueError, yaml.YAMLError, csv.Error) as exc:
            log.warning("%s: left out of site.data (%s)", folder / rel, exc)
            continue
        *parents, name = stem.split("/")
        node = data
        for parent in parents:
            child = node.setdefault(parent, {})
            node = child if isinstance(child, dict) else {}
        node[name] = value
    cache[key] = (signature, data)
    return data


def _data_files(folder: Path) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(DATA_EXTENSIONS):
                continue
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            found.append((rel, st.st_size, st.st_mtime_ns))
    return found


def _load(path: Path, extension: str) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    if extension in (".yml", ".yaml"):
        return yaml.load(text, Loader=_YamlLoader)
    if extension == ".json":
        return json.loads(text)
    dialect = "excel-tab" if extension == ".tsv" else "excel"
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))
