"""The themes' catalogues: each compiles, translates every string of the templates, with
the language's plural forms; dates are the language's and the site's time zone's."""

from __future__ import annotations

import datetime as dt
import gettext
import io
from zoneinfo import ZoneInfo

import babel
import pytest
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from cms import i18n
from cms.i18n import LANGUAGES, catalogue, format_date, locale_for, nearest, plural_samples
from cms.i18n.__main__ import missing
from cms.i18n.extract import messages

TRANSLATED = [code for code in LANGUAGES if code != i18n.DEFAULT]


def read(code: str):
    with catalogue(code).open("rb") as f:
        return read_po(f, locale=code, domain=i18n.DOMAIN)


@pytest.fixture(scope="module")
def template():
    return messages()


def test_the_five_asked_for_languages_are_offered_each_in_its_own_name():
    assert {"en", "de", "fr", "es", "ja"} <= set(LANGUAGES)
    assert LANGUAGES["de"] == "Deutsch" and LANGUAGES["ja"] == "日本語" and LANGUAGES["fr"] == "Français"
    assert all(catalogue(code).is_file() for code in TRANSLATED)


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalogue_compiles_with_its_languages_plural_forms(code):
    catalog = read(code)
    assert catalog.num_plurals == get_plural(code).num_plurals  # ja 1, de 2, fr 3, ar 6...
    assert not catalog.fuzzy
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]  # %(name)s kept, plural forms complete
    assert problems == []
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    translations = gettext.GNUTranslations(compiled)
    assert translations.gettext("Search") != "Search"


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_catalogue_misses_a_string_of_the_templates(code, template):
    assert len(template) > 60  # the extraction did find the themes' strings
    assert missing(code, template) == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_catalogue_keeps_strings_the_templates_no_longer_have(code, template):
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    kept = {m.id if isinstance(m.id, str) else m.id[0] for m in read(code) if m.id}
    assert kept - wanted == set()


def test_a_new_string_in_a_template_is_missing_from_every_catalogue_until_translated(tmp_path):
    folder = tmp_path / "themes" / "plain" / "templates"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(
        '{% extends "base.html" %}\n{% comment don\'t look here %}\n'
        '<p>{{ _("Search") }} &middot; {{ _("Words nobody translated yet") }}</p>\n'
        '{% if x %}{{ _("%(count)d min read", "%(count)d min read", 3) % {"count": 3} }}{% end %}\n')
    (tmp_path / "ui_modules").mkdir()
    (tmp_path / "cms" / "handlers").mkdir(parents=True)
    found = messages(tmp_path)
    assert found.get("Words nobody translated yet").locations == [("themes/plain/templates/index.html", 3)]
    assert found.get("%(count)d min read").id == ("%(count)d min read", "%(count)d min read")
    for code in TRANSLATED:
        assert missing(code, found) == ["Words nobody translated yet"]


def test_plural_forms_follow_the_language():
    def minutes(code, n):
        return locale_for(code).translate("%(count)d min read", "%(count)d min read", n) % {"count": n}

    assert minutes("en", 1) == "1 min read" and minutes("en", 5) == "5 min read"
    assert minutes("de", 5) == "5 Min. Lesezeit"
    assert minutes("ja", 1) == "1分で読めます" and minutes("ja", 5) == "5分で読めます"  # one form only
    post = ("%(count)d post", "%(count)d posts")
    assert locale_for("en").translate(*post, 1) % {"count": 1} == "1 post"
    assert locale_for("en").translate(*post, 2) % {"count": 2} == "2 posts"
    assert locale_for("fr").translate(*post, 0) % {"count": 0} == "0 article"  # French: 0 is singular
    assert locale_for("fr").translate(*post, 2) % {"count": 2} == "2 articles"
    assert locale_for("ar").translate(*post, 2) == "تدوينتان"  # Arabic's dual
    assert locale_for("he").translate(*post, 2) == "שתי רשומות"


def test_the_script_gets_a_sample_count_of_each_plural_category():
    assert plural_samples("en") == {"other": 0, "one": 1}
    assert plural_samples("ja") == {"other": 0}
    assert set(plural_samples("ar")) == {"zero", "one", "two", "few", "many", "other"}
    assert babel.Locale.parse("ar").plural_form(plural_samples("ar")["few"]) == "few"


def test_dates_are_written_the_languages_way_in_the_sites_time_zone():
    late = dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.timezone.utc)
    utc, tokyo = dt.timezone.utc, ZoneInfo("Asia/Tokyo")
    assert format_date(late, "en", utc) == "5 March 2026"  # as English sites showed before
    assert format_date(late, "en", utc, "medium") == "5 Mar 2026"
    assert format_date(late, "de", utc) == "5. März 2026"
    assert format_date(late, "fr", utc) == "5 mars 2026"
    assert format_date(late, "es", utc) == "5 de marzo de 2026"
    assert format_date(late, "ja", tokyo) == "2026年3月6日"  # already the 6th in Tokyo
    assert format_date(late.replace(tzinfo=None), "de", utc) == "5. März 2026"  # stored naive means UTC
    assert format_date(None, "de", utc) == ""


@pytest.mark.parametrize(("typed", "supported"), [
    ("de", "de"), ("de-AT", "de"), ("DE_ch", "de"), ("fr-CA", "fr"), ("ja-JP", "ja"), ("en-US", "en"),
    ("pt-BR", "en"), ("", "en"), (None, "en"), ("zz", "en"), ("english please", "en"),
    ("he-IL", "he"), ("iw", "he"), ("yi", "he"), ("ar-EG", "ar"), ("fa", "ar"), ("ur", "ar"),
])
def test_a_free_text_language_maps_to_the_nearest_supported_one(typed, supported):
    assert nearest(typed) == supported


def test_pybabels_map_finds_the_same_strings(template):
    """``pybabel extract -F cms/i18n/babel.cfg`` (for translators' tools) sees what the test sees."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    from cms.config import REPO_ROOT
    from cms.i18n.extract import KEYWORDS

    with (REPO_ROOT / "cms" / "i18n" / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    wanted = ("themes", "ui_modules", "cms", "cms/handlers")

    def only_sources(path: str) -> bool:  # the walk skips tests, docs and data
        relative = path[len(str(REPO_ROOT)):].strip("/")
        return relative == "" or any(relative == w or relative.startswith(w + "/") for w in wanted)

    found = {message for _, _, message, _, _ in extract_from_dir(
        str(REPO_ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=only_sources)}
    assert {m if isinstance(m, str) else m[0] for m in found} == {
        m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
