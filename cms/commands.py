"""The CLI's commands, as coroutines over an open database."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any, TextIO

from cms import accounts
from cms.config import Settings
from cms.store import ROLES, Invalid, NotFound, Sites, SiteStore, Users
from cms.store.users import generate_password, is_confirmed, normalize_email, validate_password


@dataclasses.dataclass
class Context:
    """What a command gets: the open database, settings, arguments, stdin text, output."""

    db: Any
    settings: Settings
    args: argparse.Namespace
    stdin_text: str | None
    out: TextIO
    err: TextIO = sys.stderr

    def say(self, text: str) -> None:
        print(text, file=self.out)


def site_url(settings: Settings, name: str) -> str:
    port = "" if settings.port in (80, 443) else ":%d" % settings.port
    return "http://%s.%s%s/" % (name, settings.base_domain, port)


async def _site(db, name: str) -> dict:
    site = await Sites(db).by_name(name)
    if site is None:
        raise NotFound("no site named %r" % name)
    return site


async def site_create(ctx: Context) -> int:
    site = await Sites(ctx.db).create(ctx.args.name, title=ctx.args.title, theme=ctx.args.theme)
    ctx.say("created site %s at %s" % (site["name"], site_url(ctx.settings, site["name"])))
    return 0


async def site_domains(ctx: Context) -> int:
    """List a site's domains; with DOMAINs (or ``--clear``) set them first; with
    ``--route-yaml`` print the OpenShift Routes of the verified ones instead."""
    from cms import routes
    from cms.store.domains import SiteDomains
    from cms.tenancy import primary_host

    args = ctx.args
    site = await _site(ctx.db, args.name)
    domains = SiteDomains(ctx.db, site["_id"], ctx.settings.base_domain)
    if args.clear and args.domains:
        raise Invalid("give domains or --clear, not both")
    if args.clear or args.domains:
        await domains.replace(args.domains)
    listed = await domains.list()
    if args.route_yaml:
        ctx.say(routes.route_list_yaml([d.name for d in listed if d.verified or args.with_pending],
                                       args.app, site["name"]))
        return 0
    site = await _site(ctx.db, args.name)
    primary = primary_host(site, ctx.settings.base_domain)
    address = site_url(ctx.settings, site["name"]) if primary.endswith("." + ctx.settings.base_domain) \
        else "http://%s/" % primary
    ctx.say("%s answers at %s (and redirects its other addresses there)" % (site["name"], address))
    for domain in listed:
        ctx.say(" ".join([domain.name, "verified" if domain.verified else "unverified"]
                         + (["primary"] if domain.primary else [])))
    return 0


async def user_create(ctx: Context) -> int:
    db, args, stdin_text = ctx.db, ctx.args, ctx.stdin_text
    if args.role not in ROLES:
        raise Invalid("unknown role %r" % args.role)
    email = normalize_email(args.email)
    store = SiteStore(db, await _site(db, args.site))
    users = Users(db)
    user = await users.by_email(email)
    if user is not None and is_confirmed(user):
        if stdin_text is not None:
            raise Invalid("%s already has an account; its password stays as it is" % email)
        await store.members.add(user["_id"], args.role)
        ctx.say("added %s to %s as %s" % (email, args.site, args.role))
        return 0
    generated = stdin_text is None
    password = generate_password() if generated else stdin_text.rstrip("\r\n")
    validate_password(password)
    if user is not None and await accounts.claim(db, user, name=args.name):
        # Someone chose a password for this address without confirming it: the operator's
        # word is the confirmation now, that password goes (cms.accounts), and a new one is set.
        ctx.say("%s had an unconfirmed account (a password someone chose without confirming the address): "
                "that password is removed" % email)
        await users.set_password(user["_id"], password)
        await store.members.add(user["_id"], args.role)
        ctx.say("added %s to %s as %s" % (email, args.site, args.role))
        if generated:
            ctx.say("password: %s" % password)
        return 0
    user = await users.create(email, password, name=args.name, username=args.username)
    await store.members.add(user["_id"], args.role)
    ctx.say("created %s (%s) as %s of %s" % (email, user["username"], args.role, args.site))
    if generated:
        ctx.say("password: %s" % password)
    return 0


async def signup_invite(ctx: Context) -> int:
    """``signup invite [--days N] [--note TEXT]``: a code that starts one site on the platform page."""
    from cms.store.signup import SignupCodes

    code = await SignupCodes(ctx.db).create(note=ctx.args.note, days=ctx.args.days)
    port = "" if ctx.settings.port in (80, 443) else ":%d" % ctx.settings.port
    ctx.say("invitation code: %s" % code)
    ctx.say("good for one site for %g days at http://%s%s/new" % (ctx.args.days, ctx.settings.base_domain, port))
    if ctx.settings.signup != "invite":
        ctx.say("note: CMS_SIGNUP is %s here, so sign-up does not ask for codes" % ctx.settings.signup)
    return 0


async def user_admin(ctx: Context) -> int:
    """Platform admins use the operators' console; only this command makes (or unmakes) one."""
    user = await Users(ctx.db).set_platform_admin(ctx.args.email, not ctx.args.revoke)
    if ctx.args.revoke:
        ctx.say("%s is no longer a platform admin" % user["email"])
    else:
        port = "" if ctx.settings.port in (80, 443) else ":%d" % ctx.settings.port
        ctx.say("%s is a platform admin: http://%s%s/console" % (user["email"], ctx.settings.base_domain, port))
    return 0


async def post_create(ctx: Context) -> int:
    db, args, body = ctx.db, ctx.args, ctx.stdin_text
    store = SiteStore(db, await _site(db, args.site))
    if args.author:
        author = await Users(db).by_email(args.author)
        if author is None or not await store.members.role_of(author["_id"]):
            raise NotFound("%s is not a member of %s" % (args.author, args.site))
    else:
        author = await store.members.owner()
        if author is None:
            raise NotFound("the site %s has no owner to be the author; pass --author" % args.site)
    post = await store.posts.create(
        title=args.title,
        markdown=body or "",
        author_id=author["_id"],
        type="page" if args.page else "post",
        slug=args.slug or None,
        tags=[t for t in args.tags.split(",") if t.strip()],
        status="draft" if args.draft else "published",
    )
    path = ("/%s" if args.page else "/posts/%s") % post["slug"]
    state = "draft" if args.draft else "published"
    ctx.say("%s %s %s" % (state, post["type"], site_url(ctx.settings, args.site).rstrip("/") + path))
    return 0


async def _trash_target(ctx: Context, trashed: bool) -> tuple[SiteStore, dict]:
    args = ctx.args
    store = SiteStore(ctx.db, await _site(ctx.db, args.site))
    kind = "page" if args.page else "post"
    post = await store.trash.by_slug(kind, args.slug, trashed=trashed)
    if post is None:
        where = "in the Trash of" if trashed else "on"
        raise NotFound("no %s %r %s %s" % (kind, args.slug, where, args.site))
    return store, post


async def post_delete(ctx: Context) -> int:
    """``post delete --site NAME SLUG``: into the Trash (cms/store/trash.py)."""
    store, post = await _trash_target(ctx, trashed=False)
    await store.trash.trash(post["_id"])
    ctx.say("moved %s %s to the Trash (kept %d days)" % (post["type"], post["slug"], ctx.settings.trash_days))
    return 0


async def post_restore(ctx: Context) -> int:
    store, post = await _trash_target(ctx, trashed=True)
    restored, moved = await store.trash.restore(post["_id"])
    path = ("/posts/%s" if restored["type"] == "post" else "/%s") % restored["slug"]
    if moved:
        ctx.say("note: %r was taken by another %s meanwhile" % (ctx.args.slug, restored["type"]))
    ctx.say("restored %s %s %s" % (restored["status"], restored["type"],
                                   site_url(ctx.settings, ctx.args.site).rstrip("/") + path))
    return 0


async def post_purge(ctx: Context) -> int:
    store, post = await _trash_target(ctx, trashed=True)
    await store.trash.purge(post["_id"])
    ctx.say("deleted %s %s for good" % (post["type"], ctx.args.slug))
    return 0


async def post_trash(ctx: Context) -> int:
    """``post trash --site NAME``: one line per trashed post: when, kind, slug, title."""
    store = SiteStore(ctx.db, await _site(ctx.db, ctx.args.site))
    for post in await store.trash.list():
        ctx.say("%s  %s  %s  %s" % (post["trashed_at"].strftime("%Y-%m-%d %H:%M"), post["type"],
                                    post.get("trashed_slug", ""), post["title"]))
    counts = await store.trash.counts()
    ctx.say("%d posts, %d pages in the Trash" % (counts["post"], counts["page"]))
    return 0


async def export_site(ctx: Context) -> int:
    """``export --site NAME FILE [--format archive|markdown|wxr]``: the site written to FILE
    (through a temporary file beside it, so a failed export leaves no half-written FILE)."""
    from cms.export import export_to
    from cms.tenancy import primary_host

    args = ctx.args
    site = await _site(ctx.db, args.site)
    port = "" if ctx.settings.port in (80, 443) else ":%d" % ctx.settings.port
    base_url = args.base_url or "http://%s%s" % (primary_host(site, ctx.settings.base_domain), port)
    counts = await export_to(SiteStore(ctx.db, site), args.format, args.file, base_url)
    media = counts.get("media_files", counts.get("media", 0))
    ctx.say("exported %s (%s) to %s: %d posts and pages, %d media files"
            % (args.site, args.format, args.file, counts["posts"], media))
    return 0


async def import_wordpress(ctx: Context) -> int:
    return await _import(ctx)


async def import_ghost(ctx: Context) -> int:
    return await _import(ctx)


async def _import(ctx: Context) -> int:
    """``import wordpress|ghost FILE --site NAME [--media DIR|ZIP]``: a progress bar on a terminal's
    stderr, the closing report on stdout. Items that failed are listed there; exit status 1 only
    when the file could not be imported at all (and nothing was written)."""
    from tqdm import tqdm

    from cms.importers import jobs

    args = ctx.args
    site = await _site(ctx.db, args.site)
    owner = await SiteStore(ctx.db, site).members.owner()
    if owner is None:
        raise NotFound("the site %s has no owner to run the import as" % args.site)
    bar = tqdm(total=0, unit=" items", file=ctx.err, disable=not ctx.err.isatty(), dynamic_ncols=True)

    def progress(phase: str, done: int, total: int, counts: dict) -> None:
        bar.set_description(phase)
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        report = await jobs.run(ctx.db, site, args.action, args.file, owner["_id"], media=args.media,
                                max_image_bytes=ctx.settings.max_upload_mb * 1024 * 1024, progress=progress)
    finally:
        bar.close()
    ctx.say(report.text())
    for email, token in report.invitations:
        ctx.say("invitation for %s (send it to them; it is shown only now): %sinvitation?token=%s"
                % (email, site_url(ctx.settings, args.site), token))
    return 0


async def import_archive(ctx: Context) -> int:
    """``import archive FILE --site NAME``: a site archive (made by ``export``) into the site NAME,
    which must have no posts or media yet (cms/export/restore_site.py); the report on stdout."""
    from cms.export.restore_site import restore_archive
    from cms.store.sites import quota_bytes

    args = ctx.args
    site = await _site(ctx.db, args.site)
    report = await restore_archive(ctx.db, site, args.file,
                                   quota_bytes=quota_bytes(site, ctx.settings.site_quota_mb))
    ctx.say("imported %s into %s: %d posts and pages, %d revisions, %d media files, %d redirects"
            % (args.file, args.site, report.posts, report.revisions, report.media, report.redirects))
    for member in report.members:
        ctx.say("member added: %s" % member)
    for email, role, token in report.invited:
        # As the admin's People page does: the inviter gets the one-time link to pass on.
        ctx.say("invited %s as %s: %sinvitation?token=%s" % (email, role, site_url(ctx.settings, args.site), token))
    for note in report.notes:
        ctx.say("note: %s" % note)
    return 0
