"""``python -m cms.i18n update``: the catalogues brought up to date with the themes.

It extracts every ``_()`` of the themes and UI modules (`cms.i18n.extract`)
and merges them into each language's ``.po``: a new string is added empty (the
test ``tests/unit/test_i18n_catalogues.py`` then fails until it is
translated), a changed one is kept as a fuzzy guess to check, a gone one is
dropped. ``check`` only says what is missing, and exits non-zero if anything is.
"""

from __future__ import annotations

import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from cms.i18n import DEFAULT, DOMAIN, LANGUAGES, catalogue
from cms.i18n.extract import messages


def missing(language: str, template: Catalog) -> list[str]:
    """The msgids of ``template`` the language's catalogue does not translate."""
    with catalogue(language).open("rb") as f:
        known = read_po(f, locale=language, domain=DOMAIN)
    gaps = []
    for message in template:
        if not message.id:
            continue
        found = known.get(message.id, message.context)
        strings = found.string if found is not None else None
        strings = strings if isinstance(strings, (list, tuple)) else [strings]
        if found is None or found.fuzzy or not all(strings):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def update(template: Catalog) -> None:
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        path = catalogue(language)
        if path.is_file():
            with path.open("rb") as f:
                current = read_po(f, locale=language, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            current = Catalog(locale=language, domain=DOMAIN, project="cms", charset="utf-8")
        current.update(template, update_header_comment=False)
        with path.open("wb") as f:
            write_po(f, current, width=100, omit_header=False, ignore_obsolete=True)
        print("%s: %d strings" % (path, len(current)))


def main(argv: list[str]) -> int:
    if argv[:1] not in (["update"], ["check"]):
        print("usage: python -m cms.i18n update|check", file=sys.stderr)
        return 2
    template = messages()
    if argv[0] == "update":
        update(template)
    failed = 0
    for language in LANGUAGES:
        if language != DEFAULT:
            gaps = missing(language, template)
            failed += len(gaps)
            for gap in gaps:
                print("%s: not translated: %r" % (language, gap), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
