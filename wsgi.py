"""``application`` for PaaS servers: the one app factory, configured from the environment.

OpenShift's Python builder runs ``gunicorn wsgi ... --config "$APP_CONFIG"``
(``.s2i/environment`` names ``openshift/gunicorn.conf.py``), whose tornado
worker serves this `tornado.web.Application` natively, fully async.

gunicorn imports this module in each worker after the fork (``preload_app``
is off), so every worker builds its own application and database client.
Nothing here connects or touches an event loop: the motor client is created
with ``connect=False`` and binds to the worker's loop on first use.

There is no embedded database here: a platform always provides a MongoDB URI
(see ``cms.config.mongodb_uri_from_env``), and without one this module
refuses to load, saying why.
"""

from __future__ import annotations

import logging
import os
from typing import Mapping

from cms.app import CMSApplication, make_app
from cms.config import ConfigError, Settings

log = logging.getLogger("cms.wsgi")


def create_application(env: Mapping[str, str] | None = None) -> CMSApplication:
    """Build the application from ``env`` (default: the process environment)."""
    settings = Settings.from_env(os.environ if env is None else env)
    if not settings.mongodb_uri:
        raise ConfigError(
            "wsgi.py needs a MongoDB server: set MONGODB_URI (or OPENSHIFT_MONGODB_DB_URL, or "
            "MONGODB_SERVICE_HOST with MONGODB_USER/MONGODB_PASSWORD/MONGODB_DATABASE) and COOKIE_SECRET; "
            "for a local run without one, use `python -m cms serve`"
        )
    if settings.metrics_port:
        from cms.metrics import watch_database_commands

        watch_database_commands()  # before make_app makes the client
    application = make_app(settings)
    log.info(
        "application for %s (database %r, trust proxy: %s)",
        settings.base_domain, settings.database_name, settings.trust_proxy,
    )
    return application


application = create_application()
