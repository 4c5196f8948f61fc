"""Settings, all read from the environment (see DESIGN.md, Configuration).

`Settings.from_env()` is the only place that looks at ``os.environ``; the rest
of the application receives a `Settings` object, so tests build their own.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path
from typing import Mapping
from urllib.parse import quote_plus

REPO_ROOT = Path(__file__).resolve().parent.parent
THEMES_DIR = REPO_ROOT / "themes"


class ConfigError(Exception):
    """The environment does not describe a runnable configuration."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def mongodb_uri_from_env(env: Mapping[str, str]) -> str | None:
    """The MongoDB connection string the environment names, or None.

    Ranked: ``MONGODB_URI``, then OpenShift's old ``OPENSHIFT_MONGODB_DB_URL``,
    then the MongoDB template's ``MONGODB_USER``/``MONGODB_PASSWORD``/
    ``MONGODB_DATABASE`` with ``MONGODB_SERVICE_HOST``/``MONGODB_SERVICE_PORT``.
    """
    uri = env.get("MONGODB_URI") or env.get("OPENSHIFT_MONGODB_DB_URL")
    if uri:
        return uri.strip()
    host = env.get("MONGODB_SERVICE_HOST")
    if not host:
        return None
    port = env.get("MONGODB_SERVICE_PORT", "27017")
    database = env.get("MONGODB_DATABASE", "cms")
    user, password = env.get("MONGODB_USER"), env.get("MONGODB_PASSWORD")
    auth = ""
    if user and password:
        auth = f"{quote_plus(user)}:{quote_plus(password)}@"
    return f"mongodb://{auth}{host}:{port}/{database}"


@dataclasses.dataclass
class Settings:
    """Everything the application needs to know about its surroundings."""

    mongodb_uri: str | None = None
    database_name: str = "cms"
    data_dir: Path = Path("data")
    base_domain: str = "localhost"
    cookie_secret: str = ""
    google_client_id: str | None = None
    google_client_secret: str | None = None
    host: str = "127.0.0.1"
    port: int = 8888
    debug: bool = False
    trust_proxy: bool = False
    # --- media (uploads) ---
    max_upload_mb: int = 20  # CMS_MAX_UPLOAD_MB: the largest image file an author may upload
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        uri = mongodb_uri_from_env(env)
        data_dir = Path(env.get("CMS_DATA_DIR", "data")).expanduser()
        try:
            port = int(env.get("PORT", "8888"))
        except ValueError:
            raise ConfigError("PORT must be a number, got %r" % env.get("PORT")) from None
        cookie_secret = env.get("COOKIE_SECRET", "")
        # --- media (uploads) ---
        try:
            max_upload_mb = int(env.get("CMS_MAX_UPLOAD_MB", "20"))
        except ValueError:
            raise ConfigError("CMS_MAX_UPLOAD_MB must be a number, got %r" % env.get("CMS_MAX_UPLOAD_MB")) from None
        if max_upload_mb < 1:
            raise ConfigError("CMS_MAX_UPLOAD_MB must be at least 1")
        # --- end media ---
        if uri and not cookie_secret:
            raise ConfigError("COOKIE_SECRET is required when a MongoDB URI is set")
        settings = cls(
            mongodb_uri=uri,
            database_name=database_from_uri(uri) or env.get("CMS_DATABASE", "cms"),
            data_dir=data_dir,
            base_domain=env.get("CMS_BASE_DOMAIN", "localhost").strip().lower().rstrip("."),
            cookie_secret=cookie_secret,
            google_client_id=env.get("GOOGLE_OAUTH_CLIENT_ID") or None,
            google_client_secret=env.get("GOOGLE_OAUTH_CLIENT_SECRET") or None,
            host=env.get("HOST", "127.0.0.1"),
            port=port,
            debug=_truthy(env.get("CMS_DEBUG")),
            trust_proxy=_truthy(env.get("CMS_TRUST_PROXY")),
            max_upload_mb=max_upload_mb,
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
    """The database named in a MongoDB URI's path, if any."""
    if not uri:
        return None
    from pymongo.uri_parser import parse_uri

    try:
        return parse_uri(uri, validate=False, warn=True).get("database") or None
    except Exception:  # a malformed URI is reported when connecting
        return None
