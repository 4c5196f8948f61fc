"""One WebSocket text frame, made once for every socket an event goes to.

Tornado's ``write_message`` encodes the message and frames it again for each
socket, and wraps each write in a Task of its own: for 10,000 readers of one
site that was most of the time between a publish and the last of them
hearing of it (tests/bench/bench_live.py). A server's frames are not masked
(RFC 6455, 5.1) and the live sockets negotiate no compression, so the bytes
are the same for every socket: `text_frame` makes them once and
`cms.live.handlers.LiveSocket.send` hands them to each socket's stream.
"""

from __future__ import annotations

import struct

FIN_TEXT = 0x81  # FIN bit and opcode 1 (text)


def text_frame(message: str) -> bytes:
    """The complete unmasked, unfragmented frame of a text message (RFC 6455, 5.2)."""
    payload = message.encode("utf-8")
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", FIN_TEXT, length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", FIN_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", FIN_TEXT, 127, length)
    return header + payload
