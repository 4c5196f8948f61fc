"""Themes: folders under ``themes/`` with ``theme.json``, templates and static files.

A theme may name a ``parent`` in its ``theme.json``; its loader then looks for
each template in the theme first, then in its parents, and finally in the
shared UIModule defaults (``ui_modules/templates``). Loading checks that the
required templates exist somewhere along that chain.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from functools import lru_cache
from pathlib import Path

from tornado import template

from cms.config import REPO_ROOT, THEMES_DIR

log = logging.getLogger(__name__)

REQUIRED_TEMPLATES = (
    "base.html", "index.html", "post.html", "page.html", "tag.html", "author.html", "search.html", "error.html",
)
MODULE_DEFAULTS = REPO_ROOT / "ui_modules" / "templates"
DEFAULT_THEME = "journal"


class ThemeError(Exception):
    """A theme that cannot be used; the message names the theme and the file."""


@dataclasses.dataclass
class Theme:
    name: str
    path: Path
    meta: dict
    parent: "Theme | None" = None

    @property
    def chain(self) -> list["Theme"]:
        """This theme, then its parents, nearest first."""
        themes, theme = [], self
        while theme is not None:
            themes.append(theme)
            theme = theme.parent
        return themes

    @property
    def template_dirs(self) -> list[Path]:
        return [t.path / "templates" for t in self.chain] + [MODULE_DEFAULTS]

    def static_file(self, path: str) -> tuple["Theme", str] | None:
        """The theme of the chain that has ``static/<path>``, and the path."""
        for theme in self.chain:
            candidate = (theme.path / "static" / path).resolve()
            if candidate.is_file() and (theme.path / "static").resolve() in candidate.parents:
                return theme, path
        return None

    @property
    def settings_schema(self) -> dict:
        merged: dict = {}
        for theme in reversed(self.chain):
            merged.update(theme.meta.get("settings", {}))
        return merged

    def settings_for(self, site: dict) -> dict:
        """The theme's setting defaults overlaid by the site's choices."""
        values = {key: spec.get("default") for key, spec in self.settings_schema.items()}
        values.update({k: v for k, v in (site.get("theme_settings") or {}).items() if k in values})
        return values


class ThemeLoader(template.BaseLoader):
    """Finds each template in the first directory of the chain that has it."""

    def __init__(self, directories: list[Path], **kwargs) -> None:
        super().__init__(**kwargs)
        self.directories = [str(d) for d in directories]

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        return name  # names are relative to the chain, not to the including file

    def _create_template(self, name: str) -> template.Template:
        for directory in self.directories:
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    return template.Template(f.read(), name=path, loader=self)
        raise ThemeError("template %r not found in %s" % (name, " or ".join(self.directories)))


class Registry:
    """Every theme under a directory, loaded once and validated."""

    def __init__(self, directory: Path = THEMES_DIR) -> None:
        self.directory = directory
        self._themes: dict[str, Theme] = {}
        self.errors: dict[str, str] = {}
        self._load_all()

    def _load_all(self) -> None:
        metas: dict[str, tuple[Path, dict]] = {}
        for path in sorted(self.directory.iterdir()):
            if not (path / "theme.json").is_file():
                continue
            try:
                meta = json.loads((path / "theme.json").read_text())
                if not isinstance(meta, dict):
                    raise ValueError("theme.json must hold an object")
            except ValueError as e:
                self.errors[path.name] = "theme %s: bad theme.json: %s" % (path.name, e)
                log.error("%s", self.errors[path.name])
                continue
            metas[path.name] = (path, meta)
        for name in metas:
            try:
                self._themes[name] = self._build(name, metas, ())
            except ThemeError as e:
                self.errors[name] = str(e)
                log.error("%s", e)

    def _build(self, name: str, metas: dict, seen: tuple) -> Theme:
        if name in seen:
            raise ThemeError("theme %s: parent chain loops (%s)" % (name, " -> ".join(seen + (name,))))
        if name not in metas:
            raise ThemeError("theme %s: not found" % name)
        path, meta = metas[name]
        parent_name = meta.get("parent")
        parent = self._build(parent_name, metas, seen + (name,)) if parent_name else None
        theme = Theme(name=name, path=path, meta=meta, parent=parent)
        for required in REQUIRED_TEMPLATES:
            if not any((d / required).is_file() for d in theme.template_dirs):
                raise ThemeError("theme %s: missing required template %s" % (name, required))
        return theme

    def has(self, name: str) -> bool:
        return name in self._themes

    def names(self) -> list[str]:
        return sorted(self._themes)

    def get(self, name: str | None) -> Theme:
        """The named theme, or the default one when it is unknown or broken."""
        return self._themes.get(name or DEFAULT_THEME) or self._themes[DEFAULT_THEME]


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry()
