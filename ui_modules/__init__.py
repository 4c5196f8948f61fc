"""Reusable page widgets, one `tornado.web.UIModule` per file.

Each module takes its data ready-made (handlers fetch, modules render) and
renders ``modules/<name>.html`` from the site's theme, falling back to the
default markup in ``ui_modules/templates/modules/`` (see `ui_modules.base`).
"""

from ui_modules.author_card import AuthorCard
from ui_modules.comments import Comments
from ui_modules.edit_link import EditLink
from ui_modules.live import Live
from ui_modules.navigation import Navigation
from ui_modules.pagination import Pagination
from ui_modules.post_card import PostCard
from ui_modules.post_meta import PostMeta
from ui_modules.recent_posts import RecentPosts
from ui_modules.responsive_image import ResponsiveImage
from ui_modules.seo_meta import SeoMeta
from ui_modules.subscribe import Subscribe
from ui_modules.tag_cloud import TagCloud

MODULES = {
    "AuthorCard": AuthorCard,
    "Comments": Comments,
    "EditLink": EditLink,
    "Live": Live,
    "Navigation": Navigation,
    "Pagination": Pagination,
    "PostCard": PostCard,
    "PostMeta": PostMeta,
    "RecentPosts": RecentPosts,
    "ResponsiveImage": ResponsiveImage,
    "SeoMeta": SeoMeta,
    "Subscribe": Subscribe,
    "TagCloud": TagCloud,
}

__all__ = ["MODULES", *MODULES]
