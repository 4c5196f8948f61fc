"""Autosaves: what an author typed but has not saved yet, one per person, post and tab.

Each editor page is its own ``tab`` (an id the page is given), so two tabs of
one person never overwrite each other's copy (issue 16.12); the editor offers
the newest when it opens, and a save ends every copy of that person's.

An autosave never touches the post itself (so it can never publish anything);
the editor offers it back when it is newer than the stored post.

A long post is kept current by small patches rather than sent whole every few
seconds, so even the copy sent as the tab closes (a beacon, at most 64 KB)
fits: each copy carries a ``rev`` the editor chose, and a `Splice` names the
rev it was made against (or ``v<N>``, the saved post's version N, before the
first autosave). A patch against any other copy (another tab's since, a lost
request) is refused with `StaleBase`, and the editor sends its text whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any

import pymongo

from cms.store.errors import Invalid, StoreError
from cms.store.scoped import Scoped

MAX_FIELD = 500_000
REV = re.compile(r"[0-9A-Za-z_-]{1,32}")


class StaleBase(StoreError):
    """A patch made against a copy the server does not hold: nothing changed; send the text whole."""


def one_kind_of_newline(text: str) -> str:
    """A textarea's value has ``\\n`` newlines, a form post CRLF: patches count in the former."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_FIELD


@dataclasses.dataclass(frozen=True)
class Splice:
    """Replace ``cut`` characters at ``at`` by ``put``; the result is ``length`` long.

    Offsets count characters (code points, as Python does; the editor counts
    so too, not UTF-16 units). ``length`` lets the server tell a patch made
    against other text than its own, which would otherwise apply "fine".
    """

    at: int
    cut: int
    put: str
    length: int

    @classmethod
    def parse(cls, raw: str) -> "Splice":
        """The JSON the editor sends, checked; `Invalid` (nothing changed) when it is not one."""
        try:
            data = json.loads(raw)
        except ValueError:
            raise Invalid("the patch is not JSON") from None
        if not isinstance(data, dict) or set(data) != {"at", "cut", "put", "length"}:
            raise Invalid("a patch is {at, cut, put, length}")
        if not all(whole_number(data[key]) for key in ("at", "cut", "length")):
            raise Invalid("the patch's at, cut and length are whole numbers up to %d" % MAX_FIELD)
        if not isinstance(data["put"], str) or len(data["put"]) > MAX_FIELD:
            raise Invalid("the patch's put is text of at most %d characters" % MAX_FIELD)
        return cls(data["at"], data["cut"], data["put"], data["length"])

    def apply(self, text: str) -> str:
        if self.at + self.cut > len(text):
            raise StaleBase("the patch reaches past the end of the copy it names")
        result = text[:self.at] + self.put + text[self.at + self.cut:]
        if len(result) != self.length:
            raise StaleBase("the patch was made against other text")
        return result


def checked_tab(tab: str) -> str:
    """An editor page's id ("" for a client that names none: one copy, as before tabs)."""
    if tab and not REV.fullmatch(tab):
        raise Invalid("a tab is 1 to 32 letters, digits, - or _")
    return tab


def checked_rev(rev: str) -> str:
    if not REV.fullmatch(rev):
        raise Invalid("a rev is 1 to 32 letters, digits, - or _")
    return rev


class Autosaves:
    def __init__(self, db, site_id: Any) -> None:
        self._autosaves = Scoped(db.autosaves, site_id, affects_pages=False)

    async def save(self, post_id: str, user_id: Any, fields: dict[str, str], rev: str = "", tab: str = "") -> dt.datetime:
        """Keep ``fields`` (whole) as this person's copy of the post in ``tab``, as ``rev``."""
        now = dt.datetime.now(dt.timezone.utc)
        data = {key: str(value)[:MAX_FIELD] for key, value in fields.items()}
        if "markdown" in data:
            data["markdown"] = one_kind_of_newline(data["markdown"])
        # A whole-document replace: nx-27017 turns datetimes written by $set into strings.
        await self._autosaves.find_one_and_replace(
            {"post_id": post_id, "user_id": user_id, "tab": tab},
            {"post_id": post_id, "user_id": user_id, "tab": tab, "fields": data, "saved_at": now, "rev": rev},
            upsert=True,
            return_document=pymongo.ReturnDocument.AFTER,
        )
        return now

    async def patch(self, post_id: str, user_id: Any, base: str, splice: Splice, fields: dict[str, str], rev: str,
                    saved_text: str | None = None, tab: str = "") -> dt.datetime:
        """Apply ``splice`` to the copy ``base`` names, keep it with ``fields`` as ``rev``.

        ``saved_text``: the saved post's text, when ``base`` names its version
        (the handler checks that). Raises `StaleBase` when the server's copy is
        not ``base``; the write itself is conditional on it, so of two tabs
        patching one copy, the second is refused rather than applied to the first's.
        """
        kept = await self.get(post_id, user_id, tab)
        if saved_text is not None:
            text, condition = one_kind_of_newline(saved_text), None
        elif kept is not None and kept.get("rev") == base:
            text, condition = kept["fields"].get("markdown", ""), base
        else:
            raise StaleBase("the server's copy is not the one this patch was made against")
        data = {key: str(value)[:MAX_FIELD] for key, value in fields.items() if key != "markdown"}
        data["markdown"] = splice.apply(text)
        if len(data["markdown"]) > MAX_FIELD:
            raise Invalid("the text is longer than %d characters" % MAX_FIELD)
        now = dt.datetime.now(dt.timezone.utc)
        document = {"post_id": post_id, "user_id": user_id, "tab": tab, "fields": data, "saved_at": now, "rev": rev}
        where = {"post_id": post_id, "user_id": user_id, "tab": tab}
        if condition is None:
            await self._autosaves.find_one_and_replace(where, document, upsert=True)
        elif await self._autosaves.find_one_and_replace({**where, "rev": condition}, document) is None:
            raise StaleBase("another copy was kept meanwhile")
        return now

    async def get(self, post_id: str, user_id: Any, tab: str | None = None) -> dict | None:
        """This person's copy of the post kept by ``tab``; without one, the newest, whichever tab kept it."""
        if tab is not None:
            return await self._autosaves.find_one({"post_id": post_id, "user_id": user_id, "tab": tab})
        found = self._autosaves.find({"post_id": post_id, "user_id": user_id}).sort("saved_at", -1).limit(1)
        return next(iter([copy async for copy in found]), None)

    async def discard(self, post_id: str, user_id: Any) -> None:
        """End every copy of the post this person's tabs kept (it was saved, or they said discard)."""
        await self._autosaves.delete_many({"post_id": post_id, "user_id": user_id})
