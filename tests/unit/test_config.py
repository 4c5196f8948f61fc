"""Settings from the environment: each MongoDB convention a platform uses
yields the connection the application then makes.

The URIs are read back with PyMongo's own parser, so what is asserted is what
the driver will do (user, password, hosts, database, authSource).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from pymongo.uri_parser import parse_uri

from cms import db as database
from cms.config import ConfigError, Settings, mongodb_uri_from_env

SECRET = {"COOKIE_SECRET": "s3cret-for-tests"}


def parsed(env: dict[str, str]) -> dict:
    uri = mongodb_uri_from_env(env)
    assert uri is not None
    return parse_uri(uri)


def test_no_database_variables_means_the_embedded_server():
    assert mongodb_uri_from_env({}) is None
    settings = Settings.from_env({})
    assert settings.mongodb_uri is None and settings.database_name == "cms"


def test_mongodb_uri_is_used_as_given_and_names_the_database():
    env = {"MONGODB_URI": " mongodb://u:p@db1:27017,db2:27018/blog?replicaSet=rs0 ", **SECRET}
    settings = Settings.from_env(env)
    assert settings.mongodb_uri == "mongodb://u:p@db1:27017,db2:27018/blog?replicaSet=rs0"
    assert settings.database_name == "blog"
    info = parse_uri(settings.mongodb_uri)
    assert info["nodelist"] == [("db1", 27017), ("db2", 27018)]
    assert info["options"]["replicaSet"] == "rs0"


def test_mongodb_uri_outranks_every_other_convention():
    env = {
        "MONGODB_URI": "mongodb://first:27017/one",
        "OPENSHIFT_MONGODB_DB_URL": "mongodb://second:27017/two",
        "MONGODB_SERVICE_HOST": "third",
    }
    assert mongodb_uri_from_env(env) == "mongodb://first:27017/one"


def test_an_empty_mongodb_uri_falls_through_to_the_next_convention():
    # A template parameter left empty still sets the variable, to "".
    env = {"MONGODB_URI": "", "MONGODB_SERVICE_HOST": "mongodb", "MONGODB_SERVICE_PORT": "27017"}
    assert parsed(env)["nodelist"] == [("mongodb", 27017)]


def test_openshift2_cartridge_url_with_the_app_name_as_database():
    env = {
        "OPENSHIFT_MONGODB_DB_URL": "mongodb://admin:pw@10.0.0.5:27017/",
        "OPENSHIFT_APP_NAME": "myblog",
        **SECRET,
    }
    settings = Settings.from_env(env)
    info = parse_uri(settings.mongodb_uri)
    assert (info["username"], info["password"]) == ("admin", "pw")
    assert info["nodelist"] == [("10.0.0.5", 27017)]
    assert settings.database_name == "myblog"


def test_template_user_authenticates_against_its_own_database():
    env = {
        "MONGODB_SERVICE_HOST": "172.30.12.34",
        "MONGODB_SERVICE_PORT": "27017",
        "MONGODB_USER": "cms",
        "MONGODB_PASSWORD": "p@ss:w/rd?&=%",
        "MONGODB_DATABASE": "blogdb",
        **SECRET,
    }
    info = parsed(env)
    assert info["username"] == "cms"
    assert info["password"] == "p@ss:w/rd?&=%"  # reserved characters survive escaping
    assert info["nodelist"] == [("172.30.12.34", 27017)]
    assert info["database"] == "blogdb"
    assert "authSource" not in info["options"]  # the driver then uses blogdb
    assert Settings.from_env(env).database_name == "blogdb"


def test_admin_password_alone_means_the_admin_user_of_the_admin_database():
    env = {
        "MONGODB_SERVICE_HOST": "mongodb",
        "MONGODB_ADMIN_PASSWORD": "adm in",
        "MONGODB_DATABASE": "blogdb",
    }
    info = parsed(env)
    assert (info["username"], info["password"]) == ("admin", "adm in")
    assert info["options"]["authSource"] == "admin"
    assert info["database"] == "blogdb"
    assert info["nodelist"] == [("mongodb", 27017)]  # the default port


def test_a_user_named_admin_also_authenticates_against_admin():
    env = {"MONGODB_SERVICE_HOST": "mongodb", "MONGODB_USER": "admin", "MONGODB_PASSWORD": "x"}
    info = parsed(env)
    assert info["options"]["authSource"] == "admin"
    assert info["database"] == "cms"


def test_the_app_user_wins_over_the_admin_password():
    env = {
        "MONGODB_SERVICE_HOST": "mongodb",
        "MONGODB_USER": "cms",
        "MONGODB_PASSWORD": "app",
        "MONGODB_ADMIN_PASSWORD": "root",
    }
    info = parsed(env)
    assert (info["username"], info["password"]) == ("cms", "app")
    assert "authSource" not in info["options"]


def test_service_name_picks_the_service_variables():
    env = {
        "DATABASE_SERVICE_NAME": "blog-db",
        "BLOG_DB_SERVICE_HOST": "172.30.0.9",
        "BLOG_DB_SERVICE_PORT": "27018",
        # Kubernetes also sets the default service's variables in the same namespace:
        "MONGODB_SERVICE_HOST": "172.30.0.1",
    }
    assert parsed(env)["nodelist"] == [("172.30.0.9", 27018)]


def test_replica_set_name_is_passed_to_the_driver():
    env = {"MONGODB_SERVICE_HOST": "mongodb", "MONGODB_REPLICA_NAME": "rs0"}
    assert parsed(env)["options"]["replicaSet"] == "rs0"


def test_ipv6_service_address():
    env = {"MONGODB_SERVICE_HOST": "fd00::12", "MONGODB_SERVICE_PORT": "27017"}
    assert parsed(env)["nodelist"] == [("fd00::12", 27017)]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"MONGODB_SERVICE_HOST": "mongodb", "MONGODB_USER": "cms"}, "MONGODB_PASSWORD"),
        ({"MONGODB_SERVICE_HOST": "mongodb", "MONGODB_PASSWORD": "x"}, "MONGODB_USER"),
        ({"MONGODB_SERVICE_HOST": "mongodb", "MONGODB_SERVICE_PORT": "tcp://x:1"}, "MONGODB_SERVICE_PORT"),
    ],
)
def test_half_configured_database_is_refused(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**env, **SECRET})


def test_a_database_uri_needs_a_cookie_secret():
    with pytest.raises(ConfigError, match="COOKIE_SECRET"):
        Settings.from_env({"MONGODB_SERVICE_HOST": "mongodb"})


def test_proxy_trust_and_base_domain():
    settings = Settings.from_env({"CMS_TRUST_PROXY": "1", "CMS_BASE_DOMAIN": "Blogs.Example.COM.", "PORT": "8080"})
    assert settings.trust_proxy is True
    assert settings.base_domain == "blogs.example.com"
    assert settings.port == 8080
    assert Settings.from_env({}).trust_proxy is False


async def test_service_variables_reach_a_real_server(mongo_uri):
    """Kubernetes' service variables alone are enough to talk to the database."""
    address = urlsplit(mongo_uri)
    env = {
        "MONGODB_SERVICE_HOST": address.hostname,
        "MONGODB_SERVICE_PORT": str(address.port),
        "MONGODB_DATABASE": "config_probe",
        **SECRET,
    }
    settings = Settings.from_env(env)
    client = database.connect(settings.mongodb_uri)
    try:
        db = client[settings.database_name]
        assert await database.ping(db)
        await db.probe.insert_one({"seen": True})
        assert await db.probe.count_documents({}) == 1
    finally:
        await client.drop_database("config_probe")
        client.close()


def test_database_name_of_an_srv_uri_is_read_without_dns():
    settings = Settings.from_env({"MONGODB_URI": "mongodb+srv://u:p@cluster0.invalid/blog?retryWrites=true", **SECRET})
    assert settings.database_name == "blog"
    settings = Settings.from_env({"MONGODB_URI": "mongodb://h1:1,h2:2/?replicaSet=rs0", "CMS_DATABASE": "x", **SECRET})
    assert settings.database_name == "x"


def test_an_old_cookie_key_needs_a_current_one():
    with pytest.raises(ConfigError, match="COOKIE_SECRET_OLD"):
        Settings.from_env({"COOKIE_SECRET_OLD": "k" * 40})


def test_trash_days_default_to_30_and_bad_values_are_refused():
    assert Settings.from_env({}).trash_days == 30
    assert Settings.from_env({"CMS_TRASH_DAYS": "7"}).trash_days == 7
    for raw, message in [("0", "at least 1"), ("soon", "a number"), ("99999", "at most 3650")]:
        with pytest.raises(ConfigError, match="CMS_TRASH_DAYS must be " + message):
            Settings.from_env({"CMS_TRASH_DAYS": raw})
