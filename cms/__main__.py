"""Command line: ``python -m cms serve|site|user|post|backup|restore|import|export ...``.

Every command works whether or not ``serve`` is running: with the embedded
database it talks to the server ``serve`` started, or starts one for itself.
Bad input prints one line on stderr and exits 1, having changed nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Mapping, TextIO

import pymongo.errors

from cms import db as database
from cms import logs
from cms.backup import BackupError
from cms.config import ConfigError, Settings
from cms.datadir import DataDirError
from cms.identity import adopt_identity
from cms.listening import serving_port
from cms.runtime import database_uri, embedded_files, open_database
from cms.store import StoreError
from cms.supervisor import one_line

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
    site_domains = site.add_parser("domains", help="list a site's custom domains, or set them (verified)")
    site_domains.add_argument("name")
    site_domains.add_argument("domains", nargs="*", metavar="DOMAIN",
                              help="exactly these domains serve the site, verified by you (replacing the others)")
    site_domains.add_argument("--clear", action="store_true", help="remove every custom domain")
    site_domains.add_argument("--route-yaml", action="store_true",
                              help="print an OpenShift Route for each verified domain (oc apply -f -)")
    site_domains.add_argument("--with-pending", action="store_true",
                              help="with --route-yaml: unverified domains too (their check must reach the app)")
    site_domains.add_argument("--app", default="cms", help="the template's NAME: Service and labels (default cms)")

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    user_create = user.add_parser("create", help="create a user, or add an existing one to a site")
    user_create.add_argument("email")
    user_create.add_argument("--site", required=True)
    user_create.add_argument("--role", required=True, choices=["owner", "admin", "editor", "author", "contributor"])
    user_create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user_create.add_argument("--name")
    user_create.add_argument("--username")
    user_admin = user.add_parser("admin", help="make an account a platform admin (/console on the platform host)")
    user_admin.add_argument("email")
    user_admin.add_argument("--revoke", action="store_true", help="take the platform admin's rights away")

    backup = commands.add_parser("backup", help="back up the whole platform into DIR, while it serves")
    backup.add_argument("dir", metavar="DIR", help="a new or empty directory (with --keep: the folder of backups)")
    backup.add_argument("--keep", type=int, metavar="N",
                        help="make the backup in a new folder of DIR named by the time; keep the N newest")
    restore = commands.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("dir", metavar="DIR")
    restore.add_argument("--force", action="store_true", help="replace what the database holds")

    post = commands.add_parser("post", help="manage posts").add_subparsers(dest="action", required=True)
    post_create = post.add_parser("create", help="create a post (Markdown body on stdin)")
    post_create.add_argument("--site", required=True)
    post_create.add_argument("--title", required=True)
    post_create.add_argument("--slug")
    post_create.add_argument("--tags", default="", help="comma-separated")
    post_create.add_argument("--author", help="author's e-mail (default: the site's owner)")
    post_create.add_argument("--draft", action="store_true")
    post_create.add_argument("--page", action="store_true", help="a static page rather than a post")
    for action, help in (("delete", "move a post to the Trash (kept CMS_TRASH_DAYS days)"),
                         ("restore", "bring a post back from the Trash"),
                         ("purge", "delete a post in the Trash for good")):
        one = post.add_parser(action, help=help)
        one.add_argument("--site", required=True)
        one.add_argument("--page", action="store_true", help="a static page rather than a post")
        one.add_argument("slug", metavar="SLUG")
    post.add_parser("trash", help="list the posts and pages in the Trash").add_argument("--site", required=True)

    export = commands.add_parser("export", help="export a whole site to a file (docs/export-format.md)")
    export.add_argument("--site", required=True)
    export.add_argument("file", metavar="FILE", help="the file to write (it must not exist yet)")
    export.add_argument("--format", choices=["archive", "markdown", "wxr"], default="archive",
                        help="archive: everything, to import here again (default); markdown: posts as "
                             "Markdown files for static site generators; wxr: for WordPress")
    export.add_argument("--base-url", help="the site's address in the WXR file (default: its address here)")
    export.set_defaults(action="site")
    signup = commands.add_parser("signup", help="sign-up on the platform page").add_subparsers(
        dest="action", required=True)
    signup_invite = signup.add_parser("invite", help="make an invitation code that starts one site "
                                                     "(CMS_SIGNUP=invite)")
    signup_invite.add_argument("--days", type=float, default=30, help="how long it stays good (default: 30)")
    signup_invite.add_argument("--note", default="", help="whom it is for (kept with it, for operators)")

    imports = commands.add_parser("import", help="import a WordPress (WXR) or Ghost (JSON) export, or a site "
                                                  "archive made by export (into a new, empty site), into a site")
    imports.add_argument("action", choices=["wordpress", "ghost", "archive"], metavar="wordpress|ghost|archive")
    imports.add_argument("file", metavar="FILE", help="the export file")
    imports.add_argument("--site", required=True)
    imports.add_argument("--media", metavar="DIR|ZIP", help="the uploads folder or zip, for the images")
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
    # serve is a long-running process whose log is its record; any other command
    # promises its outcome in one line, so only warnings and errors join it.
    level = logging.INFO if args.command == "serve" else logging.WARNING
    try:
        log_format = logs.log_format(env if env is not None else os.environ)
    except logs.LogFormatError as e:
        print("error: %s" % e, file=stderr)
        return 1
    logs.configure(log_format, level)  # text, or one JSON object a line (cms.logs)
    try:
        settings = Settings.from_env(env)
        if args.command == "serve":
            from cms.server import serve

            return serve(settings, host=args.host, port=args.port)
        if args.command in ("backup", "restore"):
            return _backup_or_restore(args, settings, stdout, stderr)
        from cms import commands

        # The addresses commands print are where a running serve really listens.
        settings.port = serving_port(settings.data_dir) or settings.port
        # Read stdin before touching the database: a missing body changes nothing.
        text = None
        if (args.command == "post" and args.action == "create") or getattr(args, "password_stdin", False):
            text = _read(stdin, "Markdown body" if args.command == "post" else "password")
        if args.command == "export":
            _check_export_target(Path(args.file))
        if args.command == "import":
            _check_import_files(args)
        with database_uri(settings) as uri:
            return asyncio.run(_run(commands, args, settings, uri, text, stdout, stderr))
    except (StoreError, ConfigError, DataDirError, BackupError) as e:
        print("error: %s" % e, file=stderr)
        return 1
    except pymongo.errors.ConnectionFailure as e:
        # A configured MongoDB that does not answer: one line, not a traceback.
        print("error: cannot reach the database: %s" % one_line(e), file=stderr)
        return 1


def _backup_or_restore(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``backup DIR [--keep N]`` and ``restore DIR [--force]``: progress on stderr, the outcome on stdout.

    The files are checked before any database is opened, so bad input is one
    line on stderr and nothing else happens; so is a file that cannot be read
    or written (a full disk, a folder where a file should be).
    """
    try:
        return _backup_or_restore_files(args, settings, out, err)
    except OSError as error:
        raise BackupError("cannot use %s: %s" % (error.filename or args.dir, error.strerror or error)) from None


def _backup_or_restore_files(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from cms import backup

    def progress(line: str) -> None:
        print(line, file=err, flush=True)

    directory = Path(args.dir)
    if args.command == "restore":
        backup.verify(directory)

        async def run(uri: str) -> int:
            async with open_database(uri, settings.database_name) as db:
                manifest = await backup.load(db, directory, progress, force=args.force)
                # The restored platform is now this data directory's (cms.identity).
                await adopt_identity(db, embedded_files(settings))
            print("restored %s (backup of %s)" % (directory, manifest["created_at"]), file=out)
            return 0

        with database_uri(settings) as uri:
            return asyncio.run(run(uri))

    if args.keep is not None:
        if args.keep < 1:
            raise BackupError("--keep needs at least 1")
        directory = backup.backup_path(directory)
    backup.check_target(directory)

    async def dump(uri: str, how: str) -> int:
        client = database.connect(uri)
        try:
            manifest = await backup.dump(client[settings.database_name], directory, progress, how)
        finally:
            client.close()
        documents = sum(entry["count"] for entry in manifest["collections"].values())
        files = sum(entry["count"] for entry in manifest["media"].values())
        print("backed up %d documents and %d media files to %s" % (documents, files, directory), file=out)
        return 0

    with backup.snapshot_uri(settings) as (uri, how):
        code = asyncio.run(dump(uri, how))
    if args.keep is not None:
        for gone in backup.prune(directory.parent, args.keep):
            progress("removed the old backup %s" % gone)
    return code


def _check_export_target(path: Path) -> None:
    """Where an export goes must be a new file in an existing folder: checked before any database is opened."""
    if path.exists():
        raise StoreError("%s already exists: name a new file" % path)
    if not path.parent.is_dir():
        raise StoreError("%s: no such folder" % path.parent)


def _check_import_files(args: argparse.Namespace) -> None:
    """The export and the media are there to read, before any database is opened."""
    if not Path(args.file).is_file():
        raise StoreError("%s: no such file" % args.file)
    if args.media and not Path(args.media).exists():
        raise StoreError("--media %s: no such folder or zip file" % args.media)
    if args.media and args.action == "archive":
        raise StoreError("--media is for wordpress and ghost: a site archive carries its media")


async def _run(commands, args, settings: Settings, uri: str, text: str | None, out: TextIO, err: TextIO) -> int:
    async with open_database(uri, settings.database_name, platform=settings) as db:
        handler = getattr(commands, "%s_%s" % (args.command, args.action))
        return await handler(commands.Context(db, settings, args, text, out, err))


if __name__ == "__main__":
    sys.exit(main())
