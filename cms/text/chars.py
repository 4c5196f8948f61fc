"""Characters XML cannot carry.

XML 1.0 allows tab, LF, CR and every character from U+0020 up, except the
surrogates and U+FFFE/U+FFFF -- not even as ``&#1;``. One such character in a
post makes its site's feeds and sitemap invalid, and feed readers drop the
whole feed. Nothing a person writes needs them, so the post store drops them
on save (`cms.store.posts`) and the feeds drop them again on output
(`cms.text.feed`), for data stored before or written by other doors.
"""

from __future__ import annotations

import re

XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids."""
    return XML_UNSAFE.sub("", text)
