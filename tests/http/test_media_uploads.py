"""Uploads are streamed (issue 9, finding 2): checked from their headers, read to disk, cleaned up.

A request that may not upload (no sign-in, the wrong role, no XSRF token,
too large) is answered before its body is read; an accepted one is parsed
as it arrives into temporary files, which are gone once it is answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import re

import pytest

from tests import images
from tests.admin_session import signed_in
from tests.http.test_media import upload

MB = 1024 * 1024


@pytest.fixture
async def alpha(world, client, app, tmp_path):
    app.settings["upload_dir"] = str(tmp_path)  # where this test's temporary files go
    store = await world.site("alpha")
    owner = await world.member(store, "owner")
    return store, owner, await signed_in(client, "alpha", owner)


def leftovers(tmp_path) -> list[str]:
    return [name for name in os.listdir(tmp_path) if name.startswith(("cms-upload-", "cms-rendition-"))]


async def announce_and_send(port: int, cookies: dict, xsrf: str | None, length: int, sent: int,
                            path: str = "/admin/media") -> tuple[int, bytes]:
    """POST ``path`` announcing ``length`` bytes, send ``sent`` of them, and read the answer."""
    _, content_type = images.multipart([])
    lines = ["POST %s HTTP/1.1" % path, "Host: alpha.localhost", "Content-Type: %s" % content_type,
             "Content-Length: %d" % length, "Accept: application/json",
             "Cookie: %s" % "; ".join("%s=%s" % kv for kv in cookies.items())]
    if xsrf:
        lines.append("X-XSRFToken: %s" % xsrf)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + b"\0" * sent)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    size = re.search(rb"\r\nContent-Length: (\d+)\r\n", head, re.I)
    body = await asyncio.wait_for(reader.readexactly(int(size.group(1))), 10) if size else b""
    writer.close()
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize("who", ["anonymous", "contributor", "no xsrf", "too large"])
async def test_an_upload_is_refused_from_its_headers_before_its_body(alpha, world, client, tmp_path, who):
    store, owner, session = alpha
    cookies, xsrf, expected = dict(session.cookies), session.xsrf, 403
    if who == "anonymous":
        cookies = {"_xsrf": session.xsrf}
    elif who == "contributor":
        other = await signed_in(client, "alpha", await world.member(store, "contributor"))
        cookies, xsrf = dict(other.cookies), other.xsrf
    elif who == "no xsrf":
        xsrf = None
    else:
        expected = 413
    # 90 MB announced, 1 MB sent: the answer comes without the rest.
    status, body = await announce_and_send(client.port, cookies, xsrf, 90 * MB, MB)
    assert status == expected
    if who == "too large":
        assert json.loads(body)["error"] == "The upload is too large (90.0 MB); the limit is 20 MB."
    assert leftovers(tmp_path) == []
    assert (await store.media.list()).total == 0


async def test_an_accepted_upload_leaves_no_temporary_file(alpha, tmp_path):
    store, owner, session = alpha
    response = await upload(session, [("a.png", images.png_transparent(40, 30), "image/png"),
                                      ("b.jpg", images.jpeg(30, 20), "image/jpeg")])
    assert response.code == 201
    assert [i["filename"] for i in json.loads(response.body)["items"]] == ["a.png", "b.jpg"]
    assert leftovers(tmp_path) == []


async def test_a_file_over_the_limit_inside_an_allowed_body_is_413_and_leaves_nothing(alpha, settings, db, tmp_path):
    store, owner, session = alpha
    settings.max_upload_mb = 1
    big = b"\xff\xd8\xff" + b"\x00" * (MB - 2)  # the body is within 1 MB + the form's margin
    response = await upload(session, [("big.jpg", big, "image/jpeg")])
    assert response.code == 413
    assert json.loads(response.body)["error"] == "big.jpg is too large; the limit is 1 MB."
    assert leftovers(tmp_path) == [] and await db.media_items.count_documents({}) == 0


async def test_a_malformed_or_cut_form_is_400_with_a_message(alpha, tmp_path):
    store, owner, session = alpha
    body, content_type = images.multipart([("a.png", images.png_transparent(40, 30), "image/png")])
    headers = {"Content-Type": content_type, "X-XSRFToken": session.xsrf, "Accept": "application/json"}
    cut = await session.fetch("/admin/media", "POST", body=body[:-30], headers=headers)
    assert cut.code == 400 and "ended before" in json.loads(cut.body)["error"]
    not_a_form = await session.fetch("/admin/media", "POST", body=b"file=x", headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert not_a_form.code == 415 and "multipart/form-data" in json.loads(not_a_form.body)["error"]
    assert leftovers(tmp_path) == [] and (await store.media.list()).total == 0


async def test_the_plain_form_carries_its_token_in_the_address(alpha):
    store, owner, session = alpha
    page = await session.get("/admin/media")
    action = re.search(rb'<form class="media-upload[^>]*action="([^"]+)"', page.body).group(1).decode()
    assert action.startswith("/admin/media?_xsrf=")
    body, content_type = images.multipart([("c.jpg", images.jpeg(20, 20), "image/jpeg")])
    response = await session.fetch(action.replace("&amp;", "&"), "POST", body=body,
                                   headers={"Content-Type": content_type})  # no header: as a browser's form
    assert response.code == 201 and b"Uploaded c.jpg" in response.body
