"""Finding the translatable words of the themes, for the catalogues.

Babel reads Python but not Tornado templates, so `extract_tornado` hands
Babel's Python extractor the expressions of a template (what is between
``{{ }}`` and ``{% %}``), each on its own line, so the ``.po`` references
point at the template's lines. It is registered in ``babel.cfg`` for
``pybabel extract``; `messages` runs the same extraction from Python (the
``update`` command and the test that no catalogue misses a string).

Templates call ``_(message)`` or ``_(singular, plural, count)``, Tornado's
``locale.translate``; Python modules do the same through ``_ = self.locale.translate``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python

from cms.config import REPO_ROOT

# ``_("x")`` is a message, ``_("x", "xs", n)`` one with a plural (pybabel: -k _ -k _:1,2,3t).
KEYWORDS: dict[str, Any] = {"_": {None: (1,), 3: (1, 2)}}
# Where the words are, per folder of the repository (babel.cfg says the same for pybabel).
METHODS = {
    "themes": [("**.html", "cms.i18n.extract:extract_tornado")],
    "ui_modules": [("templates/**.html", "cms.i18n.extract:extract_tornado"), ("**.py", "python")],
    # The themed error page's messages, and what the comment form is answered.
    "cms/handlers": [("base.py", "python"), ("comments.py", "python")],
}
# Tornado's template syntax: expressions and statements; ``{{!`` and ``{%!`` are literal text.
_CODE = re.compile(r"\{\{(?!!)(.*?)\}\}|\{%(?!!)(.*?)%\}", re.S)
_NOT_CODE = ("comment",)  # {% comment free text %} is no Python


def extract_tornado(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                    options: Mapping[str, Any]) -> Iterator[tuple]:
    """Babel extraction method for Tornado templates (see the module's docstring)."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    lines: dict[int, list[str]] = {}
    for match in _CODE.finditer(text):
        code = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if not code or code.split(None, 1)[0] in _NOT_CODE:
            continue
        line = text.count("\n", 0, match.start())  # zero-based line of the expression
        lines.setdefault(line, []).append(" ".join(code.split()))  # one line each: no continuations
    last = max(lines, default=-1)
    python = "\n".join(" ; ".join(lines.get(line, [])) for line in range(last + 1))
    source = io.BytesIO(python.encode("utf-8"))
    yield from extract_python(source, keywords, comment_tags, options)


def messages(root: Path = REPO_ROOT) -> Catalog:
    """Every translatable message of the themes and UI modules, as a template catalogue."""
    catalog = Catalog(domain="cms", project="cms", charset="utf-8")
    for folder, methods in METHODS.items():
        for filename, lineno, message, comments, context in extract_from_dir(
                str(root / folder), methods, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True):
            catalog.add(message, None, [("%s/%s" % (folder, filename), lineno)], auto_comments=comments,
                        context=context)
    return catalog
