"""Bad files among good ones, through the whole newsroom: the good stories are delivered,
each bad file is reported with its path and reason (logged by the indexer, listed by
`newsbot check`), nothing a post names is ever read, and the bot keeps running."""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsbot.cli import check_posts, main
from newsbot.types import Chat
from tests.helpers import ScriptedAdapter, make_config, scripted_room, write_post

GOOD = ["2026-02-01-one.md", "2026-02-02-two.md", "sub/2026-02-03-three.md"]

#: file → words of the reason it is refused
BAD: dict[str, str] = {
    "2026-02-04-empty.md": "empty",
    "2026-02-05-binary.md": "not valid UTF-8",
    "2026-02-06-huge.md": "too large",
    "2026-02-07-bomb.md": "author must be",
    "2026-02-08-types.md": "title must be text",
    "2026-02-09-date.md": "date must be",
    "2026-02-10-year-zero.md": "out of range",
    "2026-02-11-unclosed.md": "never closed",
    "2026-02-12-tags.md": "tags must be",
}
#: entries the scan passes over, named by `newsbot check`
SKIPPED = {
    "outside.md": "outside the posts folder",
    "loop-a.md": "cannot read it",
}

_opened: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _opened is not None and args and isinstance(args[0], str | bytes):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # process-wide and permanent: records only inside `opened_files`


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """Every file the process opens meanwhile (Python's `open` audit event)."""
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def write_bad_files(posts: Path, outside: Path) -> None:
    (posts / "2026-02-04-empty.md").write_bytes(b"")
    (posts / "2026-02-05-binary.md").write_bytes(bytes(range(256)) * 40)
    (posts / "2026-02-06-huge.md").write_bytes(b"---\ntitle: Huge\n---\n" + b"x" * 50_000_000)
    laughs = "a: &a [" + ", ".join(["lol"] * 9) + "]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (posts / "2026-02-07-bomb.md").write_text(f"---\ntitle: Bomb\n{laughs}author: [*i]\n---\n")
    (posts / "2026-02-08-types.md").write_text("---\ntitle: [1, 2]\n---\n")
    (posts / "2026-02-09-date.md").write_text("---\ntitle: T\ndate: yes\n---\n")
    (posts / "2026-02-10-year-zero.md").write_text(
        "---\ntitle: T\ndate: 0001-01-01 00:00:00 +0100\n---\n"
    )
    (posts / "2026-02-11-unclosed.md").write_text("---\ntitle: Half written\n")
    (posts / "2026-02-12-tags.md").write_text("---\ntitle: T\ntags: {a: b}\n---\n")
    write_post(outside, "2026-02-13-secret.md", "Secret outside the site")
    (posts / "outside.md").symlink_to(outside / "2026-02-13-secret.md")
    (posts / "loop-a.md").symlink_to(posts / "loop-b.md")
    (posts / "loop-b.md").symlink_to(posts / "loop-a.md")
    (posts / "looped").mkdir()
    (posts / "looped" / "again").symlink_to(posts)
    (posts / os.fsdecode(b"2026-02-14-\xff\xfe.md")).write_text("---\ntitle: Bad name\n---\n")
    write_post(posts, "2026-02-15-images.md", "Images that leave the site",
               extra="image: ../../../../etc/passwd.png")
    write_post(posts, "2026-02-16-file-url.md", "File URL", extra="image: file:///etc/passwd")
    write_post(posts, "2026-02-17-abs.md", "Absolute", extra="image: /etc/passwd")


async def test_good_posts_flow_past_bad_ones_and_each_bad_one_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path)
    posts = config.site.posts_dir
    outside = tmp_path / "elsewhere"
    adapter = ScriptedAdapter()
    room = scripted_room(config, adapter)
    await room.start()
    try:
        await room.subscriptions.subscribe(Chat("scripted", "c1"))
        for name in GOOD:
            write_post(posts, name, f"Good {name}")
        write_bad_files(posts, outside)
        caplog.set_level(logging.WARNING)
        with opened_files() as opened:
            report = await room.scan()
            await room.drain()
        # the three good posts and the three whose image was dropped (only the image)
        sent = sorted(post for _, post in adapter.sent)
        assert sent == sorted([*GOOD, "2026-02-15-images.md", "2026-02-16-file-url.md",
                               "2026-02-17-abs.md"])
        summaries = {s.post_id: s for s in await room.queries.latest(20)}
        assert all(s.image_url is None for s in summaries.values())
        assert not [path for path in opened if "passwd" in path or "secret" in path]
        problems = {p.path: p.reason for p in report.problems}
        for name, words in BAD.items():
            assert words in problems[name], (name, problems.get(name))
        logged = "\n".join(r.getMessage() for r in caplog.records)
        for name in BAD:
            assert name in logged
        assert "2026-02-15-images.md: image" in logged and "climbs out" in logged
        assert "2026-02-16-file-url.md: image" in logged
        assert "not valid UTF-8; rename it" in logged

        # the bot is still fine: a good post written now still goes out
        write_post(posts, "2026-02-20-later.md", "Later")
        await room.scan()
        await room.drain()
        assert ("c1", "2026-02-20-later.md") in adapter.sent
    finally:
        await room.stop()

    out = io.StringIO()
    listed = {rel: reason for rel, _, reason in check_posts(config, out)}
    for name, words in BAD.items():
        assert words in listed[name]
    for name, words in SKIPPED.items():
        assert words in listed[name], (name, listed.get(name))
    assert any("UTF-8; rename it" in reason for reason in listed.values())
    table = out.getvalue()
    assert "2026-02-06-huge.md" in table and "too large" in table
    assert main(["check", "--config", str(tmp_path / "newsbot.toml")]) == 3
