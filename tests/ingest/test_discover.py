"""find_post_files and is_candidate on real folders built in tmp_path."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from newsbot.ingest.discover import find_post_files, is_candidate

FRONT = b"---\ntitle: T\n---\n"


def make(root: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


SITE = {
    "2024-01-01-a.md": FRONT,
    "2024-01-02-b.markdown": FRONT,
    "2024-01-03-c.HTML": b"<p>no front matter needed</p>",
    "page.htm": b"",
    "world/2024-01-04-d.md": FRONT,
    "world/deep/er/2024-01-05-e.Md": FRONT,
    "plain-yaml-post": FRONT,
    "toml-post.txt": b"+++\ntitle = 'T'\n+++\n",
    "bom-post": b"\xef\xbb\xbf---\n",
    "utf16-post": b"\xff\xfe" + "---\n".encode("utf-16-le"),
    "utf16be-post": b"\xfe\xff" + "---\n".encode("utf-16-be"),
    # not candidates
    "notes.txt": b"just notes\n",
    "empty": b"",
    "photo.jpg": b"---fake jpeg",
    "data.yml": b"---\nkey: value\n",
    "_drafts/2024-01-06-draft.md": FRONT,
    "world/_drafts/2024-01-07-draft.md": FRONT,
    ".hidden.md": FRONT,
    ".git/2024-01-08-x.md": FRONT,
    "2024-01-09-x.md~": FRONT,
    "2024-01-09-x.md.swp": FRONT,
    "2024-01-09-x.md.swx": FRONT,
    "#2024-01-09-x.md#": FRONT,
    "2024-01-09-x.md.tmp": FRONT,
    "2024-01-09-x.MD.TMP": FRONT,
}
EXPECTED = {
    "2024-01-01-a.md",
    "2024-01-02-b.markdown",
    "2024-01-03-c.HTML",
    "page.htm",
    "world/2024-01-04-d.md",
    "world/deep/er/2024-01-05-e.Md",
    "plain-yaml-post",
    "toml-post.txt",
    "bom-post",
    "utf16-post",
    "utf16be-post",
}

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


def test_finds_candidates_and_skips_the_rest(tmp_path: Path) -> None:
    make(tmp_path, SITE)
    found = find_post_files(tmp_path)
    assert set(found) == EXPECTED
    assert found["2024-01-01-a.md"].st_size == len(FRONT)


@pytest.mark.parametrize("rel", sorted(SITE))
def test_is_candidate_agrees_with_the_scan(tmp_path: Path, rel: str) -> None:
    make(tmp_path, SITE)
    assert is_candidate(tmp_path, tmp_path / rel) == (rel in EXPECTED)
    assert is_candidate(tmp_path, Path(rel)) == (rel in EXPECTED)  # relative to root


@pytest.mark.parametrize("path", ["missing.md", "../outside.md", ".", "world"])
def test_is_candidate_refuses_what_is_not_a_file_inside(tmp_path: Path, path: str) -> None:
    make(tmp_path, {"world/a.md": FRONT})
    (tmp_path.parent / "outside.md").write_bytes(FRONT)
    assert not is_candidate(tmp_path, tmp_path / path)


def test_missing_root_is_empty(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="newsbot.ingest.discover"):
        assert find_post_files(tmp_path / "nope") == {}
    assert "cannot list" in caplog.text


@needs_symlinks
def test_symlinks_inside_root_are_followed_once_outside_never(tmp_path: Path) -> None:
    root = tmp_path / "posts"
    outside = tmp_path / "elsewhere"
    make(root, {"real/2024-01-01-a.md": FRONT, ".store/2024-01-02-b.md": FRONT,
                ".store/c": FRONT, ".kept/2024-01-03-d.md": FRONT})
    make(outside, {"2024-01-04-out.md": FRONT})
    (root / "linked-store").symlink_to(root / ".store")  # hidden target: followed
    (root / "2024-01-05-e.md").symlink_to(root / ".store" / "c")  # file via link: followed
    (root / "alias").symlink_to(root / "real")  # already listed: not twice
    (root / "same-a.md").symlink_to(root / "real" / "2024-01-01-a.md")  # ditto
    (root / "out-dir").symlink_to(outside)
    (root / "2024-01-06-out.md").symlink_to(outside / "2024-01-04-out.md")
    (root / "relative-out").symlink_to(Path("..") / "elsewhere")
    (root / "dangling.md").symlink_to(root / "gone.md")
    assert set(find_post_files(root)) == {
        "real/2024-01-01-a.md",
        "linked-store/2024-01-02-b.md",
        "linked-store/c",
        "2024-01-05-e.md",
    }
    assert is_candidate(root, root / "linked-store" / "2024-01-02-b.md")
    assert is_candidate(root, root / "2024-01-05-e.md")
    assert not is_candidate(root, root / "alias" / "2024-01-01-a.md")
    assert not is_candidate(root, root / "same-a.md")
    assert not is_candidate(root, root / "out-dir" / "2024-01-04-out.md")
    assert not is_candidate(root, root / "2024-01-06-out.md")
    assert not is_candidate(root, root / "dangling.md")


@needs_symlinks
def test_symlink_loops_never_hang(tmp_path: Path) -> None:
    make(tmp_path, {"a/2024-01-01-a.md": FRONT, ".h/2024-01-02-b.md": FRONT})
    (tmp_path / "a" / "up").symlink_to(tmp_path)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a")
    (tmp_path / "h").symlink_to(tmp_path / ".h")
    (tmp_path / ".h" / "again").symlink_to(tmp_path / ".h")
    (tmp_path / ".h" / "back").symlink_to(tmp_path / "h")
    (tmp_path / "ping.md").symlink_to(tmp_path / "pong.md")
    (tmp_path / "pong.md").symlink_to(tmp_path / "ping.md")
    assert set(find_post_files(tmp_path)) == {"a/2024-01-01-a.md", "h/2024-01-02-b.md"}
    assert not is_candidate(tmp_path, tmp_path / "ping.md")


@needs_symlinks
def test_symlinked_root_works(tmp_path: Path) -> None:
    make(tmp_path / "real", {"2024-01-01-a.md": FRONT})
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert set(find_post_files(tmp_path / "link")) == {"2024-01-01-a.md"}
    assert is_candidate(tmp_path / "link", tmp_path / "link" / "2024-01-01-a.md")


def test_unreadable_entries_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated, because permissions mean nothing to root (and CI often runs as root).
    make(tmp_path, {"ok.md": FRONT, "locked/x.md": FRONT, "secret": FRONT})
    real_scandir, real_open = os.scandir, os.open

    def scandir(path: str) -> Any:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    def open_(path: str, flags: int, *args: Any) -> int:
        if os.path.basename(path) == "secret":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    with caplog.at_level(logging.WARNING, logger="newsbot.ingest.discover"):
        assert set(find_post_files(tmp_path)) == {"ok.md"}
        assert not is_candidate(tmp_path, tmp_path / "secret")
    messages = sorted(record.getMessage() for record in caplog.records)
    assert messages == [
        "locked: folder skipped, cannot list it (Permission denied)",
        "secret: skipped, cannot read it (Permission denied)",
        "secret: skipped, cannot read it (Permission denied)",
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_are_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    os.mkfifo(tmp_path / "pipe.md")
    assert find_post_files(tmp_path) == {}
    assert not is_candidate(tmp_path, tmp_path / "pipe")

