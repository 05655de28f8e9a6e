"""Hostile post files: whatever bytes a file holds, reading it ends in a `Post`, "not
published" or a `PostError` with a reason, in bounded time and memory.

Property-based tests throw random YAML, wrong types for every key, broken and
mixed encodings, BOMs, CRLF and NUL bytes at `parse_post`, and check what comes
out is safe to store and to render for every platform. Named cases cover YAML
bombs, deep nesting, huge files and ReDoS-shaped bodies.
"""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.config import SiteConfig
from newsbot.ingest.excerpt import SOURCE_MAX, strip_liquid
from newsbot.ingest.posts import MAX_ID_LENGTH, MAX_LABELS, MAX_POST_BYTES, PostError, parse_post
from newsbot.types import Post, Summary
from newsbot_discord.render import message_payload
from newsbot_telegram import TelegramAdapter
from tests.telegram.fake_bot_api import telegram_html, utf16

SITE = SiteConfig(url="https://news.example.org/blog")
NAME = "2026-01-31-story.md"
KEYS = ("title", "date", "tags", "tag", "categories", "category", "excerpt", "author",
        "image", "permalink", "id", "slug", "published", "draft", "excerpt_separator")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: a hang guard, not a timing: a hostile file may cost a moment, never a minute (the
#: 2 MB bodies below would take hours to parse in quadratic time); generous, since the
#: tests run two at a time on busy machines
SECONDS_PER_FILE = 30.0


def read(data: bytes, name: str = NAME) -> Post | PostError | None:
    """`parse_post`, with the error returned instead of raised; anything else fails."""
    started = time.monotonic()
    try:
        return parse_post(data, name, SITE)
    except PostError as exc:
        assert str(exc).strip(), "a PostError must say what is wrong"
        return exc
    finally:
        assert time.monotonic() - started < SECONDS_PER_FILE


def assert_safe(post: Post) -> None:
    """What reaches the store and the platforms: bounded, encodable, renderable."""
    for value in (post.id, post.title, post.url, post.excerpt, post.author, post.source,
                  post.image_url or "", *post.tags, *post.categories):
        value.encode("utf-8")  # no lone surrogates: the store and the wire need UTF-8
    for value in (post.id, post.title, post.excerpt, post.author, *post.tags, *post.categories):
        assert not _CONTROL.search(value), repr(value)
    assert post.title
    assert len(post.id) <= MAX_ID_LENGTH
    assert len(post.tags) <= MAX_LABELS and len(post.categories) <= MAX_LABELS
    assert len(post.excerpt) <= SOURCE_MAX
    assert post.date.tzinfo is not None
    post.date.astimezone(UTC)  # storable
    assert post.url.startswith(SITE.url + "/")
    assert post.image_url is None or post.image_url.startswith(("https://", "http://"))
    summary = Summary.of(post)
    payload = TelegramAdapter.payload(summary)
    key, limit = ("caption", 1024) if payload.method == "sendPhoto" else ("text", 4096)
    visible = telegram_html(payload.params[key])  # Telegram's parser accepts it
    assert utf16(visible) <= limit
    body = message_payload(summary, "1400000000000000001")
    assert body["allowed_mentions"] == {"parse": []}


def check(data: bytes, name: str = NAME) -> Post | PostError | None:
    result = read(data, name)
    if isinstance(result, Post):
        assert_safe(result)
    return result


# -- strategies ----------------------------------------------------------------------

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=40) | st.dates() | st.datetimes()
    | st.sampled_from(["", " ", "yes", "2026-01-31", "2026-13-45 25:61", "0001-01-01 00:00 +0100",
                       "9999-12-31 23:59 -0500", "<b>x</b>", "@everyone", "../../etc/passwd",
                       "file:///etc/passwd", "/etc/passwd", "\u202etxt.exe", "a\u200bb"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
front_matters = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def yaml_post(meta: dict[str, Any], body: str = "Body.\n") -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=front_matters, body=st.text(max_size=300))
def test_any_front_matter_values_are_read_or_refused(meta: dict[str, Any], body: str) -> None:
    check(yaml_post(meta, body).encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(KEYS), value=values)
def test_every_key_with_any_type_is_read_or_refused(key: str, value: Any) -> None:
    meta = {"title": "T", "date": "2026-01-31 10:00", key: value}
    result = check(yaml_post(meta).encode("utf-8"))
    if isinstance(result, PostError) and key not in ("title", "date"):
        assert key.split("_")[0] in str(result) or "post id" in str(result)


encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                             "latin-1", "cp1252", "utf-32"])


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(max_size=30), body=st.text(max_size=100), encoding=encodings,
    crlf=st.booleans(), nul_at=st.none() | st.integers(min_value=0, max_value=200),
    tail=st.binary(max_size=20),
)
def test_encodings_boms_line_endings_and_nul_bytes(
    title: str, body: str, encoding: str, crlf: bool, nul_at: int | None, tail: bytes
) -> None:
    text = yaml_post({"title": title, "tags": ["é", "naïve"]}, body)
    if crlf:
        text = text.replace("\n", "\r\n")
    try:
        data = text.encode(encoding, errors="surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", errors="replace")
    if nul_at is not None:
        data = data[:nul_at] + b"\x00" + data[nul_at:]
    check(data + tail)


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(st.tuples(st.text(max_size=20), encodings), min_size=1, max_size=5))
def test_mixed_encodings_in_one_file(parts: list[tuple[str, str]]) -> None:
    data = b"---\ntitle: "
    for text, encoding in parts:
        data += text.encode(encoding, errors="replace")
    check(data + b"\n---\nBody\n")


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=1, max_size=2000))
def test_binary_files_never_crash(data: bytes) -> None:
    check(data)
    check(b"---\n" + data)
    check(b"---\ntitle: t\n---\n" + data)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="{}%:-_ \nabcrawendcomment", max_size=60))
def test_liquid_stripping_matches_the_lazy_regexes_it_replaced(text: str) -> None:
    # the behaviour of the old regular expressions, minus their quadratic time
    blocks = re.compile(r"\{%-?\s*(comment|highlight|raw)\b.*?%\}.*?\{%-?\s*end\1\s*-?%\}",
                        re.DOTALL)
    tags = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
    ials = re.compile(r"\{:[^}\n]*\}")
    expected = text if "{" not in text else ials.sub("", tags.sub("", blocks.sub(" ", text)))
    assert strip_liquid(text) == expected


# -- named hostile files -------------------------------------------------------------

LAUGHS = """---
title: Billion laughs
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
{key}: {value}
---
Body.
"""


@pytest.mark.parametrize(
    "key_value",
    ["tags: *i", "categories: *i", "author: *i", "author: [*i]", "author: {name: *i}",
     "excerpt: *i", "image: {path: *i}", "title: *i", "unused: *i", "id: *i"],
)
def test_yaml_bombs_cost_neither_time_nor_memory(key_value: str) -> None:
    key, value = key_value.split(": ", 1)
    data = LAUGHS.replace("{key}: {value}", f"{key}: {value}").encode()
    tracemalloc.start()
    try:
        result = check(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    assert isinstance(result, PostError) or key == "unused"


@pytest.mark.parametrize(
    "front",
    [
        "tags: " + "[" * 20_000 + "]" * 20_000,
        "x: " + "{a: " * 20_000 + "1" + "}" * 20_000,
        "author: " + "[" * 900 + "]" * 900,
        "x: " + "- " * 20_000 + "a",
        "x: " + "".join(f"\n{' ' * i}a:" for i in range(1, 3000)) + " 1",
    ],
    ids=["lists", "mappings", "author-lists", "block-sequences", "indentation"],
)
def test_deep_nesting_is_refused_or_read(front: str) -> None:
    check(f"---\ntitle: Deep\n{front}\n---\nBody\n".encode())


def test_deep_toml_nesting() -> None:
    check(("+++\ntitle = 'Deep'\nx = " + "[" * 5000 + "]" * 5000 + "\n+++\nBody\n").encode())


def test_a_50_megabyte_file_is_too_large_and_not_parsed() -> None:
    data = b"---\ntitle: Huge\n---\n" + b"word " * 10_000_000
    result = check(data)
    assert isinstance(result, PostError) and "too large" in str(result)
    assert f"{MAX_POST_BYTES // 1_048_576} MB" in str(result)


@pytest.mark.parametrize(
    "body",
    ["{% " * 600_000, "{{" * 900_000, "{:" * 900_000, "{% raw %}" * 200_000,
     "[" * 1_900_000, "*a **a " * 250_000, "<" * 1_900_000, "[a](" * 450_000],
    ids=["liquid-tags", "liquid-output", "kramdown-ials", "liquid-raw", "brackets",
         "emphasis", "angles", "links"],
)
def test_pathological_bodies_just_under_the_size_limit(body: str) -> None:
    for data in (f"---\ntitle: T\n---\n{body}\n", f"---\ntitle: T\nexcerpt: '{body}'\n---\n"):
        check(data.encode())


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n \t\r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not valid UTF-8"),
        (b"\xef\xbb\xbf", "empty"),
        (b"---\ntitle: caf\xe9\n---\n", "not valid UTF-8"),
        (b"---\ntitle: T\n---\n\xff\xfe", "not valid UTF-8"),
        (b"---\ntitle: \"a\\0b\"\n---\nBody\n", None),
        (b"---\ntitle: T\x00\n---\n", "not valid YAML"),
        (b"---\ntitle: T\ndate: 0001-01-01 00:00:00 +0100\n---\n", "out of range"),
        (b"---\ntitle: T\ndate: 9999-12-31 23:00:00 -0500\n---\n", "out of range"),
        (b"---\ntitle: T\nid: \"a\\tb\"\n---\n", "control characters"),
        (b"---\ntitle: T\nid: " + b"x" * 2000 + b"\n---\n", "too long"),
        (b"---\ntitle: T\ntags: [" + b",".join(b"t%d" % i for i in range(5000)) + b"]\n---\n",
         "at most"),
        (b"---\ntitle: T\nauthor: [[a]]\n---\n", "author must be"),
        (b"---\ntitle: [1, 2]\n---\n", "title must be text"),
        (b"---\ntitle: T\ndate: yes\n---\n", "date must be"),
        (b"---\ntitle: T\ntags: {a: b}\n---\n", "tags must be"),
    ],
    ids=["empty", "blank", "png", "bom-only", "latin-1", "bad-tail", "nul-escape", "nul-byte",
         "year-0", "year-10000", "id-control", "id-long", "tags-5000", "author-nested",
         "title-list", "date-yes", "tags-map"],
)
def test_named_hostile_files(data: bytes, words: str | None) -> None:
    result = check(data)
    if words is None:
        assert isinstance(result, Post)
    else:
        assert isinstance(result, PostError) and words in str(result), result


@pytest.mark.parametrize(
    "ref",
    ["../../etc/passwd", "../../../etc/passwd.png", "/etc/passwd", "file:///etc/passwd",
     "file:///etc/passwd.png", "..%2f..%2fetc%2fpasswd.png", "..\\..\\etc\\passwd.png",
     "javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://example.org/a.png",
     "//", "http:///a.png", "\x00.png", "~/.ssh/id_rsa"],
)
def test_images_that_leave_the_site_are_refused(ref: str) -> None:
    data = yaml_post({"title": "T", "image": ref}).encode()
    result = check(data)
    assert isinstance(result, Post) and result.image_url is None


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Pacific/Niue"])
def test_random_date_strings_never_break_the_store(zone: str) -> None:
    site = SiteConfig(url=SITE.url, timezone=zone)
    rnd = random.Random(6)
    for name in ("0001-01-01-first.md", "9999-12-31-last.md"):
        result = parse_post_or_error(yaml_post({"title": "T"}).encode(), name, site)
        if isinstance(result, Post):
            assert_safe(result)
    for _ in range(300):
        year = rnd.choice([1, 2, 999, 2026, 9998, 9999])
        offset = rnd.choice(["", " +0100", " -0500", " Z", " +2359", " -2359"])
        text = f"{year:04d}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 23:30{offset}"
        for value in (text, date(year, 1, 1), datetime.combine(date(year, 12, 31), dtime(23))):
            result = parse_post_or_error(yaml_post({"title": "T", "date": value}).encode(),
                                         NAME, site)
            if isinstance(result, Post):
                assert_safe(result)


def parse_post_or_error(data: bytes, name: str, site: SiteConfig) -> Post | PostError | None:
    try:
        return parse_post(data, name, site)
    except PostError as exc:
        return exc
