"""Text direction of a site's language: ``<html dir>`` in every theme.

Browsers lay out Arabic or Hebrew text right to left by themselves, but the
page around it (menus, lists, quotes, the order of columns) follows ``dir`` on
``<html>``; themes' CSS uses logical properties (``margin-inline-start``...) so
the same rules read well both ways.
"""

from __future__ import annotations

# Primary language subtags of the scripts written right to left (Arabic, Hebrew,
# Thaana, N'Ko, Syriac...): Arabic, Hebrew, Persian, Urdu, Pashto, Sindhi, Yiddish,
# Sorani Kurdish, Dhivehi, Uyghur, Syriac, N'Ko, Aramaic.
RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "ps", "sd", "yi", "ckb", "dv", "ug", "syr", "nqo", "arc"})


def direction(language: str) -> str:
    """``"rtl"`` for ``ar``, ``he-IL``...; ``"ltr"`` for everything else."""
    primary = (language or "").split("-")[0].strip().lower()
    return "rtl" if primary in RTL_LANGUAGES else "ltr"
