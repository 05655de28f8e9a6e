"""Post and image URLs: Jekyll's permalink styles and placeholders, and image refusals."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsbot.config import SiteConfig
from newsbot.ingest.permalink import UrlParts, expand, image_url, post_url, slugify

# A Tuesday in ISO week 10, the 65th day of a leap year.
WHEN = datetime(2024, 3, 5, 7, 8, 9, tzinfo=ZoneInfo("Europe/London"))


def site(url: str = "https://news.example.org", permalink: str = "date") -> SiteConfig:
    return SiteConfig(url=url, permalink=permalink)


def parts(slug: str = "budget-day", categories: tuple[str, ...] = (), when: datetime = WHEN,
          **more: str) -> UrlParts:
    return UrlParts(date=when, slug=slug, categories=categories, **more)


@pytest.mark.parametrize(
    ("style", "categories", "path"),
    [
        ("date", ("News", "World Affairs"), "/news/world%20affairs/2024/03/05/budget-day.html"),
        ("date", (), "/2024/03/05/budget-day.html"),
        ("pretty", ("News",), "/news/2024/03/05/budget-day/"),
        ("pretty", (), "/2024/03/05/budget-day/"),
        ("ordinal", ("News",), "/news/2024/065/budget-day.html"),
        ("weekdate", ("News",), "/news/2024/W10/Tue/budget-day.html"),
        ("none", ("News",), "/news/budget-day.html"),
        ("none", (), "/budget-day.html"),
    ],
)
def test_named_styles_follow_jekyll_configuration_rb(
    style: str, categories: tuple[str, ...], path: str
) -> None:
    """Jekyll's STYLE_TO_PERMALINK (lib/jekyll/configuration.rb)."""
    url = post_url(site(permalink=style), parts(categories=categories))
    assert url == "https://news.example.org" + path


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("/:year/:month/:day/:title:output_ext", "/2024/03/05/Budget_Day.html"),
        ("/:i_month/:i_day/:short_year/:slug", "/3/5/24/budget-day"),
        ("/:hour-:minute-:second/:title/", "/07-08-09/Budget_Day/"),
        ("/:y_day/:week/:short_day/:long_day", "/065/10/Tue/Tuesday"),
        ("/:short_month/:long_month/:title", "/Mar/March/Budget_Day"),
        ("/:w_year/:w_day/:unknown", "/2024/2/:unknown"),
        ("/blog/:categories/:title/", "/blog/uk%20news/publish_test/Budget_Day/"),
        ("/:slugified_categories/", "/uk-news/publish-test/"),
        ("/:name/:path/:collection", "/2024-03-05-budget-day/en/news/2024-03-05-Budget_Day/posts"),
        ("/:title_:year", "/Budget_Day_2024"),
        ("no-leading-slash/:title", "/no-leading-slash/Budget_Day"),
    ],
)
def test_placeholders_follow_jekyll_url_drop_rb(pattern: str, path: str) -> None:
    """Every placeholder of Jekyll's UrlDrop (lib/jekyll/drops/url_drop.rb): `:categories`
    downcased but not slugified, `:title` slugified in pretty mode keeping case and `_`."""
    given = parts(slug="Budget_Day", categories=("UK News", "publish_test", "uk news"),
                  name="2024-03-05-Budget_Day", path="en/news//2024-03-05-Budget_Day")
    assert expand(pattern, given) == path


def test_site_base_path_is_kept() -> None:
    url = post_url(site(url="https://example.com/blog/"), parts(slug="x", categories=("A",)))
    assert url == "https://example.com/blog/a/2024/03/05/x.html"


def test_front_matter_permalink_wins_and_is_expanded() -> None:
    url = post_url(site(), parts(slug="x", categories=("A",)), "/stories/:year/:title/")
    assert url == "https://news.example.org/stories/2024/x/"


def test_placeholders_take_the_date_as_given_the_caller_converts_to_the_site_zone() -> None:
    """url_drop.rb formats `@obj.date`, which document.rb has already made local time."""
    late = datetime(2024, 3, 5, 23, 30, tzinfo=timezone(-timedelta(hours=5)))
    assert post_url(site(), parts(slug="x", when=late)).endswith("/2024/03/05/x.html")


def test_url_escapes_values_like_jekyll_url_rb_and_never_climbs() -> None:
    """Jekyll's URL.escape_path and sanitize_url (lib/jekyll/url.rb)."""
    url = post_url(site(), parts(slug="café au lait"), "/../:title/../x/./y")
    assert url == "https://news.example.org/caf%C3%A9-au-lait/x/y"
    assert expand("/:title", parts(slug="100%_sure#1")) == "/100-_sure-1"


@pytest.mark.parametrize(
    ("text", "kwargs", "slug"),
    [
        ("Rates rise, again!", {}, "rates-rise-again"),
        ("  --Hello__World--  ", {}, "hello-world"),
        ("Café Ünïcode", {}, "café-ünïcode"),
        ("v1.2 Release (beta)", {"pretty": True}, "v1.2-release-(beta)"),
        ("Keep Case", {"pretty": True, "cased": True}, "Keep-Case"),
        ("!!!", {}, ""),
        # the expectations of Jekyll's test/test_utils.rb
        ("The _config.yml file", {}, "the-config-yml-file"),
        ("The _config.yml file?", {"pretty": True}, "the-_config.yml-file"),
        ("So what is Jekyll, exactly?", {}, "so-what-is-jekyll-exactly"),
        ("كيف حالك؟", {}, "كيف-حالك"),
        ("5時〜6時 三・一四", {}, "5時-6時-三-一四"),
        ("மல்லிப்பூ வகைகள்", {}, "மல்லிப்பூ-வகைகள்"),
        ("மல்லிப்பூ வகைகள்", {"pretty": True}, "மல்லிப்பூ-வகைகள்"),
        ("The _config.yml file?", {"pretty": True, "cased": True}, "The-_config.yml-file"),
        ("💎", {}, ""),
        ("x²", {}, "x"),  # a superscript is a number but not a decimal digit
    ],
)
def test_slugify_follows_jekyll_utils_rb(text: str, kwargs: dict[str, bool], slug: str) -> None:
    """Jekyll's Utils.slugify, default and pretty modes (lib/jekyll/utils.rb)."""
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
