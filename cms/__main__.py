"""Command line: ``python -m cms serve|site|user|post ...``.

Every command works whether or not ``serve`` is running: with the embedded
database it talks to the server ``serve`` started, or starts one for itself.
Bad input prints one line on stderr and exits 1, having changed nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Mapping, TextIO

from cms.config import ConfigError, Settings
from cms.datadir import DataDirError
from cms.runtime import database_uri, open_database
from cms.store import StoreError

log = logging.getLogger("cms")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cms", description="A multi-tenant blog.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", help="listen address (default: $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default: $PORT or 8888)")

    site = commands.add_parser("site", help="manage sites").add_subparsers(dest="action", required=True)
    site_create = site.add_parser("create", help="create a site")
    site_create.add_argument("name")
    site_create.add_argument("--title")
    site_create.add_argument("--theme", default="journal")
    site_domains = site.add_parser("domains", help="set a site's custom domains (none: clear them)")
    site_domains.add_argument("name")
    site_domains.add_argument("domains", nargs="*", metavar="DOMAIN")

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    user_create = user.add_parser("create", help="create a user, or add an existing one to a site")
    user_create.add_argument("email")
    user_create.add_argument("--site", required=True)
    user_create.add_argument("--role", required=True, choices=["owner", "admin", "editor", "author", "contributor"])
    user_create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user_create.add_argument("--name")
    user_create.add_argument("--username")

    post = commands.add_parser("post", help="manage posts").add_subparsers(dest="action", required=True)
    post_create = post.add_parser("create", help="create a post (Markdown body on stdin)")
    post_create.add_argument("--site", required=True)
    post_create.add_argument("--title", required=True)
    post_create.add_argument("--slug")
    post_create.add_argument("--tags", default="", help="comma-separated")
    post_create.add_argument("--author", help="author's e-mail (default: the site's owner)")
    post_create.add_argument("--draft", action="store_true")
    post_create.add_argument("--page", action="store_true", help="a static page rather than a post")
    return parser


def _read(stream: TextIO | None, what: str) -> str:
    if stream is None or stream.isatty():
        raise StoreError("pipe the %s on standard input" % what)
    return stream.read()


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run one command; the streams and environment default to the process's own."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(env)
        if args.command == "serve":
            from cms.server import serve

            return serve(settings, host=args.host, port=args.port)
        from cms import commands

        # Read stdin before touching the database: a missing body changes nothing.
        text = None
        if args.command == "post" or getattr(args, "password_stdin", False):
            text = _read(stdin, "Markdown body" if args.command == "post" else "password")
        with database_uri(settings) as uri:
            return asyncio.run(_run(commands, args, settings, uri, text, stdout))
    except (StoreError, ConfigError, DataDirError) as e:
        print("error: %s" % e, file=stderr)
        return 1


async def _run(commands, args, settings: Settings, uri: str, text: str | None, out: TextIO) -> int:
    async with open_database(uri, settings.database_name) as db:
        handler = getattr(commands, "%s_%s" % (args.command, args.action))
        return await handler(commands.Context(db, settings, args, text, out))


if __name__ == "__main__":
    sys.exit(main())
