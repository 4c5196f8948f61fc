"""Request sizes and deadlines (cms/limits.py) over raw sockets: what a hostile client meets.

Issue 9, findings 2 and 10: bodies are refused from their headers before
they are read, long headers and addresses get 431/414 instead of a closed
connection, and slow clients are cut off by deadlines.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from cms.limits import MAX_FORM_BYTES, RequestLimits


async def raw(port: int, head: bytes, body: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + body)
    await writer.drain()
    return reader, writer


async def answer(reader: asyncio.StreamReader, within: float = 10.0) -> tuple[int, bytes]:
    """The status and the whole answer (its headers and ``Content-Length`` bytes)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), within)
    assert head.startswith(b"HTTP/1.1 "), head[:200]
    length = re.search(rb"\r\nContent-Length: (\d+)\r\n", head, re.I)
    body = await asyncio.wait_for(reader.readexactly(int(length.group(1))), within) if length else b""
    return int(head.split(b" ", 2)[1]), head + body


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True when the server closes the connection before ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            chunk = await asyncio.wait_for(reader.read(65536), deadline - time.monotonic())
            if not chunk:
                return True
    except (asyncio.TimeoutError, TimeoutError):
        return False
    except ConnectionError:
        return True
    return False


def request(path: str = "/", host: str = "alpha.localhost", method: str = "GET", **headers: str) -> bytes:
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
    lines += ["%s: %s" % (name.replace("_", "-"), value) for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
async def alpha(world):
    return await world.site("alpha")


async def test_an_anonymous_post_announcing_90_mb_gets_413_after_1_mb_and_changes_nothing(alpha, client, db):
    head = request("/", method="POST", Content_Length=str(90 * 1024 * 1024),
                   Content_Type="application/x-www-form-urlencoded", Cookie="_xsrf=forged")
    reader, writer = await raw(client.port, head, b"a=" + b"x" * (1024 * 1024))
    status, data = await answer(reader)
    writer.close()
    assert status == 413
    assert b"The request is too large." in data
    assert await db.sites.count_documents({}) == 1


async def test_a_form_just_over_the_limit_is_refused_and_one_under_it_is_read(alpha, client):
    over = await client.get("alpha", "/login", method="POST", body=b"x" * (MAX_FORM_BYTES + 1),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert over.code == 413
    under = await client.get("alpha", "/login", method="POST", body=b"x" * (MAX_FORM_BYTES - 10),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert under.code == 403  # read, then refused for its missing XSRF token as usual


async def test_a_chunked_body_of_unknown_length_gets_411_before_it_is_read(alpha, client):
    head = request("/login", method="POST", Transfer_Encoding="chunked",
                   Content_Type="application/x-www-form-urlencoded")
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    reader, writer = await raw(client.port, head, chunk * 2)  # and more to come, for all the server knows
    status, data = await answer(reader)
    writer.close()
    assert status == 411 and b"Content-Length" in data


@pytest.mark.parametrize("what", ["header", "url"])
async def test_a_100_kb_header_or_address_gets_431_or_414_not_a_closed_connection(alpha, client, what):
    if what == "header":
        head, expected = request("/", X_Padding="p" * 100_000), 431
    else:
        head, expected = request("/search?q=" + "q" * 100_000), 414
    reader, writer = await raw(client.port, head)
    status, data = await answer(reader)
    writer.close()
    assert status == expected
    assert (b"headers are too large" if what == "header" else b"address is too long") in data


async def test_ordinary_headers_and_addresses_are_served(alpha, client):
    response = await client.get("alpha", "/search?q=" + "q" * 2000, headers={"X-Padding": "p" * 8000})
    assert response.code == 200


async def test_slow_header_sockets_are_closed_at_the_header_deadline(alpha, app, client):
    app.request_limits = RequestLimits(header_timeout=0.5)
    sockets = [await raw(client.port, b"GET / HTTP/1.1\r\nHost: alpha.localhost\r\n") for _ in range(20)]
    for _, writer in sockets:
        writer.write(b"X-Slow: 1\r\n")  # one header line now and then: never done
    closed = await asyncio.gather(*[closed_within(reader, 10.0) for reader, _ in sockets])
    for _, writer in sockets:
        writer.close()
    assert all(closed)
    # A prompt client on a fresh connection is still served.
    assert (await client.get("alpha", "/healthz")).code == 200


async def test_a_body_that_stops_coming_is_cut_off_at_the_body_deadline(alpha, app, client):
    app.request_limits = RequestLimits(body_timeout=0.5)
    head = request("/login", method="POST", Content_Length="1000", Content_Type="application/x-www-form-urlencoded")
    reader, writer = await raw(client.port, head, b"email=")
    assert await closed_within(reader, 10.0)
    writer.close()
