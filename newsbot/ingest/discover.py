"""Which files under the posts folder are posts, for a full scan or one watcher event.

A candidate is a Markdown or HTML file (`.md`, `.markdown`, `.html`, `.htm`, any
case), or a file with another name that starts with a front matter fence
(`---` or `+++`, after a byte order mark if there is one). Drafts folders,
hidden entries and editor temp files are never candidates.

Symlinks are followed only when their target is inside the posts folder and is
not already reached without them: a link to an ordinary post would otherwise
announce the same story twice under two paths. Walking never hangs on loops.
A name that is not valid UTF-8 is skipped with a warning: the store could not
hold it, and one such file must not stop every other post from flowing.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

POST_EXTENSIONS = frozenset({".md", ".markdown", ".html", ".htm"})

# Never opened: these cannot be posts, and a posts folder often holds many images.
# Data files are here too because a YAML document legitimately starts with `---`.
SKIP_EXTENSIONS = frozenset(
    ".jpg .jpeg .png .gif .webp .avif .bmp .svg .ico .tif .tiff .heic .heif .psd "
    ".pdf .zip .gz .tgz .bz2 .xz .zst .7z .rar .tar .mp3 .mp4 .m4a .m4v .mov .avi "
    ".mkv .webm .wav .ogg .flac .woff .woff2 .ttf .otf .eot .exe .dll .so .dylib .bin "
    ".db .sqlite .sqlite3 .pyc .class .jar .doc .docx .xls .xlsx .ppt .pptx .odt "
    ".yml .yaml .toml .json .csv .xml .css .scss .sass .less .js .ts .map".split()
)

# Editors write these next to the real file while saving.
TEMP_SUFFIXES = (
    "~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".part", ".crdownload", ".kate-swp"
)

DRAFTS = "_drafts"
PEEK_BYTES = 8  # a UTF-16 BOM plus a three-character fence

_FENCE_STARTS = tuple(
    bom + fence.encode(encoding)
    for fence in ("---", "+++")
    for bom, encoding in (
        (b"", "utf-8"),
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    )
)


#: told about each entry a scan passes over: (path under root, why)
Skipped = Callable[[str, str], None]
OUTSIDE = "symlink leads outside the posts folder, not followed"
BAD_NAME = "the file name is not valid UTF-8; rename it"


class FileStamp(NamedTuple):
    """What a scan compares of a file, named like `os.stat_result`'s fields: a tenth of
    its memory, which matters at a hundred thousand posts."""

    st_size: int
    st_mtime_ns: int


def find_post_files(root: Path, skipped: Skipped | None = None) -> dict[str, FileStamp]:
    """Every candidate under `root`, as POSIX path relative to `root` → its stat.

    Unreadable folders and files and names that are not UTF-8 are skipped with
    a warning; a missing `root` gives an empty result (and a warning).
    `skipped` hears about those and about symlinks leading outside (`newsbot check`).
    """
    def skip(rel: str, why: str) -> None:
        if skipped is not None:
            skipped(rel, why)

    root_path = os.fspath(root)
    real_root = os.path.realpath(root_path)
    found: dict[str, FileStamp] = {}
    walked: set[str] = set()  # real paths of folders already listed: no loops
    stack: list[tuple[str, str, str]] = [(root_path, real_root, "")]
    while stack:
        folder, real_folder, prefix = stack.pop()
        if real_folder in walked:
            continue
        walked.add(real_folder)
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            log.warning("%s: folder skipped, cannot list it (%s)", prefix[:-1] or folder, _why(exc))
            skip(prefix[:-1] or ".", f"folder skipped, cannot list it ({_why(exc)})")
            continue
        for entry in entries:
            name = entry.name
            if _ignored_name(name):
                continue
            rel = prefix + name
            if not _utf8(name):
                shown = os.fsencode(rel).decode("utf-8", "replace")
                log.warning("%s: skipped, %s", shown, BAD_NAME)
                skip(shown, BAD_NAME)
                continue
            try:
                if entry.is_symlink():
                    target = _link_target(real_root, entry.path)
                    if target is None:
                        skip(rel, OUTSIDE)
                        continue
                    if entry.is_dir():
                        if name != DRAFTS and not _reachable_folder(real_root, target):
                            stack.append((entry.path, target, rel + "/"))
                        continue
                    if not entry.is_file() or _reachable_post(real_root, target):
                        continue
                elif entry.is_dir(follow_symlinks=False):
                    if name != DRAFTS:
                        stack.append((entry.path, real_folder + os.sep + name, rel + "/"))
                    continue
                elif not entry.is_file(follow_symlinks=False):
                    continue  # FIFOs, sockets, devices: never opened
                if _wanted_file(entry.path, name):
                    st = entry.stat()
                    found[rel] = FileStamp(st.st_size, st.st_mtime_ns)
            except OSError as exc:
                log.warning("%s: skipped, cannot read it (%s)", rel, _why(exc))
                skip(rel, f"skipped, cannot read it ({_why(exc)})")
    return found


def is_candidate(root: Path, path: Path) -> bool:
    """Whether `path` (absolute, or relative to `root`) is a post file by the scan's rules.

    For a file watcher: the file must exist now, so a deleted path gives False.
    """
    root_path = os.path.abspath(root)
    full = os.path.normpath(os.path.join(root_path, path))
    rel = os.path.relpath(full, root_path)
    if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return False
    parts = rel.split(os.sep)
    if not _allowed_parts(parts) or not _utf8(rel):
        return False
    real_root = os.path.realpath(root_path)
    real = os.path.realpath(full)
    via_symlink = real != os.path.join(real_root, rel)
    if via_symlink and (not _inside(real_root, real) or _reachable_post(real_root, real)):
        return False  # the scan's rules for symlinks
    try:
        if not stat.S_ISREG(os.stat(full).st_mode):
            return False
        return _wanted_file(full, parts[-1])
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):
            log.warning("%s: skipped, cannot read it (%s)", rel, _why(exc))
        return False


def _utf8(name: str) -> bool:
    """False for a name with bytes that are not UTF-8 (surrogate-escaped by os.scandir)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ignored_name(name: str) -> bool:
    """Hidden entries and editor temp/backup files."""
    if name.startswith(".") or (name.startswith("#") and name.endswith("#")):
        return True
    return name.lower().endswith(TEMP_SUFFIXES)


def _allowed_parts(parts: list[str]) -> bool:
    if any(_ignored_name(part) for part in parts):
        return False
    return DRAFTS not in parts[:-1]


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _wanted_file(path: str, name: str) -> bool:
    """Post extension, or not a known binary and starting with a fence."""
    extension = _extension(name)
    if extension in POST_EXTENSIONS:
        return True
    if extension in SKIP_EXTENSIONS:
        return False
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        head = os.read(fd, PEEK_BYTES)
    finally:
        os.close(fd)
    return head.startswith(_FENCE_STARTS)


def _inside(real_root: str, real: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _link_target(real_root: str, path: str) -> str | None:
    """The real path behind a symlink, or None when it leads outside the root."""
    target = os.path.realpath(path)
    if not _inside(real_root, target):
        log.debug("%s: symlink leads outside the posts folder, not followed", path)
        return None
    return target


def _reachable_folder(real_root: str, real: str) -> bool:
    """Whether the scan lists this real folder without help from any symlink."""
    rel = os.path.relpath(real, real_root)
    if rel == os.curdir:
        return True
    parts = rel.split(os.sep)
    return DRAFTS not in parts and not any(_ignored_name(part) for part in parts)


def _reachable_post(real_root: str, real: str) -> bool:
    """Whether the scan finds this real file as a post without help from any symlink."""
    parts = os.path.relpath(real, real_root).split(os.sep)
    if not _allowed_parts(parts):
        return False
    try:
        return _wanted_file(real, parts[-1])
    except OSError:
        return False


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
