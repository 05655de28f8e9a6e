"""parse_post follows Jekyll's own rules; each test names the Jekyll source file it follows.

A site read through `site.source` gets every rule; a plain `site.posts_dir` keeps
its post identities and gets the rules that do not depend on the site's layout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsbot.config import SiteConfig
from newsbot.ingest.excerpt import clean_text
from newsbot.ingest.posts import PostError, parse_post
from newsbot.types import Post

LA = ZoneInfo("America/Los_Angeles")


def jekyll_site(tmp_path: Path | None = None, **overrides: Any) -> SiteConfig:
    settings: dict[str, Any] = {"url": "https://example.org", "timezone": "UTC",
                                "source": tmp_path or Path("/nonexistent-site")}
    return SiteConfig(**{**settings, **overrides})


def read(front: str, body: str = "Body.\n", *, path: str = "_posts/2024-03-05-story.md",
         site: SiteConfig | None = None) -> Post:
    result = parse_post(f"---\n{front}\n---\n{body}".encode(), path, site or jekyll_site())
    assert result is not None
    return result


# --- lib/jekyll/document.rb -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "title", "url"),
    [
        ("_posts/2017-2-5-i-dont-like-zeroes.md", "I Dont Like Zeroes",
         "https://example.org/2017/02/05/i-dont-like-zeroes.html"),
        ("_posts/2018-10-12-trailing-dots...markdown", "Trailing Dots",
         "https://example.org/2018/10/12/trailing-dots.html"),
        ("_posts/2024-01-01-MiXeD-case.md", "Mixed Case",
         "https://example.org/2024/01/01/MiXeD-case.html"),
    ],
)
def test_title_from_the_file_name_document_rb(path: str, title: str, url: str) -> None:
    """document.rb populate_title: Utils.titleize_slug of the file's slug; test_generated_site.rb
    builds 2017-2-5-i-dont-like-zeroes.md at 2017/02/05/i-dont-like-zeroes.html."""
    post = read("layout: post", path=path)
    assert (post.title, post.url) == (title, url)


@pytest.mark.parametrize(
    ("path", "front", "categories", "url_path"),
    [
        ("en/news/_posts/2024-12-25-x.md", "", ("en", "news"), "/en/news/2024/12/25/x.html"),
        ("_posts/es/2024-12-25-x.md", "", (), "/2024/12/25/x.html"),
        ("es/_posts/2024-12-25-x.md", "categories: [Ruby, es]", ("es", "Ruby"),
         "/es/ruby/2024/12/25/x.html"),
        ("es/_posts/2024-12-25-x.md", "categories: foo bar\ncategory: baz", ("es", "foo", "bar",
         "baz"), "/es/foo/bar/baz/2024/12/25/x.html"),
    ],
)
def test_categories_from_the_folders_above_posts_document_rb(
    path: str, front: str, categories: tuple[str, ...], url_path: str
) -> None:
    """document.rb categories_from_path: `es/_posts` adds `es`, `_posts/es` does not;
    merge_categories! unites them with the front matter's."""
    post = read(f"title: T\n{front}", path=path)
    assert post.categories == categories
    assert post.url == "https://example.org" + url_path


def test_a_plain_posts_folder_keeps_paths_and_takes_no_folder_categories() -> None:
    site = SiteConfig(url="https://example.org")
    post = parse_post(b"---\ntitle: T\n---\nBody\n", "en/2024-01-01-x.md", site)
    assert post is not None and post.id == "en/2024-01-01-x.md" and post.categories == ()


# --- lib/jekyll/utils.rb (parse_date) and Ruby's Time.parse -------------------------------


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        ("'2023-01-29 18:30:22 2023 -0800'", datetime(2023, 1, 30, 2, 30, 22, tzinfo=UTC)),
        ("'Sun, 29 Jan 2023 18:30:22 -0800'", datetime(2023, 1, 30, 2, 30, 22, tzinfo=UTC)),
        ("'2014-08-02 14:43:06 PDT'", datetime(2014, 8, 2, 21, 43, 6, tzinfo=UTC)),
        ("'January 29, 2023 6:30pm'", datetime(2023, 1, 29, 18, 30, tzinfo=UTC)),
        ("'29 January 2023'", datetime(2023, 1, 29, tzinfo=UTC)),
        ("'2023/01/29 10:00'", datetime(2023, 1, 29, 10, tzinfo=UTC)),
        ("'2023-01-29T10:00:00.5+09:00'", datetime(2023, 1, 29, 1, 0, 0, 500000, tzinfo=UTC)),
        ("'2023-01-29 10:00 JST'", datetime(2023, 1, 29, 1, tzinfo=UTC)),
        ("2010-01-10 13:07:09 +00:00", datetime(2010, 1, 10, 13, 7, 9, tzinfo=UTC)),
    ],
)
def test_dates_ruby_time_parse_accepts_utils_rb(value: str, instant: datetime) -> None:
    """utils.rb parse_date is Time.parse(input).localtime (test_utils.rb parses
    "2014-08-02 14:43:06 PDT")."""
    assert read(f"title: T\ndate: {value}").date == instant


@pytest.mark.parametrize("value", ["'Blah'", "'9999-99-99'", "'2024-01-01 10:00 +2500'"])
def test_dates_ruby_refuses_are_refused_utils_rb(value: str) -> None:
    """test_utils.rb: parse_date raises for "Blah" and "9999-99-99"."""
    with pytest.raises(PostError, match="date"):
        read(f"title: T\ndate: {value}")


def test_url_date_is_in_the_sites_zone_document_rb() -> None:
    """A post written at +0200 on a Los Angeles site: its date is converted to local time
    (utils.rb parse_date ... .localtime) before url_drop.rb fills :year/:month/:day."""
    post = read("title: T\ndate: '2024-03-05 08:00:00 +0200'",
                site=jekyll_site(timezone="America/Los_Angeles"))
    assert post.date == datetime(2024, 3, 4, 22, 0, tzinfo=LA)
    assert post.date.utcoffset() == timedelta(hours=-8)
    assert post.url == "https://example.org/2024/03/04/story.html"


def test_unquoted_timestamp_without_zone_is_utc_to_jekylls_yaml() -> None:
    """Jekyll's YAML reader (SafeYAML) reads `2024-03-05 23:30:00` unquoted as UTC, a quoted
    one as the site's local time (jekyll/jekyll#9278)."""
    site = jekyll_site(timezone="America/Los_Angeles")
    assert read("title: T\ndate: 2024-03-05 23:30:00", site=site).url.endswith(
        "/2024/03/05/story.html")  # 15:30 in Los Angeles
    assert read("title: T\ndate: '2024-03-05 23:30:00'", site=site).date == datetime(
        2024, 3, 5, 23, 30, tzinfo=LA)
    plain = SiteConfig(url="https://example.org", timezone="America/Los_Angeles")
    post = parse_post(b"---\ntitle: T\ndate: 2024-03-05 23:30:00\n---\nB\n", "x.md", plain)
    assert post is not None and post.date == datetime(2024, 3, 5, 23, 30, tzinfo=LA)


def test_front_matter_permalink_and_pretty_title_keep_underscores_url_drop_rb() -> None:
    """features/permalinks.feature: `2009-03-27-Custom_Schema.md` with `pretty` is built at
    /2009/03/27/Custom_Schema/; :categories is not slugified (`publish_test`)."""
    site = jekyll_site(permalink="pretty")
    post = read("title: Custom Schema", path="_posts/2009-03-27-Custom_Schema.md", site=site)
    assert post.url == "https://example.org/2009/03/27/Custom_Schema/"
    post = read("title: T\ncategories: publish_test", site=site)
    assert post.url == "https://example.org/publish_test/2024/03/05/story/"
    post = read("title: T\npermalink: /:categories/:slug.php\ncategories: A_B")
    assert post.url == "https://example.org/a_b/story.php"


# --- lib/jekyll/excerpt.rb --------------------------------------------------------------


def test_reference_links_come_from_the_whole_document_excerpt_rb() -> None:
    """excerpt.rb extract_markdown_link_reference_definitions (test_excerpt.rb)."""
    body = "[Stable snapshot][1] is available.\n\nMore.\n\n[1]: https://example.org/s.tgz\n"
    assert read("title: T", body).excerpt == "Stable snapshot is available."


def test_liquid_is_rendered_with_page_and_site_data_excerpt_rb(tmp_path: Path) -> None:
    """Jekyll renders the excerpt's Liquid with the post as `page` and `site.data`."""
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "releases.yml").write_text("- version: 3.4.0\n- version: 3.3.6\n")
    body = ('{% assign r = site.data.releases | where: "version", "3.4.0" | first %}\n'
            "Release of Ruby {{ r.version }} by {{ page.author }}.{% include note.html %}"
            "{% unknown_plugin_tag a b %}{{ x | no_such_filter }}\n\nRest.")
    post = read("title: T\nauthor: matz", body, site=jekyll_site(tmp_path))
    assert post.excerpt == "Release of Ruby 3.4.0 by matz."
    (tmp_path / "_data" / "releases.yml").write_text("- version: 3.4.0b\n")
    body = "Ruby {{ site.data.releases[0].version }}.\n"
    assert read("title: T", body, site=jekyll_site(tmp_path)).excerpt == "Ruby 3.4.0b."


def test_an_open_liquid_block_is_closed_excerpt_rb() -> None:
    """excerpt.rb sanctify_liquid_tags (2018-01-28-open-liquid-block-excerpt.markdown)."""
    body = "{% if true %}\nOpen block shown.\n\n{% endif %}\n\nRest.\n"
    assert read("title: T", body).excerpt == "Open block shown."


@pytest.mark.parametrize(
    ("front", "site_separator", "excerpt"),
    [
        ("", None, "One."),  # Jekyll's default "\n\n" with site.source
        ("excerpt_separator: ''", None, ""),
        ("", "", ""),
        ("excerpt_separator: <!--x-->", None, "One. Two."),
        ("excerpt_separator: '@@'", None, "One. Two. Three."),  # absent: the whole body
    ],
)
def test_excerpt_separator_document_rb(front: str, site_separator: str | None,
                                       excerpt: str) -> None:
    """document.rb excerpt_separator: front matter, else the site's; `""` means none."""
    site = jekyll_site(excerpt_separator=site_separator)
    body = "One.\n\nTwo.\n<!--x-->\nThree.\n"
    assert read(f"title: T\n{front}", body, site=site).excerpt == excerpt


# --- text repair -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Ｒｕｂｙ　３．４．０リリース（全角）", "Ｒｕｂｙ　３．４．０リリース（全角）"),
        ("ｶﾀｶﾅ half-width", "ｶﾀｶﾅ half-width"),
        ("ﬁnance ligature", "ﬁnance ligature"),
        ("cafe\u0301 decomposed", "cafe\u0301 decomposed"),
        ("“quotes” — dashes…", "“quotes” — dashes…"),
        ("CafÃ© Ã  la carte", "Café à la carte"),
        ("æ–‡å\xad—åŒ–ã\x81‘", "文字化け"),
    ],
)
def test_text_repair_changes_mojibake_only(text: str, clean: str) -> None:
    """Full-width (its space too), half-width, ligatures and decomposed marks are the
    author's text."""
    assert clean_text(text) == clean


def test_titles_in_full_width_reach_the_post_unchanged() -> None:
    post = read("title: 'Ruby ３．４．０ リリース　（全角）'")
    assert post.title == "Ruby ３．４．０ リリース　（全角）"


def test_front_matter_without_title_or_date_still_needs_a_date_in_a_plain_folder() -> None:
    site = SiteConfig(url="https://example.org", timezone="UTC")
    post = parse_post(b"---\nlayout: x\n---\nB\n", "2024-01-02-hello-world.md", site)
    assert post is not None and post.title == "Hello World"
    assert post.date == datetime(2024, 1, 2, tzinfo=UTC)


def test_url_filters_use_the_sites_url_and_baseurl() -> None:
    """Jekyll's relative_url and absolute_url filters (lib/jekyll/filters/url_filters.rb)."""
    site = jekyll_site(url="https://example.org/blog")
    site.jekyll_config.update({"url": "https://example.org", "baseurl": "/blog"})
    body = "See [the notes]({{ '/notes/' | relative_url }}) at {{ 'x.html' | absolute_url }}.\n"
    post = read("title: T\nexcerpt_separator: '@@'", body, site=site)
    assert post.excerpt == "See the notes at https://example.org/blog/x.html."
    text = "{{ '/notes/' | relative_url }} {{ page.date | date_to_string }}"
    assert read("title: T", text + "\n", site=site).excerpt == "/blog/notes/ 05 Mar 2024"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{{" * 8000, id="unclosed outputs: quadratic in the engine's lexer"),
        pytest.param("{% assign s = 'a' %}" + "{% assign s = s | append: s %}" * 60 + "{{ s }}",
                     id="a value doubled sixty times"),
        pytest.param("{% assign a = 'x,y' | split: ',' %}" + "{% assign a = a | concat: a %}" * 40,
                     id="a list doubled forty times"),
        pytest.param("{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}"
                     "xyz{% endfor %}{% endfor %}{% endfor %}", id="a billion iterations"),
        pytest.param("{% capture t %}{% for i in (1..1000) %}{% for j in (1..1000) %}ab"
                     "{% endfor %}{% endfor %}{% endcapture %}{{ t }}", id="a huge capture"),
        pytest.param("{% if true %}" * 3000 + "x", id="deep nesting"),
        pytest.param("{% if a %}{% endif %}" * 20000, id="too many tags"),
    ],
)
def test_hostile_liquid_in_an_excerpt_stays_bounded(body: str) -> None:
    """Bounded in the pytest timeout and in memory: a hostile post never hangs the reader."""
    post = read("title: T", body + "\n")
    assert len(post.excerpt) <= 16_000
