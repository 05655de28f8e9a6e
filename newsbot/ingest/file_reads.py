"""Reading changed post files for the indexer: bytes, hash, parse, and what came of it.

`read_files` is all a reader does, in a thread of the bot's process or in a
reader process (`readers.py`): it never touches the store or logs (warnings
are returned, for the bot's process to log), so a reader process needs this
module and the post parser, nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsbot.config import SiteConfig
from newsbot.ingest.posts import MAX_POST_BYTES, PostError, parse_post, too_large
from newsbot.types import Post


@dataclass(slots=True)
class FileRead:
    """What reading one changed file produced."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    post: Post | None = None
    skipped: bool = False  # published: false
    unchanged: bool = False  # same bytes as last time: nothing to parse
    error: PostError | None = None


#: one file to read: (path under the root, size, mtime_ns, sha256 the store knows or None)
Wanted = tuple[str, int, int, str | None]


def read_files(
    root: Path, site: SiteConfig, wanted: Sequence[Wanted]
) -> tuple[list[FileRead], list[str]]:
    """Read, hash and (when the bytes changed) parse each file; plus warnings to log."""
    reads: list[FileRead] = []
    warnings: list[str] = []
    for path, size, mtime_ns, known_sha in wanted:
        if size > MAX_POST_BYTES:  # refused without reading 50 MB to hash and parse it
            reads.append(FileRead(path, size, mtime_ns, "", error=too_large(size)))
            continue
        try:
            data = (root / path).read_bytes()
        except OSError as exc:
            warnings.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        read = FileRead(path, size, mtime_ns, hashlib.sha256(data).hexdigest())
        if known_sha == read.sha256:
            read.unchanged = True  # touched, not changed
        else:
            try:
                read.post = parse_post(data, path, site)
                read.skipped = read.post is None
            except PostError as exc:
                read.error = exc
        reads.append(read)
    return reads, warnings
