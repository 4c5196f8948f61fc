"""Themes: folders under ``themes/`` with ``theme.json``, templates and static files.

A theme may name a ``parent`` in its ``theme.json``; its loader then looks for
each template in the theme first, then in its parents, and finally in the
shared UIModule defaults (``ui_modules/templates``). A template can extend the
next theme's version of *itself* (or of any file) with
``{% extends "parent:base.html" %}``.

Loading validates everything a site could trip over later: ``theme.json``
must parse and describe its settings, every required template must exist
along the chain, and every template is compiled once, so a syntax error is
found at start-up with its file and line. A broken theme never takes a site
down: `Registry.get` hands out the default theme instead, and
`Registry.errors` keeps the reason for the admin.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from tornado import template

from cms.config import REPO_ROOT, THEMES_DIR

log = logging.getLogger(__name__)

REQUIRED_TEMPLATES = (
    "base.html", "index.html", "post.html", "page.html", "tag.html", "author.html", "search.html", "error.html",
)
SITE_CSS = "site.css"  # optional: the site's settings as CSS variables, served at /site.css
MODULE_DEFAULTS = REPO_ROOT / "ui_modules" / "templates"
DEFAULT_THEME = "journal"
PARENT_PREFIX = "parent:"
THEME_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_GENERATED_LINE = re.compile(r"#\s*(\S+):(\d+)\s*$")


class ThemeError(Exception):
    """A theme that cannot be used; the message names the theme and the file."""


class SettingsError(ValueError):
    """Theme settings that do not fit the theme's schema."""


# --- settings schema ---------------------------------------------------------------

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_URL = re.compile(r"^(?:/(?!/)|https?://)[^\s<>\"']*$")
SETTING_TYPES = ("color", "integer", "boolean", "string", "choice", "media", "links")
MAX_LINKS = 8


def check_setting(key: str, spec: dict, value: Any) -> Any:
    """``value`` converted to the type ``spec`` describes, or `SettingsError`."""
    kind = spec.get("type")
    label = spec.get("label", key)
    if kind == "color":
        if not isinstance(value, str) or not _COLOR.match(value):
            raise SettingsError("%s: %r is not a colour like #3b5bdb" % (label, value))
        return value.lower()
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
            raise SettingsError("%s: %r is not a whole number" % (label, value))
        number = int(value)
        if not spec.get("min", number) <= number <= spec.get("max", number):
            raise SettingsError("%s: %d is not between %s and %s" % (label, number, spec.get("min"), spec.get("max")))
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", "on", "1", 1):
            return True
        if value in ("false", "off", "0", 0, ""):
            return False
        raise SettingsError("%s: %r is not yes or no" % (label, value))
    if kind == "string":
        if not isinstance(value, str) or len(value) > spec.get("max_length", 200):
            raise SettingsError("%s: not a text of at most %d characters" % (label, spec.get("max_length", 200)))
        return " ".join(value.split())
    if kind == "choice":
        if value not in spec.get("options", []):
            raise SettingsError("%s: %r is not one of %s" % (label, value, ", ".join(spec.get("options", []))))
        return value
    if kind == "media":  # a URL or site path of an uploaded file; empty means none
        if value in (None, ""):
            return ""
        if not isinstance(value, str) or not _URL.match(value):
            raise SettingsError("%s: %r is not a URL or a /media/ path" % (label, value))
        return value
    if kind == "links":
        if not isinstance(value, list) or len(value) > MAX_LINKS:
            raise SettingsError("%s: a list of at most %d links" % (label, MAX_LINKS))
        links = []
        for link in value:
            if not isinstance(link, dict) or not isinstance(link.get("label"), str) or not link["label"].strip():
                raise SettingsError("%s: every link needs a label" % label)
            url = link.get("url")
            if not isinstance(url, str) or not _URL.match(url):
                raise SettingsError("%s: %r is not a URL or a site path" % (label, url))
            links.append({"label": " ".join(link["label"].split())[:60], "url": url})
        return links
    raise SettingsError("%s: unknown setting type %r" % (label, kind))


def check_schema(theme: str, schema: Any) -> None:
    """`ThemeError` unless ``schema`` is a valid settings schema with valid defaults."""
    if not isinstance(schema, dict):
        raise ThemeError("theme %s: theme.json: \"settings\" must be an object" % theme)
    for key, spec in schema.items():
        if not isinstance(spec, dict) or spec.get("type") not in SETTING_TYPES:
            raise ThemeError("theme %s: theme.json: setting %r needs a type (one of %s)"
                             % (theme, key, ", ".join(SETTING_TYPES)))
        try:
            check_setting(key, spec, spec.get("default"))
        except SettingsError as e:
            raise ThemeError("theme %s: theme.json: bad default: %s" % (theme, e)) from None


# --- themes ---------------------------------------------------------------------------


@dataclasses.dataclass
class Theme:
    name: str
    path: Path
    meta: dict
    parent: "Theme | None" = None

    @property
    def title(self) -> str:
        return self.meta.get("name", self.name)

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

    def option(self, key: str, default: Any = None) -> Any:
        """A theme.json flag (such as ``sidebar``), inherited from parents."""
        for theme in self.chain:
            if key in theme.meta:
                return theme.meta[key]
        return default

    def static_file(self, path: str) -> tuple["Theme", str] | None:
        """The theme of the chain that has ``static/<path>``, and the path.

        Remembered per theme (a theme's files do not change while it is
        served): a page asks about ten times, and each answer resolves paths
        on disk, about a fifth of a page's rendering before.
        """
        known = self.__dict__.setdefault("_static_files", {})
        if path not in known:
            known[path] = self._find_static_file(path)
        return known[path]

    def _find_static_file(self, path: str) -> tuple["Theme", str] | None:
        for theme in self.chain:
            candidate = (theme.path / "static" / path).resolve()
            if candidate.is_file() and (theme.path / "static").resolve() in candidate.parents:
                return theme, path
        return None

    @property
    def settings_schema(self) -> dict:
        """The settings of the chain; a child overrides a parent's spec (or default) by key."""
        merged: dict = {}
        for theme in reversed(self.chain):
            for key, spec in theme.meta.get("settings", {}).items():
                merged[key] = {**merged.get(key, {}), **spec}
        return merged

    def validate_settings(self, settings: dict) -> dict:
        """``settings`` checked against the schema and normalised; `SettingsError` otherwise."""
        if not isinstance(settings, dict):
            raise SettingsError("theme settings must be an object")
        schema = self.settings_schema
        unknown = sorted(set(settings) - set(schema))
        if unknown:
            raise SettingsError("theme %s has no setting %s" % (self.name, ", ".join(unknown)))
        return {key: check_setting(key, schema[key], value) for key, value in settings.items()}

    def settings_for(self, site: dict) -> dict:
        """The theme's setting defaults overlaid by the site's (valid) choices."""
        schema = self.settings_schema
        values = {key: spec.get("default") for key, spec in schema.items()}
        for key, value in (site.get("theme_settings") or {}).items():
            if key in schema:
                try:
                    values[key] = check_setting(key, schema[key], value)
                except SettingsError:  # saved for another theme, or the schema changed
                    pass
        return values


class ThemeLoader(template.BaseLoader):
    """Finds each template in the first directory of the chain that has it.

    ``parent:<name>`` means: ``<name>`` from the directories *after* the one
    holding the template that asks, so a child's ``base.html`` can extend its
    parent's ``base.html``.
    """

    def __init__(self, directories: list[Path], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directories = [os.path.abspath(d) for d in directories]

    def _find(self, name: str, start: int = 0) -> str | None:
        for directory in self.directories[start:]:
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                return path
        return None

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        if not name.startswith(PARENT_PREFIX):
            return name  # names are relative to the chain, not to the including file
        wanted = name[len(PARENT_PREFIX):]
        start = 1
        if parent_path and os.path.isabs(parent_path):
            for index, directory in enumerate(self.directories):
                if parent_path.startswith(directory + os.sep):
                    start = index + 1
                    break
        found = self._find(wanted, start)
        if found is None:
            raise ThemeError("%s: no parent theme has %s" % (parent_path or "?", wanted))
        return found

    def _create_template(self, name: str) -> template.Template:
        path = name if os.path.isabs(name) else self._find(name)
        if path is None:
            raise ThemeError("template %r not found in %s" % (name, " or ".join(self.directories)))
        with open(path, "rb") as f:
            return template.Template(f.read(), name=path, loader=self)


def describe_template_error(error: Exception) -> str:
    """A template compile error as ``message at file:line``."""
    if isinstance(error, template.ParseError):
        return str(error)
    if isinstance(error, SyntaxError):
        where = _GENERATED_LINE.search((error.text or "").rstrip())
        if where:
            return "%s at %s:%s" % (error.msg, where.group(1), where.group(2))
        return "%s in %s" % (error.msg, error.filename)
    return "%s: %s" % (type(error).__name__, error)


class Registry:
    """Every theme under a directory, loaded once and validated."""

    def __init__(self, directory: Path = THEMES_DIR, default: str = DEFAULT_THEME) -> None:
        self.directory = Path(directory)
        self.default = default
        self._themes: dict[str, Theme] = {}
        self.errors: dict[str, str] = {}
        self._load_all()
        if default not in self._themes:
            raise ThemeError("the default theme %s cannot be used: %s"
                             % (default, self.errors.get(default, "not found in %s" % self.directory)))

    def _fail(self, name: str, message: str) -> None:
        self.errors[name] = message
        log.error("%s", message)

    def _load_all(self) -> None:
        metas: dict[str, tuple[Path, dict]] = {}
        for path in sorted(self.directory.iterdir()):
            if not (path / "theme.json").is_file():
                continue
            try:
                meta = json.loads((path / "theme.json").read_text(encoding="utf-8"))
                if not isinstance(meta, dict):
                    raise ValueError("theme.json must hold an object")
            except ValueError as e:
                self._fail(path.name, "theme %s: bad theme.json (%s): %s" % (path.name, path / "theme.json", e))
                continue
            metas[path.name] = (path, meta)
        for name in metas:
            try:
                self._themes[name] = self._build(name, metas, ())
            except ThemeError as e:
                self._fail(name, str(e))

    def _build(self, name: str, metas: dict, seen: tuple) -> Theme:
        if name in seen:
            raise ThemeError("theme %s: parent chain loops (%s)" % (seen[0], " -> ".join(seen + (name,))))
        if name not in metas:
            if name in self.errors:
                raise ThemeError("theme %s: parent %s is broken: %s" % (seen[-1], name, self.errors[name]))
            raise ThemeError("theme %s: parent theme %s not found" % (seen[-1], name))
        path, meta = metas[name]
        if not THEME_NAME_RE.match(name):
            raise ThemeError("theme %s: invalid folder name (lowercase letters, digits, hyphens)" % name)
        if not isinstance(meta.get("settings", {}), dict):
            raise ThemeError("theme %s: theme.json: \"settings\" must be an object" % name)
        parent_name = meta.get("parent")
        parent = self._build(parent_name, metas, seen + (name,)) if parent_name else None
        theme = Theme(name=name, path=path, meta=meta, parent=parent)
        check_schema(name, theme.settings_schema)  # a child may override just a parent's default
        for required in REQUIRED_TEMPLATES:
            if not any((d / required).is_file() for d in theme.template_dirs):
                raise ThemeError("theme %s: missing required template %s (looked in %s)"
                                 % (name, required, theme.path / "templates" / required))
        self._compile_all(theme)
        return theme

    @staticmethod
    def _compile_all(theme: Theme) -> None:
        """Compile every template the theme can reach, so syntax errors show now."""
        loader = ThemeLoader(theme.template_dirs, whitespace="single")
        names: set[str] = set()
        for directory in theme.template_dirs:
            for path in directory.rglob("*.html"):
                names.add(path.relative_to(directory).as_posix())
            if (directory / SITE_CSS).is_file():
                names.add(SITE_CSS)
        for name in sorted(names):
            try:
                loader.load(name)
            except ThemeError as e:
                raise ThemeError("theme %s: %s" % (theme.name, e)) from None
            except Exception as e:  # ParseError, SyntaxError from the generated code
                raise ThemeError("theme %s: template error: %s" % (theme.name, describe_template_error(e))) from None

    def has(self, name: str) -> bool:
        return name in self._themes

    def names(self) -> list[str]:
        return sorted(self._themes)

    def themes(self) -> list[Theme]:
        return [self._themes[name] for name in self.names()]

    def get(self, name: str | None) -> Theme:
        """The named theme, or the default one when it is unknown or broken."""
        return self._themes.get(name or self.default) or self._themes[self.default]

    def require(self, name: str) -> Theme:
        """The named theme; `ThemeError` (with the reason) when it is unknown or broken."""
        if name in self._themes:
            return self._themes[name]
        if name in self.errors:
            raise ThemeError(self.errors[name])
        raise ThemeError("unknown theme %r (available: %s)" % (name, ", ".join(self.names())))

    def problem(self, name: str | None) -> str | None:
        """Why a site choosing ``name`` gets the default theme instead; None when it does not."""
        name = name or self.default
        if name in self._themes:
            return None
        return self.errors.get(name, "unknown theme %r; using %s" % (name, self.default))

    def status(self) -> list[dict]:
        """For the admin: every theme found, usable or not, with the reason."""
        rows = [{"name": t.name, "title": t.title, "version": t.meta.get("version", ""),
                 "description": t.meta.get("description", ""), "parent": t.parent.name if t.parent else None,
                 "ok": True, "error": None} for t in self.themes()]
        rows += [{"name": name, "title": name, "version": "", "description": "", "parent": None,
                  "ok": False, "error": error} for name, error in sorted(self.errors.items())]
        return sorted(rows, key=lambda r: r["name"])


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry()
