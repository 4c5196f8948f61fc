"""The Content-Security-Policy and HSTS headers of every page.

One place says what a page may load, so a template cannot quietly widen it.
The policy refuses every inline script, style and handler attribute: reader
pages are kept (`cms.pagecache`) and served to many people, so they cannot
carry a per-response nonce, and need none (the theme's accent colour and the
UI modules' CSS are served files, see `cms.handlers.static`). Pages that are
never kept (the admin, the platform's own) may ask for a nonce for an inline
bit (`BaseHandler.csp_nonce`).
"""

from __future__ import annotations

# A year; no includeSubDomains: a site's custom domain may have other hosts,
# not ours, that still answer over plain http.
HSTS = "max-age=31536000"


def policy(frame_ancestors: str, nonce: str | None = None, form_action: str = "'self'") -> str:
    """The policy of a page that may be framed by ``frame_ancestors`` (``'self'`` or ``'none'``).

    ``form_action``: where its forms may lead. Browsers check the redirects a form's
    answer makes too, so the platform's pages, whose forms end on a site's host
    (a handover), widen it to the sites' hosts.
    """
    own = "'self' 'nonce-%s'" % nonce if nonce else "'self'"
    return "; ".join([
        "default-src 'none'",
        "script-src %s" % own,
        "style-src %s" % own,
        # Posts may show images from other hosts (Markdown ![](https://...) is
        # allowed by the sanitiser, which keeps only http(s) URLs); data: for
        # small images a theme's CSS may inline.
        "img-src 'self' https: data:",
        "font-src 'self'",
        "connect-src 'self'",  # the editor's preview WebSocket and its fetches, same host only
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action %s" % form_action,
        "frame-ancestors %s" % frame_ancestors,
    ])
