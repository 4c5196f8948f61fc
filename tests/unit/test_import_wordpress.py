"""Reading WordPress exports (cms/importers/wordpress.py) and converting their HTML (cms/importers/convert.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cms.importers import ImportFailed
from cms.importers.common import Entry, Skipped, media_key
from cms.importers.convert import to_markdown, wordpress_html
from cms.importers.wordpress import WordPress
from cms.text.markdown import render

WXR = Path(__file__).parent.parent / "fixtures" / "import" / "wordpress-6.5.xml"
ATTACHMENTS = {"10": "https://old.example/wp-content/uploads/2024/05/lake.jpg",
               "11": "https://old.example/wp-content/uploads/2024/05/hill.png"}


def read(path: Path = WXR) -> tuple[WordPress, dict[str, Entry | Skipped]]:
    source = WordPress(path)
    source.prepare()
    return source, {entry.source_id: entry for entry in source.entries()}


def convert(content: str) -> tuple[str, list[str], list[str]]:
    warnings: list[str] = []
    converted = to_markdown(wordpress_html(content, ATTACHMENTS.get, warnings))
    return converted.markdown, converted.images, warnings + converted.warnings


def test_the_channel_authors_and_attachments_are_read_first():
    source, _ = read()
    assert [(a.key, a.email, a.name) for a in source.authors] == [
        ("anna", "anna@lakeside.example", "Anna Berg"), ("tomas", "tomas@lakeside.example", "Tomás Silva")]
    assert source.attachments["10"]["alt"] == "Mist over the lake"
    assert source.total == 12  # every item but the two attachments


def test_statuses_become_published_scheduled_or_drafts_with_a_reason():
    _, entries = read()
    assert (entries["12"].status, entries["12"].published_at.isoformat()) == ("published", "2024-05-06T07:30:00+00:00")
    assert entries["22"].status == "published" and entries["22"].published_at.year == 2036  # future: scheduled
    assert entries["21"].status == "draft" and entries["21"].published_at is None
    for source_id, why in [("23", "was private"), ("24", "password-protected"), ("25", "pending review")]:
        assert entries[source_id].status == "draft"
        assert any(why in warning for warning in entries[source_id].warnings), entries[source_id].warnings
    assert isinstance(entries["30"], Skipped) and "menu item" in entries["30"].reason
    assert isinstance(entries["31"], Skipped) and "wp_block" in entries["31"].reason


def test_categories_and_tags_become_tags_without_uncategorized_or_commas():
    _, entries = read()
    assert entries["12"].tags == ["Walks", "Lakes", "Spring"]
    assert entries["7"].tags == ["Food Drink", "Spring"]  # "Food, Drink": the editor splits tags at commas
    assert entries["21"].tags == []


def test_excerpt_featured_image_sticky_pages_and_old_addresses():
    _, entries = read()
    post = entries["12"]
    assert post.custom_excerpt == "A misty walk to the lake before sunrise."
    assert (post.featured.url, post.featured.alt, post.featured.caption) == (
        "https://lakeside.example/wp-content/uploads/2024/05/lake.jpg", "Mist over the lake", "Mist over the lake at dawn")
    assert post.sticky and not entries["7"].sticky
    assert post.old_paths == ["/2024/05/morning-at-the-lake/", "/?p=12"]
    team = entries["3"]
    assert team.kind == "page" and team.parent == "2" and team.old_paths == ["/about/team/", "/?page_id=3"]
    assert entries["26"].slug == "p%c5%99es-hory"


def test_approved_comments_are_kept_pending_and_spam_counted():
    _, entries = read()
    post = entries["12"]
    assert [(c["source_id"], c["parent_source_id"], c["author"]) for c in post.comments] == [
        ("3", None, "Lena"), ("4", "3", "Anna Berg")]
    assert post.comments[0]["created"].isoformat() == "2024-05-06T10:01:00+00:00"
    assert "192.0.2.10" not in str(post.comments)  # commenters' addresses are not carried over
    assert (post.comments_pending, post.comments_spam) == (1, 1)


def test_block_content_converts_to_markdown_with_captions_galleries_and_kept_html():
    _, entries = read()
    post = entries["12"]
    markdown = post.markdown
    assert "the\\_air" in markdown and "**wet**" in markdown  # Markdown characters stay literal
    assert "<figure><img" in markdown and "<figcaption" in markdown and "The lake at <em>dawn</em>" in markdown
    assert "## What to bring" in markdown and "- Boots" in markdown
    assert "- ![The hill](https://lakeside.example/wp-content/uploads/2024/05/hill.png) From the top" in markdown
    assert "<https://www.youtube.com/watch?v=dQw4w9WgXcQ>" in markdown
    assert '<th colspan="2">Times</th>' in markdown  # merged cells: kept as HTML
    assert "<!--" not in markdown and "wp:" not in markdown
    assert any("latest-posts" in w for w in post.warnings)
    html = render(markdown).html
    assert "<figcaption" in html and 'colspan="2"' in html and "<li><img" in html


def test_classic_content_gets_paragraphs_and_shortcodes():
    markdown, images, warnings = convert(
        "First line\nsecond line.\n\nNext paragraph.\n\n"
        '[caption id="attachment_10" align="alignnone" width="300"]<img src="https://old.example/wp-content/uploads/'
        '2024/05/lake-300x225.jpg" alt="Lake" /> The lake[/caption]\n\n'
        '[gallery ids="10,11"]\n\n[embed]https://vimeo.com/1[/embed]\n\n[[not-a-shortcode]]\n\n'
        '[contact-form-7 id="5"]\n\n<pre>keep\n\nthis</pre>\n<script>alert(1)</script>')
    assert markdown.startswith("First line  \nsecond line.\n\nNext paragraph.\n\n")
    assert '<figure><img alt="Lake" src="https://old.example/wp-content/uploads/2024/05/lake-300x225.jpg">' \
           "<figcaption>The lake</figcaption></figure>" in markdown
    assert "- ![](https://old.example/wp-content/uploads/2024/05/lake.jpg)\n- ![](https://old.example/" in markdown
    assert "<https://vimeo.com/1>" in markdown and "[not-a-shortcode]" in markdown
    assert "keep\n\nthis" in markdown and "alert" not in markdown
    assert images[0].endswith("lake-300x225.jpg") and len(images) == 3
    assert any("contact-form-7" in w for w in warnings) and any("<script>" in w for w in warnings)


def test_kept_html_is_sanitised_in_the_markdown_itself():
    markdown, _, _ = convert('<table><tr><td rowspan="2" onclick="steal()">a</td>'
                             '<td><a href="javascript:x()">b</a></td></tr></table>')
    assert 'rowspan="2"' in markdown and "onclick" not in markdown and "javascript" not in markdown


def test_media_keys_are_paths_under_the_uploads_folder():
    assert media_key("https://old.example/wp-content/uploads/2024/05/lake-300x225.jpg") == "2024/05/lake-300x225.jpg"
    assert media_key("__GHOST_URL__/content/images/2024/05/a%20b.jpg") == "2024/05/a b.jpg"
    assert media_key("https://cdn.example/photo.jpg") is None


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    return path


def test_xxe_is_refused_and_no_local_file_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = write(tmp_path, (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://%s">]>\n'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&xxe;</title>'
        "<wp:post_type>post</wp:post_type></item></channel></rss>" % secret).encode())
    with pytest.raises(ImportFailed, match="DOCTYPE") as refused:
        read(path)
    assert "TOP-SECRET" not in str(refused.value)


def test_entity_expansion_is_refused_at_once(tmp_path):
    entities = "".join('<!ENTITY e%d "%s">' % (n, ("&e%d;" % (n - 1)) * 10) for n in range(1, 12))
    path = write(tmp_path, ('<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY e0 "ha">%s]>\n'
                            '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&e11;</title>'
                            "</channel></rss>" % entities).encode())
    with pytest.raises(ImportFailed, match="DOCTYPE") as refused:
        read(path)
    assert "haha" not in str(refused.value)  # refused from the DOCTYPE, before any expansion


@pytest.mark.parametrize("content, message", [
    (b"", "empty|not XML"),
    (b"\x89PNG\r\n\x1a\n", "not XML"),
    (b'{"db": [{"data": {"posts": []}}]}', "not XML"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>A feed</title></channel></rss>', "no wp: namespace"),
    (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', "not a WordPress export"),
])
def test_wrong_files_say_what_they_are_not(tmp_path, content, message):
    with pytest.raises(ImportFailed, match=message):
        read(write(tmp_path, content))


def test_a_truncated_export_fails_before_any_entry(tmp_path):
    path = write(tmp_path, WXR.read_bytes()[: len(WXR.read_bytes()) - 300])
    source = WordPress(path)
    with pytest.raises(ImportFailed, match="not complete"):
        source.prepare()


def test_links_to_the_old_sites_pages_become_paths_here():
    _, entries = read()
    # /2024/05/morning-at-the-lake/ then answers 301 to the imported post (tests/http/test_imported_posts.py).
    assert entries["26"].markdown == "Across the [hills](/2024/05/morning-at-the-lake/) & back.\n"
    # Uploaded files stay where they are until the import brings them.
    assert "(https://lakeside.example/wp-content/uploads/2024/05/lake.jpg)" in entries["12"].markdown
