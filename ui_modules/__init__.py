"""Reusable page widgets, one `tornado.web.UIModule` per file.

Each module takes its data ready-made (handlers fetch, modules render) and
renders ``modules/<name>.html`` from the site's theme, falling back to the
default markup in ``ui_modules/templates/modules/``.
"""

from ui_modules.pagination import Pagination
from ui_modules.post_card import PostCard
from ui_modules.post_meta import PostMeta
from ui_modules.seo_meta import SeoMeta

MODULES = {
    "Pagination": Pagination,
    "PostCard": PostCard,
    "PostMeta": PostMeta,
    "SeoMeta": SeoMeta,
}

__all__ = ["MODULES", "Pagination", "PostCard", "PostMeta", "SeoMeta"]
