"""``python -m cms backup DIR`` and ``restore DIR``: a consistent copy taken while the
platform serves and writes, brought back into an empty data directory with equal content;
bad input is one line on stderr and changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from motor.motor_asyncio import AsyncIOMotorGridFSBucket
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from cms import db as database
from cms.app import make_app
from cms.backup import SKIPPED
from cms.config import REPO_ROOT, Settings
from cms.images.process import process
from tests.admin_session import form, signed_in
from tests.cli.test_commands import cms
from tests.conftest import Client, World
from tests.images import jpeg

QUIET = ("sites", "users", "memberships", "media_items", "autosaves", "invitations")  # not written during the backup


def embedded_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MONGODB", "OPENSHIFT_MONGODB", "COOKIE_SECRET", "CMS_"))}
    env.update(CMS_DATA_DIR=str(data_dir), COOKIE_SECRET="backup-test-secret")
    return env


async def everything(db) -> dict[str, list[dict]]:
    """Every document of every kept collection, and every media file with its bytes."""
    found = {}
    for name in sorted(await db.list_collection_names()):
        if name in SKIPPED or name.startswith(("media.", "media_f", "media_c", "system.")):
            continue
        found[name] = sorted([d async for d in db[name].find({})], key=lambda d: str(d["_id"]))
    grid = AsyncIOMotorGridFSBucket(db, bucket_name="media")
    files = []
    async for grid_out in grid.find({}):
        data = await (await grid.open_download_stream(grid_out._id)).read()
        files.append((grid_out._id, grid_out.filename, grid_out.metadata, data))
    found["media files"] = sorted(files, key=lambda f: f[0])
    return found


async def fill(db) -> tuple[World, list]:
    world = World(db)
    stores = [await world.site(name) for name in ("alpha", "beta")]
    for store in stores:
        owner = await world.member(store, "owner")
        await world.member(store, "author")
        for n in range(3):
            post = await world.post(store, owner, "%s post %d" % (store.site["name"], n), markdown="text %d" % n,
                                    tags=["t%d" % n])
            await store.posts.update(post["_id"], 1, title=post["title"], markdown="edited %d" % n,
                                     status="published", editor_id=owner["_id"])
        item, _ = await store.media.add(process(jpeg()), "photo.jpg", owner["_id"])
        await world.post(store, owner, "With a photo", markdown="![p](%s)" % item["urls"][0])
        await store.autosaves.save("new-post", owner["_id"], {"markdown": "typing"})
        await store.invitations.create("guest-%s@example.com" % store.site["name"], "author", owner["_id"])
    return world, stores


@pytest.fixture
async def live(tmp_path):
    """A platform on the embedded database of a data directory, serving HTTP (as ``serve`` would)."""
    server = database.EmbeddedServer(tmp_path / "live" / "db")
    uri = server.start()
    client = database.connect(uri)
    db = client["cms"]
    await database.ensure_indexes(db)
    settings = Settings(mongodb_uri=uri, database_name="cms", data_dir=tmp_path / "live", base_domain="localhost",
                        cookie_secret="test-cookie-secret-" + uuid.uuid4().hex)
    http_server = HTTPServer(make_app(settings, db))
    port = database.free_port()
    http_server.listen(port, "127.0.0.1")
    http = AsyncHTTPClient(force_instance=True)
    try:
        yield db, Client(port, http)
    finally:
        http.close()
        http_server.stop()
        await http_server.close_all_connections()
        client.close()
        server.stop()


async def test_a_backup_taken_while_requests_write_restores_into_an_empty_data_dir_with_equal_content(live, tmp_path):
    db, client = live
    world, stores = await fill(db)
    alpha = stores[0]
    writer = await world.member(alpha, "editor")
    session = await signed_in(client, "alpha", writer)
    post = (await alpha.posts.admin_list()).items[0]
    saves, stop = [], asyncio.Event()

    async def keep_writing() -> None:
        version = post["version"]
        while not stop.is_set():
            response = await session.post("/admin/posts/%s" % post["_id"], form(
                title=post["title"], markdown="save %d" % version, state="published", version=str(version)))
            assert response.code == 303, response.code
            version += 1
            saves.append(version)

    writing = asyncio.create_task(keep_writing())
    while len(saves) < 3:  # the writes are under way before the backup starts
        await asyncio.sleep(0.01)
    backup = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cms", "backup", str(tmp_path / "backup"), env=embedded_env(tmp_path / "live"),
        cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await backup.communicate()
    during = len(saves)
    stop.set()
    await writing
    assert backup.returncode == 0, err.decode()
    assert b"backed up" in out and b"media files" in out
    assert during > 3, "no save happened while the backup ran"

    code, out, err = await cms(embedded_env(tmp_path / "restored"), "restore", str(tmp_path / "backup"))
    assert code == 0, err
    source = await everything(db)
    server = database.EmbeddedServer(tmp_path / "restored" / "db")
    restored_client = database.connect(server.start())
    try:
        restored = await everything(restored_client["cms"])
        for name in QUIET + ("media files",):
            assert restored[name] == source[name], name
        assert len(restored["media files"]) > 0
        # The written post is as it was at one moment: a version the source had, with its text, and its history.
        revisions = {(r["post_id"], r["version"]): r for r in source["revisions"]}
        for kept in restored["posts"]:
            assert revisions[kept["_id"], kept["version"]]["markdown"] == kept["markdown"], kept["title"]
        kept = next(p for p in restored["posts"] if p["_id"] == post["_id"])
        assert post["version"] < kept["version"] < saves[-1]
        mine = [r for r in restored["revisions"] if r["post_id"] == post["_id"] and r["version"] <= kept["version"]]
        assert [r["version"] for r in sorted(mine, key=lambda r: r["version"])] == list(range(1, kept["version"] + 1))
        # The restored platform serves the post and its photo.
        app_db = restored_client["cms"]
        settings = Settings(mongodb_uri="unused", database_name="cms", data_dir=tmp_path / "restored",
                            base_domain="localhost", cookie_secret="x" * 32)
        http_server = HTTPServer(make_app(settings, app_db))
        port = database.free_port()
        http_server.listen(port, "127.0.0.1")
        http = AsyncHTTPClient(force_instance=True)
        try:
            reader = Client(port, http)
            page = await reader.get("beta", "/posts/with-a-photo")
            assert page.code == 200
            photo = next(url for url in (await stores[1].media.list()).items[0]["urls"])
            picture = await reader.get("beta", photo)
            assert picture.code == 200 and picture.body[:2] == b"\xff\xd8"
        finally:
            http.close()
            http_server.stop()
    finally:
        restored_client.close()
        server.stop()


@pytest.fixture
def env(mongo_uri, db_name, db, tmp_path) -> dict:
    return {"MONGODB_URI": mongo_uri.rstrip("/") + "/" + db_name, "COOKIE_SECRET": "s", "CMS_DATA_DIR": str(tmp_path)}


@pytest.fixture
async def other(mongo_uri):
    """A second, empty database on the same server: where a backup is restored."""
    name = "restore_%s" % uuid.uuid4().hex[:8]
    client = database.connect(mongo_uri)
    try:
        yield client[name], {"MONGODB_URI": mongo_uri.rstrip("/") + "/" + name, "COOKIE_SECRET": "s"}
    finally:
        await client.drop_database(name)
        client.close()


async def test_a_mongodb_backup_round_trip_gives_equal_content(db, env, other, tmp_path):
    await fill(db)
    code, out, err = await cms(env, "backup", str(tmp_path / "b"))
    assert code == 0, err
    assert "no snapshots" in err  # a standalone server: said, not hidden
    target, target_env = other
    code, out, err = await cms({**target_env, "CMS_DATA_DIR": str(tmp_path)}, "restore", str(tmp_path / "b"))
    assert code == 0, err
    source, restored = await everything(db), await everything(target)
    assert restored == source
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["format"] == "cms-backup" and manifest["version"] == 1
    assert manifest["collections"]["posts"]["count"] == len(source["posts"]) == 8
    assert manifest["media"]["media"]["count"] == len(source["media files"]) > 0


async def test_restore_refuses_a_database_with_data_unless_forced(db, env, tmp_path):
    world, _ = await fill(db)
    code, _, err = await cms(env, "backup", str(tmp_path / "b"))
    assert code == 0, err
    extra = await world.site("gamma")
    before = await everything(db)
    code, out, err = await cms(env, "restore", str(tmp_path / "b"))
    assert code == 1 and err.strip().splitlines() == [
        "error: the database %s is not empty: restore into an empty one, or pass --force to replace what it holds"
        % db.name]
    assert await everything(db) == before
    highest = max([max(c["n"], c.get("s", 0)) async for c in db.changes.find({})])
    code, out, err = await cms(env, "restore", "--force", str(tmp_path / "b"))
    assert code == 0, err
    # Pages kept by a running process under the old counters can never match again.
    assert min([c["n"] async for c in db.changes.find({})]) > highest
    assert min([c.get("s", 0) async for c in db.changes.find({})]) > highest  # posts' kept pages follow s
    assert await db.sites.find_one({"_id": extra.site_id}) is None  # what the backup did not hold is gone
    assert await db.sites.count_documents({}) == 2


def damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def set_version(backup: Path) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["version"] = 99
    (backup / "manifest.json").write_text(json.dumps(manifest))


def take_a_photo_away(backup: Path) -> None:
    next((backup / "media").glob("*.bin")).unlink()


def a_folder_for_a_photo(backup: Path) -> None:
    photo = next((backup / "media").glob("*.bin"))
    photo.unlink()
    photo.mkdir()


@pytest.mark.parametrize("spoil, message", [
    (lambda b: None, None),  # replaced by a missing directory below
    (lambda b: damage(b / "collections" / "posts.bson"), "posts.bson is damaged"),
    (lambda b: damage(next((b / "media").glob("*.bin"))), "is damaged"),
    (take_a_photo_away, "is missing"),
    (a_folder_for_a_photo, "is missing"),
    (set_version, "format version 99"),
    (lambda b: (b / "manifest.json").unlink(), "has no manifest.json"),
    (lambda b: (b / "manifest.json").write_text("{not json"), "cannot be read"),
])
async def test_restore_of_a_bad_backup_is_one_line_and_changes_nothing(db, env, other, tmp_path, spoil, message):
    await fill(db)
    code, _, err = await cms(env, "backup", str(tmp_path / "b"))
    assert code == 0, err
    target, target_env = other
    path = tmp_path / "b"
    if message is None:
        path, message = tmp_path / "nowhere", "no backup at"
    spoil(tmp_path / "b")
    code, out, err = await cms({**target_env, "CMS_DATA_DIR": str(tmp_path)}, "restore", str(path))
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and message in lines[0], err
    assert await target.list_collection_names() == []


async def test_backup_never_writes_into_a_used_directory(db, env, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    code, out, err = await cms(env, "backup", str(tmp_path / "used"))
    assert code == 1 and err.strip().splitlines() == ["error: %s is not an empty directory: back up into a new one"
                                                      % (tmp_path / "used")]
    assert sorted(p.name for p in (tmp_path / "used").iterdir()) == ["notes.txt"]


async def test_backup_with_keep_makes_dated_folders_and_keeps_the_newest(db, env, tmp_path):
    await fill(db)
    folder = tmp_path / "backups"
    folder.mkdir()
    for old in ("20200101T000000Z", "20200102T000000Z"):
        code, _, err = await cms(env, "backup", str(folder / old))
        assert code == 0, err
    (folder / "20200103T000000Z").mkdir()  # a run that died half-way (no manifest): never counted
    (folder / "notes").mkdir()  # not a backup folder: never touched
    code, out, err = await cms(env, "backup", "--keep", "2", str(folder))
    assert code == 0, err
    kept = sorted(p.name for p in folder.iterdir())
    new = [name for name in kept if name > "2021" and name != "notes"]
    assert len(new) == 1 and (folder / new[0] / "manifest.json").is_file()
    assert kept == sorted(["20200102T000000Z", "notes", new[0]])
    assert "removed the old backup" in err and "20200103T000000Z" in err


async def test_backup_of_an_empty_data_dir_says_there_is_nothing(tmp_path):
    code, out, err = await cms(embedded_env(tmp_path / "empty"), "backup", str(tmp_path / "b"))
    assert code == 1 and err.strip().splitlines() == ["error: there is no database in %s to back up"
                                                      % (tmp_path / "empty")]
    assert not (tmp_path / "b").exists()


def test_beside_a_running_serve_backup_and_restore_then_serve_the_restored_data_dir(tmp_path):
    """Real processes: a backup of a serving platform, a restore while serve runs (through its
    database), and a restore into an empty data directory that a new serve then serves."""
    from tests.cli.test_serve import Serve, clean_env, cli, get

    live = clean_env(tmp_path / "live")
    port = database.free_port()
    serving = Serve(live, port)
    try:
        made = cli(live, "post", "create", "--site", "demo", "--title", "Kept in the backup", stdin="Safe words.")
        assert made.returncode == 0, made.stderr
        backup = cli(live, "backup", str(tmp_path / "b"))
        assert backup.returncode == 0, backup.stderr
        assert "posts: " in backup.stderr  # progress on stderr
        cli(live, "post", "create", "--site", "demo", "--title", "Written after the backup", stdin="Later.")
        forced = cli(live, "restore", "--force", str(tmp_path / "b"))  # into serve's own database
        assert forced.returncode == 0, forced.stderr
        host = "demo.localhost:%d" % port
        assert get(port, host, "/posts/kept-in-the-backup")[0] == 200
        assert get(port, host, "/posts/written-after-the-backup")[0] == 404
    finally:
        serving.stop()

    fresh = clean_env(tmp_path / "fresh")
    restored = cli(fresh, "restore", str(tmp_path / "b"))  # no serve: the command starts the database itself
    assert restored.returncode == 0, restored.stderr
    serving = Serve(fresh, port)
    try:
        assert "owner password" not in serving.output  # the restored platform, not a new demo
        code, page = get(port, "demo.localhost:%d" % port, "/posts/kept-in-the-backup")
        assert code == 200 and "Safe words." in page
    finally:
        serving.stop()
