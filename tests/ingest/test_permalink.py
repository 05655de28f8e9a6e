"""Post and image URLs: Jekyll's permalink styles and placeholders, and image refusals."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsbot.config import SiteConfig
from newsbot.ingest.permalink import expand, image_url, post_url, slugify

# A Tuesday in ISO week 10, the 65th day of a leap year.
WHEN = datetime(2024, 3, 5, 7, 8, 9, tzinfo=ZoneInfo("Europe/London"))


def site(url: str = "https://news.example.org", permalink: str = "date") -> SiteConfig:
    return SiteConfig(url=url, permalink=permalink)


@pytest.mark.parametrize(
    ("style", "categories", "path"),
    [
        ("date", ("News", "World Affairs"), "/news/world-affairs/2024/03/05/budget-day.html"),
        ("date", (), "/2024/03/05/budget-day.html"),
        ("pretty", ("News",), "/news/2024/03/05/budget-day/"),
        ("pretty", (), "/2024/03/05/budget-day/"),
        ("ordinal", ("News",), "/news/2024/065/budget-day.html"),
        ("weekdate", ("News",), "/news/2024/W10/Tue/budget-day.html"),
        ("none", ("News",), "/news/budget-day.html"),
        ("none", (), "/budget-day.html"),
    ],
)
def test_named_styles(style: str, categories: tuple[str, ...], path: str) -> None:
    url = post_url(site(permalink=style), date=WHEN, slug="budget-day", categories=categories)
    assert url == "https://news.example.org" + path


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("/:year/:month/:day/:title:output_ext", "/2024/03/05/Budget-Day.html"),
        ("/:i_month/:i_day/:short_year/:slug", "/3/5/24/budget-day"),
        ("/:hour-:minute-:second/:title/", "/07-08-09/Budget-Day/"),
        ("/:y_day/:week/:short_day/:long_day", "/065/10/Tue/Tuesday"),
        ("/:short_month/:long_month/:title", "/Mar/March/Budget-Day"),
        ("/:w_year/:w_day/:unknown", "/2024/2/:unknown"),
        ("/blog/:categories/:title/", "/blog/uk-news/Budget-Day/"),
        ("no-leading-slash/:title", "/no-leading-slash/Budget-Day"),
    ],
)
def test_placeholders(pattern: str, path: str) -> None:
    assert expand(pattern, date=WHEN, slug="Budget-Day", categories=("UK News",)) == path


def test_site_base_path_is_kept() -> None:
    url = post_url(site(url="https://example.com/blog/"), date=WHEN, slug="x", categories=("A",))
    assert url == "https://example.com/blog/a/2024/03/05/x.html"


def test_front_matter_permalink_wins_and_is_expanded() -> None:
    url = post_url(site(), date=WHEN, slug="x", categories=("A",),
                   permalink="/stories/:year/:title/")
    assert url == "https://news.example.org/stories/2024/x/"


def test_dates_are_taken_in_the_posts_own_zone() -> None:
    late = datetime(2024, 3, 5, 23, 30, tzinfo=timezone(-timedelta(hours=5)))
    assert post_url(site(), date=late, slug="x").endswith("/2024/03/05/x.html")


def test_url_escapes_spaces_and_non_ascii_but_never_climbs() -> None:
    url = post_url(site(), date=WHEN, slug="café au lait", permalink="/../:title/../x")
    assert url == "https://news.example.org/caf%C3%A9%20au%20lait/x"


@pytest.mark.parametrize(
    ("text", "kwargs", "slug"),
    [
        ("Rates rise, again!", {}, "rates-rise-again"),
        ("  --Hello__World--  ", {}, "hello-world"),
        ("Café Ünïcode", {}, "café-ünïcode"),
        ("v1.2 Release (beta)", {"pretty": True}, "v1.2-release-(beta)"),
        ("Keep Case", {"pretty": True, "cased": True}, "Keep-Case"),
        ("!!!", {}, ""),
    ],
)
def test_slugify(text: str, kwargs: dict[str, bool], slug: str) -> None:
    assert slugify(text, **kwargs) == slug


@pytest.mark.parametrize(
    ("ref", "url"),
    [
        ("assets/x.jpg", "https://example.com/blog/assets/x.jpg"),
        ("/assets/x.jpg", "https://example.com/blog/assets/x.jpg"),
        ("./assets/../img/X.PNG", "https://example.com/blog/img/X.PNG"),
        ("img/a photo é.webp?w=600", "https://example.com/blog/img/a%20photo%20%C3%A9.webp?w=600"),
        ("img/already%20encoded.gif", "https://example.com/blog/img/already%20encoded.gif"),
        ("https://cdn.example.net/p/x.jpg?s=1", "https://cdn.example.net/p/x.jpg?s=1"),
        ("http://cdn.example.net/no-extension", "http://cdn.example.net/no-extension"),
        ("//cdn.example.net/x.jpg", "https://cdn.example.net/x.jpg"),
        ("  assets/y.avif  ", "https://example.com/blog/assets/y.avif"),
        ("", None),
    ],
)
def test_image_urls(ref: str, url: str | None) -> None:
    assert image_url(ref, site(url="https://example.com/blog"), source="p.md") == url


@pytest.mark.parametrize(
    "ref",
    [
        "../secret.jpg",
        "/assets/../../x.jpg",
        "assets/%2e%2e/%2e%2e/x.jpg",
        "/etc/passwd",
        "assets/notes.txt",
        "assets/",
        "file:///etc/passwd.jpg",
        "javascript:alert(1)//.png",
        "JavaScript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.com/x.jpg",
        "assets\\x.jpg",
        "assets/x\x00.jpg",
        "assets/x%00.jpg",
        "assets/\nx.jpg",
        "https:///x.jpg",
        "http://[::1/x.jpg",
    ],
)
def test_images_leaving_the_site_are_refused(ref: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="newsbot.ingest.permalink"):
        assert image_url(ref, site(), source="2024-01-01-leak.md") is None
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "2024-01-01-leak.md" in caplog.text
