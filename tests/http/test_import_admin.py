"""The site admin's Import page (cms/handlers/imports.py): upload, background run, live progress, report."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClosedError, websocket_connect

from cms.importers import jobs
from tests.admin_session import signed_in
from tests.images import jpeg, multipart, png_transparent

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
WXR = (FIXTURES / "wordpress-6.5.xml").read_bytes()


async def owner_of(world, client, name: str = "lake"):
    store = await world.site(name)
    owner = await world.member(store, "owner", email="owner@%s.example" % name)
    return store, await signed_in(client, name, owner)


async def upload(session, content: bytes = WXR, source: str = "wordpress", filename: str = "export.xml",
                 **kwargs):
    body, content_type = multipart([(filename, content, "application/xml")], source=source)
    return await session.fetch("/admin/import?_xsrf=%s" % session.xsrf, "POST", body=body,
                               headers={"Content-Type": content_type}, **kwargs)


def job_id_of(response) -> str:
    assert response.code == 303, (response.code, response.body[-1500:])
    return response.headers["Location"].rsplit("/", 1)[1]


def live(client, session, job_id: str, origin: str | None = None) -> HTTPRequest:
    headers = {"Host": "%s:%d" % (session.host, client.port),
               "Cookie": "; ".join("%s=%s" % kv for kv in session.cookies.items()),
               "Origin": origin or "http://%s:%d" % (session.host, client.port)}
    return HTTPRequest("ws://127.0.0.1:%d/admin/import/%s/live" % (client.port, job_id), headers=headers)


async def test_an_owner_imports_and_watches_the_job_to_its_report(world, client, db):
    store, session = await owner_of(world, client)
    job_id = job_id_of(await upload(session))
    socket = await websocket_connect(live(client, session, job_id))
    seen = []
    while True:  # the socket closes once the job has ended
        message = await socket.read_message()
        if message is None:
            break
        seen.append(json.loads(message))
    assert seen[-1]["status"] == "done", seen[-1]
    assert seen[-1]["counts"]["imported"] == 10 and seen[-1]["report"]["counts"]["skipped"] == 2
    page = await session.get("/admin/import/%s" % job_id)
    assert page.code == 200
    assert b"Imported 10, skipped 2" in page.body and b"a menu item" in page.body
    as_json = json.loads((await session.get("/admin/import/%s.json" % job_id)).body)
    assert as_json["status"] == "done" and as_json["done"] == as_json["total"] == 12
    assert await db.posts.count_documents({"site_id": store.site_id}) == 10
    listing = await session.get("/admin/import")
    assert b"export.xml" in listing.body and b"done" in listing.body


async def test_a_bad_file_fails_with_its_reason_and_imports_nothing(world, client, db):
    store, session = await owner_of(world, client)
    job_id = job_id_of(await upload(session, b'{"not": "xml"}', filename="export.json"))
    await jobs.wait_all()
    job = json.loads((await session.get("/admin/import/%s.json" % job_id)).body)
    assert job["status"] == "failed" and "the file is not XML" in job["error"]
    page = await session.get("/admin/import/%s" % job_id)
    assert b"the file is not XML" in page.body
    assert await db.posts.count_documents({"site_id": store.site_id}) == 0
    # The slot is free again: the right file goes in.
    job_id_of(await upload(session))
    await jobs.wait_all()


@pytest.mark.parametrize("fields, message", [
    ({"source": "typepad"}, b"Choose where the export comes from"),
    ({"source": "wordpress", "empty": True}, b"Choose the export file"),
])
async def test_form_mistakes_are_400_with_a_message(world, client, db, fields, message):
    store, session = await owner_of(world, client)
    files = [] if fields.get("empty") else [("export.xml", WXR, "application/xml")]
    body, content_type = multipart(files, source=fields["source"])
    response = await session.fetch("/admin/import?_xsrf=%s" % session.xsrf, "POST", body=body,
                                   headers={"Content-Type": content_type})
    assert response.code == 400 and message in response.body
    assert await db.import_jobs.count_documents({"site_id": store.site_id}) == 0


async def test_one_import_per_site_at_a_time(world, client, db):
    store, session = await owner_of(world, client)
    running = await store.import_jobs.start("wordpress", "first.xml", "someone")
    response = await upload(session)
    assert response.code == 409 and b"already running" in response.body
    await store.import_jobs.finish(running["_id"], "done", None)
    job_id_of(await upload(session))
    await jobs.wait_all()


async def test_too_large_is_refused_from_the_headers(world, client, db, app):
    app.cms_settings.max_import_mb = 1
    store, session = await owner_of(world, client)
    response = await upload(session, WXR + b" " * (2 * 1024 * 1024))
    assert response.code == 413 and b"the limit is 1 MB" in response.body
    assert await db.import_jobs.count_documents({"site_id": store.site_id}) == 0


async def test_only_owners_and_only_this_sites_jobs(world, client, db):
    alpha, alpha_owner = await owner_of(world, client, "alpha")
    beta, beta_owner = await owner_of(world, client, "beta")
    job_id = job_id_of(await upload(alpha_owner))
    await jobs.wait_all()
    # Beta's owner: alpha's job is as missing as an unknown one, on every door.
    for path in ("/admin/import/%s" % job_id, "/admin/import/%s.json" % job_id):
        assert (await beta_owner.get(path)).code == 404
    with pytest.raises(Exception) as refused:
        socket = await websocket_connect(live(client, beta_owner, job_id))
        await socket.read_message()
    assert "404" in str(refused.value)
    assert b"export.xml" not in (await beta_owner.get("/admin/import")).body
    # An admin of alpha is not an owner: no import page, no upload.
    admin = await world.member(alpha, "admin", email="admin@alpha.example")
    admin_session = await signed_in(client, "alpha", admin)
    assert (await admin_session.get("/admin/import")).code == 403
    assert (await upload(admin_session)).code == 403
    assert (await admin_session.get("/admin/import/%s.json" % job_id)).code == 403
    # A socket from another origin is refused.
    with pytest.raises((WebSocketClosedError, Exception)):
        socket = await websocket_connect(live(client, alpha_owner, job_id, origin="http://evil.example"))
        await socket.read_message()
    assert await db.posts.count_documents({"site_id": beta.site_id}) == 0


async def test_the_images_zip_uploaded_beside_the_export_is_imported(world, client, db):
    store, session = await owner_of(world, client)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("wp-content/uploads/2024/05/lake.jpg", jpeg(400, 300, "steelblue"))
        archive.writestr("wp-content/uploads/2024/05/hill.png", png_transparent(500, 250))
    boundary = "----import-test-" + uuid.uuid4().hex
    parts = [b'--%s\r\nContent-Disposition: form-data; name="source"\r\n\r\nwordpress\r\n' % boundary.encode()]
    for field, name, data in (("file", "export.xml", WXR), ("media", "uploads.zip", zipped.getvalue())):
        parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                     b"Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (boundary.encode(), field.encode(),
                                                                                 name.encode(), data))
    parts.append(b"--%s--\r\n" % boundary.encode())
    response = await session.fetch("/admin/import?_xsrf=%s" % session.xsrf, "POST", body=b"".join(parts),
                                   headers={"Content-Type": "multipart/form-data; boundary=%s" % boundary})
    job_id = job_id_of(response)
    await jobs.wait_all()
    job = json.loads((await session.get("/admin/import/%s.json" % job_id)).body)
    assert job["status"] == "done" and job["report"]["counts"]["media"] == 2
    post = await db.posts.find_one({"site_id": store.site_id, "slug": "morning-at-the-lake"})
    assert post["featured_image"]["alt"] == "Mist over the lake" and "/media/" in post["markdown"]
