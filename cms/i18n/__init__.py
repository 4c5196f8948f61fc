"""The language a site's reader pages speak: catalogues, the site's locale, dates.

Themes and UI modules wrap their reader-facing words in Tornado's ``_()``
(``{{ _("Newer") }}``, ``_("%(count)d min read", "%(count)d min read", n)``);
the translations are gettext catalogues, one ``.po`` per language in
``cms/i18n/locale/<code>/LC_MESSAGES/cms.po`` (``python -m cms.i18n update``
brings them up to date with the templates: see `cms.i18n.extract`).

Only the ``.po`` sources are committed. Each process compiles them with Babel
when it starts (a few milliseconds, into a temporary folder removed at once),
so a compiled catalogue can never lag behind its source, the repository holds
no binary artefact, and a read-only root with a writable ``/tmp`` (the
OpenShift pod) is enough.

The page's language is the SITE's (``site["language"]``), never the reader's
``Accept-Language``: reader pages are kept per site by the page cache, so every
reader of a site must get the same page. Dates are written by Babel's
``format_date`` in the site's time zone, the way the language writes them.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import tempfile
from pathlib import Path

import babel
import babel.dates
import tornado.locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cms.text.direction import direction

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cms"
DEFAULT = "en"  # the language of the templates' own words (the msgids)

# Every language a site may choose, each in its own name (the settings' picker).
# Arabic and Hebrew keep right-to-left sites right to left (cms.text.direction).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "ja": "日本語",
    "ar": "العربية",
    "he": "עברית",
}
# Babel's locale for the dates of each language: English keeps the day-month-year
# dates ("5 March 2026") its sites showed before there were languages.
DATE_LOCALES = {"en": "en_GB"}
# Right-to-left languages without a catalogue of their own, by the script they are
# written in: a site in one keeps its direction and a script its readers read.
_HEBREW_SCRIPT = frozenset({"iw", "yi", "lad"})


def nearest(language: str | None) -> str:
    """The supported language closest to a free-text one: ``de-AT`` is ``de``,
    ``iw`` and ``yi`` are ``he``, Persian or Urdu ``ar`` (same script, same
    direction), anything else unknown English."""
    tag = (language or "").strip().replace("_", "-").lower()
    primary = tag.split("-")[0]
    if primary in LANGUAGES:
        return primary
    if primary in _HEBREW_SCRIPT:
        return "he"
    if direction(primary) == "rtl":
        return "ar"
    return DEFAULT


def site_language(site: dict | None) -> str:
    """The supported language a site's pages are written in."""
    return nearest((site or {}).get("language"))


def catalogue(code: str) -> Path:
    """The ``.po`` file of a language (English, the source language, has none)."""
    return LOCALE_DIR / code / "LC_MESSAGES" / ("%s.po" % DOMAIN)


@functools.lru_cache(maxsize=1)
def load() -> tuple[str, ...]:
    """Compile every catalogue and hand it to `tornado.locale` (once a process).

    Returns the languages loaded. A catalogue that does not parse stops the
    start with its file named: a theme half in English would go unnoticed.
    """
    loaded = []
    with tempfile.TemporaryDirectory(prefix="cms-locale-") as folder:
        for code in LANGUAGES:
            source = catalogue(code)
            if not source.is_file():
                continue
            with source.open("rb") as f:
                messages = read_po(f, locale=code, domain=DOMAIN)
            target = Path(folder) / code / "LC_MESSAGES"
            target.mkdir(parents=True)
            with (target / ("%s.mo" % DOMAIN)).open("wb") as f:
                write_mo(f, messages)
            loaded.append(code)
        # gettext reads each .mo whole here, so the folder may go right after.
        tornado.locale.load_gettext_translations(folder, DOMAIN)
    log.debug("catalogues loaded: %s", ", ".join(loaded))
    return tuple(loaded)


def locale_for(language: str | None) -> tornado.locale.Locale:
    """Tornado's locale (``_()`` in templates) for a site's language."""
    load()
    code = nearest(language)
    return tornado.locale.get(code if code in tornado.locale.get_supported_locales() else "en_US")


def format_date(when: dt.datetime | None, language: str | None, tz: dt.tzinfo, style: str = "long") -> str:
    """``when`` as a date in ``tz``, written the language's way (``long``: "5. März 2026",
    "2026年3月5日"; ``medium``: shorter, for lists). Empty for no date."""
    if when is None:
        return ""
    if when.tzinfo is None:  # stored in UTC; some drivers hand back naive datetimes
        when = when.replace(tzinfo=dt.timezone.utc)
    code = nearest(language)
    return _written(when.astimezone(tz).date(), DATE_LOCALES.get(code, code), style)


@functools.lru_cache(maxsize=4096)
def _written(day: dt.date, locale: str, style: str) -> str:
    # Babel takes some 60 µs a date (15x strftime): a list's render would pay
    # ~10 of them; the same posts' days come back on every render of their pages.
    return babel.dates.format_date(day, style, locale=locale)


@functools.lru_cache(maxsize=16)
def plural_samples(language: str | None) -> dict[str, int]:
    """A count of each CLDR plural category of the language (``one``: 1, ``few``: 3,
    ``other``: 5...), for a script's message with a count: the page carries the
    message translated for each sample, and the browser's ``Intl.PluralRules`` names
    the category of the count it has (``ui_modules/live.py``)."""
    rule = babel.Locale.parse(nearest(language)).plural_form
    samples: dict[str, int] = {}
    for count in range(0, 1001):
        samples.setdefault(rule(count), count)
        if len(samples) == len(rule.tags) + 1:  # its tags, and "other"
            break
    return samples
