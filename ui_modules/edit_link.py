"""`EditLink`: the hook of a reader page for its "Edit" link (issue 12).

Reader pages are cached and shared by everyone, so the link is never in their
HTML: this module only links ``edit-link.js``. In a browser that holds the
member hint cookie (set by the admin, `cms.handlers.edit_link`), the script
asks ``/admin/edit-link.json`` -- uncached, per person -- whether the signed-in
person may edit what the page shows, and only then adds the link.
"""

from __future__ import annotations

from ui_modules.base import DEFAULTS, ThemedModule


class EditLink(ThemedModule):
    template = "edit_link"

    def render(self) -> str:
        return ""  # nothing in the shared page: the script adds the link for whoever may use it

    def css_files(self) -> list[str] | None:
        return None  # styled by the script, and only when shown: no request for every reader

    def javascript_files(self) -> list[str] | None:
        own = self._theme_has("js")
        if own:
            return [own]
        from cms.handlers.static import ModuleStaticHandler

        return [ModuleStaticHandler.module_url("edit-link.js", DEFAULTS)]
