"""Which files of a Jekyll site are posts: every `_posts` folder under its source.

Jekyll (`lib/jekyll/reader.rb`, `readers/post_reader.rb`, `entry_filter.rb`)
walks the source folder, passing over entries whose name starts with `.`, `_`,
`#` or `~` or ends with `~`, and the paths `exclude` names (with its defaults,
such as `node_modules`); in each folder it reads `_posts`, where a file is a
post only when its name is `YYYY-MM-DD-title.EXT`. `_drafts` are not read
(newsbot announces what is published). Inside each `_posts` folder the rules
of `discover.py` still apply (temp files, symlinks, binary files).

`post_files` and `is_post` are what the indexer calls: they use these rules
with `site.source`, and `discover.py`'s plain folder rules with `site.posts_dir`.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
from pathlib import Path

from newsbot.config import SiteConfig
from newsbot.ingest.discover import FileStamp, Skipped, find_post_files, is_candidate
from newsbot.ingest.jekyll_site import DEFAULT_EXCLUDES

log = logging.getLogger(__name__)

POSTS = "_posts"
NOT_DATED = "not a post for Jekyll: a file in _posts must be named YYYY-MM-DD-title.EXT"
_SPECIAL = (".", "_", "#", "~")
# Jekyll's DATE_FILENAME_MATCHER, on the path inside a `_posts` folder
_DATED = re.compile(r"(?:.+/)*?\d{2,4}-\d{1,2}-\d{1,2}-[^/]*\.[^./]+", re.DOTALL)


def post_files(site: SiteConfig, skipped: Skipped | None = None) -> dict[str, FileStamp]:
    """Every post file of the site, as POSIX path relative to `site.root` → its stat."""
    if not site.jekyll:
        return find_post_files(site.root, skipped)
    return find_site_posts(site.root, _excludes(site), site.collections_dir, skipped)


def is_post(site: SiteConfig, path: Path) -> bool:
    """Whether `path` (absolute, or relative to `site.root`) is a post file now."""
    if not site.jekyll:
        return is_candidate(site.root, path)
    root = os.path.abspath(site.root)
    rel = os.path.relpath(os.path.normpath(os.path.join(root, path)), root)
    parts = rel.split(os.sep)
    if POSTS not in parts[:-1] or rel.startswith(os.pardir):
        return False
    at = parts.index(POSTS)
    above, inside = parts[:at], parts[at + 1 :]
    excludes = _excludes(site)
    for depth in range(len(above)):
        if _filtered(above[depth], _from_source(site.collections_dir, above[: depth + 1]),
                     excludes):
            return False
    if any(part.startswith(_SPECIAL) or part.endswith("~") for part in inside):
        return False
    if not _DATED.fullmatch("/".join(inside)):
        return False
    return is_candidate(Path(root, *above, POSTS), Path(*inside))


def find_site_posts(
    root: Path, excludes: list[str], collections_dir: str = "", skipped: Skipped | None = None
) -> dict[str, FileStamp]:
    """The posts of every `_posts` folder under `root`, by Jekyll's rules."""
    found: dict[str, FileStamp] = {}
    walked: set[str] = set()
    stack: list[tuple[str, list[str]]] = [(os.fspath(root), [])]
    while stack:
        folder, parts = stack.pop()
        real = os.path.realpath(folder)
        if real in walked:
            continue  # a symlink loop
        walked.add(real)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            log.warning("%s: folder skipped, cannot list it (%s)", "/".join(parts) or folder,
                        exc.strerror or exc)
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if not is_dir:
                continue
            if entry.name == POSTS:
                _read_posts_folder(entry.path, parts, found, skipped)
            elif not _filtered(entry.name, _from_source(collections_dir, [*parts, entry.name]),
                               excludes):
                stack.append((entry.path, [*parts, entry.name]))
    return found


def _read_posts_folder(
    folder: str, parts: list[str], found: dict[str, FileStamp], skipped: Skipped | None
) -> None:
    prefix = "/".join([*parts, POSTS]) + "/"

    def skip(rel: str, why: str) -> None:
        if skipped is not None:
            skipped(prefix + rel, why)

    for rel, stamp in find_post_files(Path(folder), skip).items():
        inside = rel.split("/")
        if any(part.startswith(_SPECIAL) or part.endswith("~") for part in inside):
            continue
        if not _DATED.fullmatch(rel):
            skip(rel, NOT_DATED)
            continue
        found[prefix + rel] = stamp


def _excludes(site: SiteConfig) -> list[str]:
    return [*site.exclude, *DEFAULT_EXCLUDES]


def _from_source(collections_dir: str, parts: list[str]) -> str:
    return "/".join([collections_dir, *parts] if collections_dir else parts)


def _filtered(name: str, rel: str, excludes: list[str]) -> bool:
    """Jekyll's EntryFilter: special names, backups and `exclude` (fnmatch or prefix)."""
    if name.startswith(_SPECIAL) or name.endswith(("~", ".")):
        return True
    for pattern in excludes:
        pattern = pattern.lstrip("/")
        if (fnmatch.fnmatchcase(rel, pattern) or rel.startswith(pattern)
                or pattern == rel + "/"):
            return True
    return False
