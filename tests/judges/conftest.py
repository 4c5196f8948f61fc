"""The judges' fixtures: the browser tests' live server, seeded with the three themed sites."""

from tests.e2e.conftest import live_server  # noqa: F401 (fixture)
