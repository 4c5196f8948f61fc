"""Settings, all read from the environment (see the README, Configuration).

`Settings.from_env()` is the only place that looks at ``os.environ``; the rest
of the application receives a `Settings` object, so tests build their own.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from pathlib import Path
from typing import Mapping
from urllib.parse import quote, unquote, urlencode, urlsplit

from cms import logs

REPO_ROOT = Path(__file__).resolve().parent.parent
THEMES_DIR = REPO_ROOT / "themes"
# CMS_SIGNUP: "open" (anyone may start a site), "invite" (with a code from
# `python -m cms signup-invite`), "closed" (only operators create sites).
SIGNUP_MODES = ("open", "invite", "closed")


class ConfigError(Exception):
    """The environment does not describe a runnable configuration."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _service_prefix(env: Mapping[str, str]) -> str:
    """The ``<SERVICE>`` of ``<SERVICE>_SERVICE_HOST``: Kubernetes' service-link name."""
    service = (env.get("DATABASE_SERVICE_NAME") or "mongodb").strip()
    return re.sub(r"[^A-Za-z0-9]", "_", service).upper()


def _number(
    env: Mapping[str, str], name: str, default: float, kind: type, minimum: float = 0, maximum: float | None = None
) -> float:
    """A numeric variable, or a `ConfigError` that names it."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError("%s must be a number, got %r" % (name, raw)) from None
    if value < minimum:
        raise ConfigError("%s must be at least %s, got %r" % (name, minimum, raw))
    if maximum is not None and value > maximum:
        raise ConfigError("%s must be at most %s, got %r" % (name, maximum, raw))
    return value


def mongodb_uri_from_env(env: Mapping[str, str]) -> str | None:
    """The MongoDB connection string the environment names, or None.

    Ranked, first match wins:

    1. ``MONGODB_URI``;
    2. ``OPENSHIFT_MONGODB_DB_URL`` (OpenShift 2's MongoDB cartridge);
    3. the service ``<SERVICE>_SERVICE_HOST``/``<SERVICE>_SERVICE_PORT`` that
       Kubernetes sets for a Service (``<SERVICE>`` is ``DATABASE_SERVICE_NAME``
       upper-cased with ``-`` as ``_``, default ``MONGODB``), with the
       credentials OpenShift's MongoDB templates set:
       ``MONGODB_USER``/``MONGODB_PASSWORD`` (a user of ``MONGODB_DATABASE``)
       or, without a user, ``MONGODB_ADMIN_PASSWORD`` (the ``admin`` user, who
       authenticates against the ``admin`` database), and
       ``MONGODB_REPLICA_NAME`` for a replica set; ``MONGODB_HOSTS`` (every
       member, ``host:port,...``), when set, replaces the service's address.
    """
    uri = (env.get("MONGODB_URI") or "").strip() or (env.get("OPENSHIFT_MONGODB_DB_URL") or "").strip()
    if uri:
        return uri
    prefix = _service_prefix(env)
    hosts = _replica_set_hosts(env) or _service_address(env, prefix)
    if not hosts:
        return None
    database = (env.get("MONGODB_DATABASE") or "").strip() or "cms"
    user, password = env.get("MONGODB_USER") or "", env.get("MONGODB_PASSWORD") or ""
    options: dict[str, str] = {}
    if user or password:
        if not (user and password):
            raise ConfigError("MONGODB_USER and MONGODB_PASSWORD must be set together")
    elif env.get("MONGODB_ADMIN_PASSWORD"):
        user, password = "admin", env["MONGODB_ADMIN_PASSWORD"]
    if user == "admin":
        options["authSource"] = "admin"  # the administrator is a user of the admin database
    if env.get("MONGODB_REPLICA_NAME"):
        options["replicaSet"] = env["MONGODB_REPLICA_NAME"].strip()
    auth = "%s:%s@" % (quote(user, safe=""), quote(password, safe="")) if user else ""
    query = ("?" + urlencode(options)) if options else ""
    return "mongodb://%s%s/%s%s" % (auth, hosts, quote(database, safe=""), query)


def _service_address(env: Mapping[str, str], prefix: str) -> str | None:
    """``host:port`` of the Service Kubernetes describes as ``<prefix>_SERVICE_HOST/_PORT``."""
    host = (env.get(prefix + "_SERVICE_HOST") or "").strip()
    if not host:
        return None
    if ":" in host and not host.startswith("["):  # an IPv6 service address
        host = "[%s]" % host
    port = (env.get(prefix + "_SERVICE_PORT") or "27017").strip()
    if not port.isdigit():
        raise ConfigError("%s_SERVICE_PORT must be a port number, got %r" % (prefix, port))
    return "%s:%s" % (host, port)


HOST_PORT = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?\Z")


def _replica_set_hosts(env: Mapping[str, str]) -> str | None:
    """``MONGODB_HOSTS``: the members of a replica set, ``host:port`` comma-separated
    (openshift/mongodb.yaml's StatefulSet names them), in the URI as they are."""
    raw = (env.get("MONGODB_HOSTS") or "").strip()
    if not raw:
        return None
    hosts = [h.strip() for h in raw.split(",") if h.strip()]
    for host in hosts:
        if not HOST_PORT.match(host):
            raise ConfigError("MONGODB_HOSTS must be host:port names separated by commas, got %r" % host)
    return ",".join(hosts)


@dataclasses.dataclass
class Settings:
    """Everything the application needs to know about its surroundings."""

    mongodb_uri: str | None = None
    database_name: str = "cms"
    data_dir: Path = Path("data")
    base_domain: str = "localhost"
    cookie_secret: str = ""
    # COOKIE_SECRET_OLD: during a key rotation, the previous key, whose cookies still verify.
    cookie_secret_old: str = ""
    google_client_id: str | None = None
    google_client_secret: str | None = None
    host: str = "127.0.0.1"
    port: int = 8888
    debug: bool = False
    trust_proxy: bool = False
    # Seconds a stopping server gives requests in flight: 25 s, plus `cms.server.SETTLE`,
    # fits in OpenShift's default terminationGracePeriodSeconds (30 s).
    shutdown_grace: float = 25.0
    max_upload_mb: int = 20  # CMS_MAX_UPLOAD_MB: the largest image file an author may upload
    max_import_mb: int = 100  # CMS_MAX_IMPORT_MB: the largest export (plus media zip) the Import page takes
    smtp_url: str | None = None  # SMTP_URL: where mail goes (cms.mail); None: kept in the outbox and logged
    site_quota_mb: int = 1024  # CMS_SITE_QUOTA_MB: media storage of a site with no quota of its own
    # CMS_DNS_TARGET: what owners point a custom domain at (a host name for a CNAME, or
    # an IP address for an A record); None: the site's own <name>.<base domain>.
    dns_target: str | None = None
    # CMS_SIGNUP: who may start a site from the platform page (`SIGNUP_MODES`).
    signup: str = "open"
    sites_per_account: int = 5  # CMS_SITES_PER_ACCOUNT: sites one account may own
    log_format: str = "text"  # CMS_LOG_FORMAT: text, or json (one object a line; cms.logs)
    metrics_port: int | None = None  # CMS_METRICS_PORT: Prometheus metrics there (cms.metrics); unset: none
    trash_days: int = 30  # CMS_TRASH_DAYS: how long deleted posts and pages wait in the Trash (cms.store.trash)
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        uri = mongodb_uri_from_env(env)
        data_dir = Path(env.get("CMS_DATA_DIR", "data")).expanduser()
        port = int(_number(env, "PORT", 8888, int))
        shutdown_grace = _number(env, "CMS_SHUTDOWN_GRACE", 25.0, float)
        # Tornado refuses request bodies over 100 MB outright (no answer, the
        # connection closes): keep the limit where an upload still gets its 413.
        max_upload_mb = int(_number(env, "CMS_MAX_UPLOAD_MB", 20, int, minimum=1, maximum=90))
        # An import's body is streamed to a file (cms/uploads.py), so it may exceed Tornado's default 100 MB.
        max_import_mb = int(_number(env, "CMS_MAX_IMPORT_MB", 100, int, minimum=1, maximum=4096))
        site_quota_mb = int(_number(env, "CMS_SITE_QUOTA_MB", 1024, int, minimum=1))
        signup = (env.get("CMS_SIGNUP") or "open").strip().lower()
        if signup not in SIGNUP_MODES:
            raise ConfigError("CMS_SIGNUP must be one of %s, got %r" % (", ".join(SIGNUP_MODES), env["CMS_SIGNUP"]))
        sites_per_account = int(_number(env, "CMS_SITES_PER_ACCOUNT", 5, int, minimum=1, maximum=1000))
        try:
            log_format = logs.log_format(env)
        except logs.LogFormatError as e:
            raise ConfigError(str(e)) from None
        metrics_port = int(_number(env, "CMS_METRICS_PORT", 0, int, minimum=1, maximum=65535)) or None
        trash_days = int(_number(env, "CMS_TRASH_DAYS", 30, int, minimum=1, maximum=3650))
        cookie_secret = env.get("COOKIE_SECRET", "")
        if uri and not cookie_secret:
            raise ConfigError("COOKIE_SECRET is required when a MongoDB URI is set")
        cookie_secret_old = env.get("COOKIE_SECRET_OLD", "")
        if cookie_secret_old and not cookie_secret:
            raise ConfigError("COOKIE_SECRET_OLD is the key being retired: set the new one as COOKIE_SECRET")
        settings = cls(
            mongodb_uri=uri,
            database_name=(
                database_from_uri(uri) or env.get("CMS_DATABASE") or env.get("MONGODB_DATABASE")
                or env.get("OPENSHIFT_APP_NAME") or "cms"  # OpenShift 2 named the database after the app
            ),
            data_dir=data_dir,
            base_domain=env.get("CMS_BASE_DOMAIN", "localhost").strip().lower().rstrip("."),
            cookie_secret=cookie_secret,
            cookie_secret_old=cookie_secret_old,
            google_client_id=env.get("GOOGLE_OAUTH_CLIENT_ID") or None,
            google_client_secret=env.get("GOOGLE_OAUTH_CLIENT_SECRET") or None,
            host=env.get("HOST", "127.0.0.1"),
            port=port,
            debug=_truthy(env.get("CMS_DEBUG")),
            trust_proxy=_truthy(env.get("CMS_TRUST_PROXY")),
            shutdown_grace=shutdown_grace,
            max_upload_mb=max_upload_mb,
            max_import_mb=max_import_mb,
            smtp_url=(env.get("SMTP_URL") or "").strip() or None,
            site_quota_mb=site_quota_mb,
            dns_target=(env.get("CMS_DNS_TARGET") or "").strip() or None,
            signup=signup,
            sites_per_account=sites_per_account,
            log_format=log_format,
            metrics_port=metrics_port,
            trash_days=trash_days,
        )
        return settings

    def ensure_cookie_secret(self) -> str:
        """Return the cookie secret, generating one into the data dir once."""
        if self.cookie_secret:
            return self.cookie_secret
        path = self.data_dir / "cookie_secret"
        if path.exists():
            self.cookie_secret = path.read_text().strip()
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            secret = secrets.token_urlsafe(48)
            # Created private from the start: the secret signs every session.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret)
            self.cookie_secret = secret
        return self.cookie_secret


def database_from_uri(uri: str | None) -> str | None:
    """The database named in a MongoDB URI's path, if any.

    Read from the text alone: parsing a ``mongodb+srv://`` URI with PyMongo
    would look its hosts up in DNS, at start-up, before any event loop.
    """
    if not uri:
        return None
    path = urlsplit(uri.strip()).path.lstrip("/")
    return unquote(path) or None
