from cms.text.slugs import is_slug, slugify


def test_slugify_makes_readable_ascii():
    assert slugify("Héllo, Wörld!") == "hello-world"
    assert slugify("  C'est l'été — 2024 ") == "c-est-l-ete-2024"


def test_slugify_of_nothing_usable_is_empty():
    assert slugify("!!! ???") == ""
    assert slugify("日本語") == ""


def test_slugify_respects_the_length_limit_without_trailing_hyphen():
    slug = slugify("word " * 40, max_length=20)
    assert len(slug) <= 20 and not slug.endswith("-")


def test_is_slug():
    assert is_slug("a-good-slug-2")
    assert not is_slug("Bad Slug")
    assert not is_slug("-edge")
    assert not is_slug("double--hyphen")
    assert not is_slug("x" * 81)
