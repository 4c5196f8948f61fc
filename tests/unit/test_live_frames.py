"""`cms.live.frames.text_frame`: the frame made once for every live socket is the frame
Tornado's own ``write_message`` writes, at each of the three payload length forms."""

from __future__ import annotations

import asyncio

import pytest
from tornado.websocket import WebSocketProtocol13

from cms.live.frames import text_frame


class Stream:
    """What `WebSocketProtocol13` writes to, kept."""

    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> asyncio.Future:
        self.written += data
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class Handler:
    def __init__(self) -> None:
        self.request = None

    def get_compression_options(self) -> None:
        return None


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536, 200_000])
async def test_the_frame_is_tornados_own(length):
    message = ("é" + "x" * length)[:length] if length else ""
    protocol = WebSocketProtocol13(Handler(), mask_outgoing=False, params=type("P", (), {
        "ping_interval": None, "ping_timeout": None, "max_message_size": 10 ** 7, "compression_options": None})())
    protocol.stream = Stream()  # type: ignore[assignment]
    await protocol.write_message(message)
    assert text_frame(message) == protocol.stream.written
