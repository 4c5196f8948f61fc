"""Every highlighted token in the themes' code blocks reads at 4.5:1 or better (WCAG AA, issue 14).

axe-core found ``.nn`` (#0e84b5 on #f0f0f0, 3.69:1) on one page; this checks
every token class of the shipped ``pygments.css``, in light and dark mode,
against the code block's own background.
"""

from __future__ import annotations

import re

import pytest

from cms.config import THEMES_DIR

SHEETS = sorted(THEMES_DIR.glob("*/static/pygments.css"))
RULE = re.compile(r"\.highlight \.(\w+) \{([^}]*)\}")


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def modes(css: str) -> dict[str, str]:
    light, _, dark = css.partition("@media (prefers-color-scheme: dark)")
    return {"light": light, "dark": dark}


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: p.parent.parent.name)
def test_every_token_colour_passes_aa_on_the_code_background(sheet):
    assert SHEETS, "no theme ships a pygments.css"
    for mode, css in modes(sheet.read_text()).items():
        background = re.search(r"\.highlight \{ background: (#[0-9a-fA-F]{3,6})", css).group(1)
        low = []
        for token, body in RULE.findall(css):
            colour = re.search(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})", body)
            if token == "w" or colour is None:  # whitespace shows no glyphs
                continue
            own = re.search(r"background-color: (#[0-9a-fA-F]{3,6})", body)
            ratio = contrast(colour.group(1), own.group(1) if own else background)
            if ratio < 4.5:
                low.append("%s %s %.2f" % (token, colour.group(1), ratio))
        assert low == [], "%s (%s mode)" % (sheet, mode)
