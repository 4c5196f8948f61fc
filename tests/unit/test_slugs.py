"""Slugs of titles, tags and names in any script: readable ASCII, stable, never empty for words."""

import pytest

from cms.store.errors import Invalid
from cms.store.sites import validate_new_site_name, validate_site_name
from cms.text.slugs import is_slug, slugify


def test_slugify_makes_readable_ascii():
    assert slugify("Héllo, Wörld!") == "hello-world"
    assert slugify("  C'est l'été — 2024 ") == "c-est-l-ete-2024"


@pytest.mark.parametrize(("title", "slug"), [
    ("Привет мир", "privet-mir"),  # Cyrillic
    ("Путешествия", "puteshestviya"),
    ("Καλημέρα κόσμε", "kalimera-kosme"),  # Greek
    ("مرحبا بالعالم", "mrhb-bl-lm"),  # Arabic (consonants: the script writes few vowels)
    ("שלום עולם", "slvm-vlm"),  # Hebrew
    ("你好世界", "ni-hao-shi-jie"),  # Chinese: one syllable per character, apart
    ("旅行", "lu-xing"),
    ("ひらがな カタカナ", "hiragana-katakana"),  # Japanese kana
    ("東京の夏", "dong-jing-no-xia"),  # kanji read in Mandarin (see the module docstring)
    ("🎉🎉", "tada-tada"),  # emoji: their names
    ("I ❤️ Paris", "i-heart-paris"),
])
def test_every_script_gets_a_readable_slug(title, slug):
    assert slugify(title) == slug
    assert is_slug(slug)


@pytest.mark.parametrize("title", ["Привет мир", "ПРИВЕТ МИР", "привет мир"])
def test_cyrillic_case_gives_one_slug(title):
    assert slugify(title) == "privet-mir"


def test_greek_case_and_accents_give_one_slug():
    assert slugify("ΜΈΡΑ") == slugify("μέρα") == "mera"


def test_slugify_of_nothing_usable_is_empty():
    assert slugify("!!! ???") == ""
    assert slugify("\u200b\u200d") == ""


def test_slugify_respects_the_length_limit_without_trailing_hyphen():
    slug = slugify("word " * 40, max_length=20)
    assert len(slug) <= 20 and not slug.endswith("-")
    long_cjk = slugify("東京" * 60)
    assert len(long_cjk) <= 80 and is_slug(long_cjk)


def test_is_slug():
    assert is_slug("a-good-slug-2")
    assert not is_slug("Bad Slug")
    assert not is_slug("-edge")
    assert not is_slug("double--hyphen")
    assert not is_slug("x" * 81)


@pytest.mark.parametrize("check", [validate_new_site_name, validate_site_name])
def test_site_names_stay_dns_labels_and_suggest_an_ascii_one(check):
    with pytest.raises(Invalid) as refused:
        check("Мой блог")
    assert "lowercase letters" in str(refused.value) and "for example moy-blog" in str(refused.value)
    with pytest.raises(Invalid) as refused:
        check("東京")
    assert "for example dong-jing" in str(refused.value)
