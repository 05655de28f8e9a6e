"""parse_post: real-world front matter in, a repaired `Post` (or a clear PostError) out."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.config import SiteConfig
from newsbot.ingest.posts import PostError, parse_post
from newsbot.types import Post

SEED = (Path(__file__).parent.parent / "fixtures" / "seed_post.md").read_bytes()
SEED_NAME = "2026-01-31-rail-link-backed.md"
LONDON = ZoneInfo("Europe/London")


def site(**overrides: Any) -> SiteConfig:
    settings_: dict[str, Any] = {"url": "https://news.example.org", "timezone": "UTC"}
    return SiteConfig(**{**settings_, **overrides})


def post(front: str, body: str = "First paragraph.\n", *, name: str = "2024-03-05-story.md",
         **site_overrides: Any) -> Post:
    result = parse_post(f"---\n{front}\n---\n{body}".encode(), name, site(**site_overrides))
    assert result is not None
    return result


def error(data: bytes | str, name: str = "2024-03-05-story.md") -> PostError:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(PostError) as caught:
        parse_post(raw, name, site())
    return caught.value


# --- the seed post ----------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/London", "UTC"])
def test_seed_post(zone: str) -> None:
    result = parse_post(SEED, SEED_NAME, site(timezone=zone))
    assert result == Post(
        id=SEED_NAME,
        title="Live: Transport Secretary backs northern rail link after Leeds summit",
        date=datetime(2026, 1, 31, 15, 32, 27, tzinfo=ZoneInfo(zone)),
        url="https://news.example.org/news/2026/01/31/rail-link-backed.html",
        excerpt="Ministers and regional mayors agreed a timetable for new lines and stations "
        "at the close of a two-day summit in Leeds",
        author="badely",
        image_url="https://news.example.org/assets/images/3b9d0c1f5e7a4c2d8e6f1a0b9c8d7e6f.jpg",
        tags=(),
        categories=("News",),
        source=SEED_NAME,
    )
    assert result.date.utcoffset() == timedelta(0)  # January: GMT in London too


def test_seed_post_body_mojibake_is_repaired_in_the_excerpt() -> None:
    without_excerpt = b"\n".join(
        line for line in SEED.split(b"\n") if not line.startswith(b"excerpt:")
    )
    result = parse_post(without_excerpt, SEED_NAME, site())
    assert result is not None
    assert result.excerpt.startswith("The Transport Secretary has backed a £2.2bn rail link")
    assert "Â" not in result.excerpt
    assert result.excerpt.endswith('waited "far too long" for faster trains.')


def test_seed_post_in_summer_keeps_the_site_offset() -> None:
    result = parse_post(SEED.replace(b"2026-01-31T", b"2026-07-01T"), SEED_NAME,
                        site(timezone="Europe/London"))
    assert result is not None
    assert result.date.utcoffset() == timedelta(hours=1)
    assert result.url.endswith("/news/2026/07/01/rail-link-backed.html")


# --- encodings and fences ---------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="utf-8 BOM"),
        pytest.param(lambda text: b"\xff\xfe" + text.encode("utf-16-le"), id="utf-16 LE"),
        pytest.param(lambda text: b"\xfe\xff" + text.encode("utf-16-be"), id="utf-16 BE"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode(), id="CRLF"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
                     id="BOM+CRLF"),
        pytest.param(lambda text: text.replace("\n---\n", "\n...\n", 1).encode(), id="... closer"),
        pytest.param(lambda text: "\n\n" + text, id="blank lines first"),
    ],
)
def test_encodings_and_line_endings_give_the_same_post(encode: Any) -> None:
    text = SEED.decode()
    data = encode(text)
    if isinstance(data, str):
        data = data.encode()
    assert parse_post(data, SEED_NAME, site()) == parse_post(SEED, SEED_NAME, site())


def test_toml_front_matter() -> None:
    data = (
        b'+++\ntitle = "Budget  day"\ndate = 2024-03-05T10:00:00+01:00\n'
        b'tags = ["Economy", "tax"]\ncategories = ["Politics"]\n'
        b'author = { name = "Ann Lee" }\n+++\nThe Chancellor spoke.\n'
    )
    result = parse_post(data, "budget.md", site())
    assert result is not None
    assert (result.title, result.tags, result.categories, result.author, result.excerpt) == (
        "Budget day", ("Economy", "tax"), ("Politics",), "Ann Lee", "The Chancellor spoke."
    )
    assert result.date == datetime(2024, 3, 5, 10, tzinfo=timezone(timedelta(hours=1)))
    assert result.url == "https://news.example.org/politics/2024/03/05/budget-day.html"


# --- dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013-05-06 02:12:52 +0200", datetime(2013, 5, 6, 2, 12, 52,
                                               tzinfo=timezone(timedelta(hours=2)))),
        ("'2013-05-06 02:12:52 -0530'", datetime(2013, 5, 6, 2, 12, 52,
                                                 tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
        ("2013-05-06 02:12:52 +02:00", datetime(2013, 5, 6, 2, 12, 52,
                                                tzinfo=timezone(timedelta(hours=2)))),
        ("2013-05-06 02:12", datetime(2013, 5, 6, 2, 12, tzinfo=LONDON)),
        ("2013-05-06T02:12:52Z", datetime(2013, 5, 6, 2, 12, 52, tzinfo=UTC)),
        ("2013-05-06T02:12:52.250Z", datetime(2013, 5, 6, 2, 12, 52, 250000, tzinfo=UTC)),
        ("2013-05-06", datetime(2013, 5, 6, tzinfo=LONDON)),
        ("'2013-05-06'", datetime(2013, 5, 6, tzinfo=LONDON)),
        ("2013-5-6 9:05", datetime(2013, 5, 6, 9, 5, tzinfo=LONDON)),
        ("2026-01-31T15:32:27", datetime(2026, 1, 31, 15, 32, 27, tzinfo=LONDON)),
        ("2013-05-06 02:12:52 UTC", datetime(2013, 5, 6, 2, 12, 52, tzinfo=UTC)),
    ],
)
def test_front_matter_dates(value: str, expected: datetime) -> None:
    """The same instant, taken into the site's zone (Jekyll's parse_date: Time.parse(...)
    .localtime, lib/jekyll/utils.rb)."""
    result = post(f"title: T\ndate: {value}", timezone="Europe/London")
    assert result.date == expected
    assert result.date.utcoffset() == expected.astimezone(LONDON).utcoffset()


@pytest.mark.parametrize(
    ("name", "expected", "slug"),
    [
        ("2017-2-5-x.md", datetime(2017, 2, 5, tzinfo=LONDON), "x"),
        ("2017-02-05-snow-day.markdown", datetime(2017, 2, 5, tzinfo=LONDON), "snow-day"),
        ("world/2020-12-31-new-year.MD", datetime(2020, 12, 31, tzinfo=LONDON), "new-year"),
        ("2021-06-01-v1.2-release.html", datetime(2021, 6, 1, tzinfo=LONDON), "v1.2-release"),
    ],
)
def test_date_and_slug_from_file_name(name: str, expected: datetime, slug: str) -> None:
    result = post("title: T", name=name, timezone="Europe/London")
    assert result.date == expected
    assert result.url == f"https://news.example.org/{expected:%Y/%m/%d}/{slug}.html"


def test_front_matter_date_wins_over_file_name() -> None:
    assert post("title: T\ndate: 2020-01-02 03:04:05").date == datetime(2020, 1, 2, 3, 4, 5,
                                                                          tzinfo=UTC)


# --- title, labels, author --------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "title"),
    [
        ('title: "New: Talks  resume\tin   Geneva "', "New: Talks resume in Geneva"),
        ("title: CafÃ© owners protest", "Café owners protest"),
        ("title: AT&amp;T fined", "AT&T fined"),
        ("title: 1984", "1984"),
        ("title: >\n  Folded\n  title", "Folded title"),
    ],
)
def test_title_is_repaired(front: str, title: str) -> None:
    assert post(front).title == title


@pytest.mark.parametrize(
    ("front", "tags", "categories"),
    [
        ("tags: [Economy, tax, ECONOMY, '', Tax]", ("Economy", "tax"), ()),
        ("tags: brexit trade  deals", ("brexit", "trade", "deals"), ()),
        ("tags:\n  - 2024\n  - 3.5\n  -\n  - Election", ("2024", "3.5", "Election"), ()),
        ("tag: Breaking News", ("Breaking News",), ()),
        ("category: World Affairs", (), ("World Affairs",)),
        ("categories: [News, Politics]\ncategory: news", (), ("News", "Politics")),
        ("categories: uk politics", (), ("uk", "politics")),
        ("tags:\ncategories:", (), ()),
        ("tags: [Ã©conomie]", ("économie",), ()),
    ],
)
def test_tags_and_categories(front: str, tags: tuple[str, ...],
                             categories: tuple[str, ...]) -> None:
    result = post(f"title: T\n{front}")
    assert (result.tags, result.categories) == (tags, categories)


@pytest.mark.parametrize(
    ("front", "author"),
    [
        ("", ""),
        ("author: Jane  Doe", "Jane Doe"),
        ("author: {name: JosÃ© Silva, twitter: js}", "José Silva"),
        ("author: {twitter: js}", ""),
        ("author: [Ann, {name: Bo}]", "Ann, Bo"),
    ],
)
def test_author(front: str, author: str) -> None:
    assert post(f"title: T\n{front}").author == author


# --- excerpt ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "body", "site_separator", "excerpt"),
    [
        pytest.param("excerpt: A **bold** [claim](http://x) &amp; more", "Body.", None,
                     "A bold claim & more", id="front matter markdown"),
        pytest.param("excerpt: '1984. A year <em>to</em> remember'", "Body.", None,
                     "1984. A year to remember", id="front matter stays inline"),
        pytest.param("", "# Heading\n\n![photo](a.jpg)\n\nFirst *real*\nparagraph.\n\nSecond.",
                     None, "First real paragraph.", id="first paragraph"),
        pytest.param("", "One.\n\nTwo.\n<!--more-->\nThree.", None, "One. Two.", id="more marker"),
        pytest.param("excerpt_separator: '<!-- cut -->'", "One.\n\nTwo.\n<!-- cut -->\nThree.",
                     None, "One. Two.", id="front matter separator"),
        pytest.param("", "One.\n\nTwo.\n@@@\nThree.", "@@@", "One. Two.", id="site separator"),
        pytest.param("", "One.\n\nTwo.", "@@@", "One. Two.", id="site separator absent"),
        pytest.param("", "{% include ad.html %}\n\nHello {{ site.title }} readers.", None,
                     "Hello readers.", id="liquid removed"),
        pytest.param("", "<p>An <b>HTML</b> post &amp; more</p>\n", None, "An HTML post & more",
                     id="html body"),
        pytest.param("", "", None, "", id="empty body"),
        pytest.param("excerpt_separator: ''", "One.\n\nTwo.", None, "",
                     id="empty front matter separator: no excerpt (document.rb)"),
        pytest.param("", "One.\n\nTwo.", "", "", id="empty site separator: no excerpt"),
    ],
)
def test_excerpt(front: str, body: str, site_separator: str | None, excerpt: str) -> None:
    result = post(f"title: T\n{front}", body, excerpt_separator=site_separator)
    assert result.excerpt == excerpt


# --- image, id, publication -------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "url"),
    [
        ("image: assets/a b.jpg", "https://news.example.org/assets/a%20b.jpg"),
        ("image: /img/x.png", "https://news.example.org/img/x.png"),
        ("image: https://cdn.example.net/x.webp", "https://cdn.example.net/x.webp"),
        ("image: {path: /p.jpg, feature: /f.jpg}", "https://news.example.org/p.jpg"),
        ("image: {feature: f.jpg, teaser: t.jpg}", "https://news.example.org/f.jpg"),
        ("image: {url: 'https://x.org/u.jpg'}", "https://x.org/u.jpg"),
        ("image: {teaser: t.jpg}", "https://news.example.org/t.jpg"),
        ("image: {alt: nothing}", None),
        ("image: ''", None),
        ("", None),
    ],
)
def test_image(front: str, url: str | None) -> None:
    assert post(f"title: T\n{front}").image_url == url


def test_refused_image_drops_only_the_image(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="newsbot.ingest.permalink"):
        result = post("title: T\nimage: ../../etc/passwd", name="2024-03-05-leak.md")
    assert result.image_url is None
    assert result.title == "T"
    assert "2024-03-05-leak.md" in caplog.text


@pytest.mark.parametrize(
    ("front", "post_id", "url"),
    [
        ("", "2024-03-05-story.md", "https://news.example.org/2024/03/05/story.html"),
        ("id: 42", "42", "https://news.example.org/2024/03/05/story.html"),
        ("id: abc-1\npermalink: /x/", "abc-1", "https://news.example.org/x/"),
        ("permalink: /:year/:title/", "/:year/:title/", "https://news.example.org/2024/story/"),
        ("slug: Own-Slug", "2024-03-05-story.md", "https://news.example.org/2024/03/05/Own-Slug.html"),
    ],
)
def test_id_and_url(front: str, post_id: str, url: str) -> None:
    result = post(f"title: T\n{front}")
    assert (result.id, result.url) == (post_id, url)


def test_slug_falls_back_to_the_title() -> None:
    result = post("title: Rates  rise, again!\ndate: 2024-03-05", name="rates.md")
    assert result.url == "https://news.example.org/2024/03/05/rates-rise-again.html"


@pytest.mark.parametrize("front", ["published: false", "draft: true"])
def test_unpublished_posts_are_skipped(front: str) -> None:
    data = f"---\ntitle: T\n{front}\n---\nBody\n".encode()
    assert parse_post(data, "2024-03-05-story.md", site()) is None


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words", "line"),
    [
        pytest.param("", "empty", None, id="empty"),
        pytest.param("Just text\n", "no front matter", 1, id="no front matter"),
        pytest.param("---\ntitle: T\ndate: 2024-01-01\n", "never closed", 1, id="unclosed"),
        pytest.param("+++\ntitle = 'T'\n", "never closed", 1, id="unclosed toml"),
        pytest.param("---\ntitle: T\nbad: [1,\n---\n", "not valid YAML", 4, id="yaml syntax"),
        pytest.param("+++\ntitle = 'T'\nbad\n+++\n", "not valid TOML", 3, id="toml syntax"),
        pytest.param("---\n- a\n---\n", "key: value", 2, id="not a mapping"),
        pytest.param("---\ntitle: '  '\n---\n", "title is empty", None, id="blank title"),
        pytest.param("---\ntitle: [1, 2]\n---\n", "title must be text", None, id="title list"),
        pytest.param("---\ntitle: T\ndate: yes\n---\n", "date must be a date", None, id="date yes"),
        pytest.param("---\ntitle: T\ndate: soon\n---\n", "date 'soon'", None, id="date text"),
        pytest.param("---\ntitle: T\ndate: 2024-02-30 10:00\n---\n", "date", None, id="bad day"),
        pytest.param("---\ntitle: T\ndate: '2024-01-01 10:00 +2500'\n---\n", "date", None,
                     id="bad offset"),
        pytest.param("---\ntitle: T\ntags: {a: b}\n---\n", "tags must be", None, id="tags map"),
        pytest.param("---\ntitle: T\ntags: [[a]]\n---\n", "tags must hold", None, id="tag list"),
        pytest.param("---\ntitle: T\ncategories: [yes]\n---\n", "categories must hold", None,
                     id="category bool"),
        pytest.param("---\ntitle: T\nauthor: true\n---\n", "author must be", None, id="author"),
        pytest.param("---\ntitle: T\nimage: [a.jpg]\n---\n", "image must be", None, id="image"),
        pytest.param("---\ntitle: T\nimage: {path: 3}\n---\n", "image.path must be", None,
                     id="image path"),
        pytest.param("---\ntitle: T\nid: [1]\n---\n", "id must be text", None, id="id"),
        pytest.param("---\ntitle: T\nexcerpt: {a: 1}\n---\n", "excerpt must be", None,
                     id="excerpt"),
        pytest.param("---\ntitle: !!python/object:os.system x\n---\n", "not valid YAML", 2,
                     id="unsafe tag"),
        pytest.param(b"---\ntitle: caf\xe9\n---\n", "not valid UTF-8", 2, id="latin-1 bytes"),
        pytest.param(b"\xff\xfe-\x00-\x00-", "not valid UTF-16", None, id="odd utf-16"),
    ],
)
def test_broken_posts_raise(data: str | bytes, words: str, line: int | None) -> None:
    problem = error(data)
    assert words in str(problem)
    assert problem.line == line


@pytest.mark.parametrize("name", ["story.md", "2024-02-30-story.md", "1-01-01-story.md"])
def test_no_usable_date_raises(name: str) -> None:
    assert "no date" in str(error("---\ntitle: T\n---\n", name=name))


def test_every_unfinished_prefix_of_a_post_raises() -> None:
    closing = SEED.index(b"\n---\n", 4) + 4  # a prefix holding the whole closing fence parses
    for length in range(closing):
        with pytest.raises(PostError):
            parse_post(SEED[:length], SEED_NAME, site())
    assert parse_post(SEED[:closing], SEED_NAME, site()) is not None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: ("---\n" + t).encode()))
def test_never_raises_anything_but_post_error(data: bytes) -> None:
    try:
        parse_post(data, "2024-01-01-x.md", site())
    except PostError as exc:
        assert str(exc)


def test_bundled_example_posts_all_parse() -> None:
    folder = Path(__file__).parents[2] / "examples" / "_posts"
    posts = {path.name: parse_post(path.read_bytes(), path.name, site(timezone="Europe/London"))
             for path in sorted(folder.iterdir())}
    assert len(posts) >= 5
    assert all(p is not None for p in posts.values())
    bridge = posts["2026-01-31-harbour-bridge-funding.md"]
    assert bridge is not None
    assert bridge.title == "New: Ministers approve harbour bridge after Plymouth talks"


def test_keys_that_break_frontmatter_loads_are_fine() -> None:
    # python-frontmatter's loads() passes keys as keyword arguments and crashes on these.
    result = post("title: T\ncontent: x\nhandler: y\n1: numeric key")
    assert result.title == "T"
