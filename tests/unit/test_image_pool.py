"""The image worker pool (cms/images/pool.py): hostile images cost a worker, never the web process.

Issue 9, finding 3: a tiny animated GIF asked for 24 s and 900 MB, a tiny
7000×7000 PNG for 6.5 s. What the header tells is refused before decoding;
the rest is decoded in a worker with a time and a memory budget, and a
worker past either is replaced while the next upload goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time

import pytest
from PIL import Image

from cms.images import Limits, Rejected, process
from cms.images.pool import MB, ImagePool
from tests import images


@pytest.fixture
def small(tmp_path) -> str:
    path = tmp_path / "small.jpg"
    path.write_bytes(images.jpeg(40, 30))
    return str(path)


def stored(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_tiny_gif_of_40_frames_of_2000_by_1000_is_refused_from_its_header():
    frames = [Image.new("P", (2000, 1000), i) for i in range(40)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    data = out.getvalue()
    assert len(data) < 1_000_000  # a few hundred KB here; a tuned one is 3.7 KB
    with pytest.raises(Rejected) as refused:
        process(data, Limits())
    assert refused.value.status == 413 and "40 frames of 2000 × 1000" in refused.value.message


async def test_an_image_past_the_time_budget_is_refused_and_the_next_one_is_processed(tmp_path, small):
    pool = ImagePool(timeout=0.5)
    try:
        with pytest.raises(Rejected) as refused:
            await pool.process(stored(tmp_path, "big.png", images.png_blank(7000, 7000)), Limits())
        assert refused.value.status == 413 and "too long to process" in refused.value.message
        done = await pool.process(small, Limits())
        assert (done.width, done.height) == (40, 30)
    finally:
        pool.stop()


async def test_an_image_past_the_memory_budget_is_refused_and_the_next_one_is_processed(tmp_path, small):
    pool = ImagePool(memory_bytes=200 * MB, timeout=60)
    try:
        with pytest.raises(Rejected) as refused:
            await pool.process(stored(tmp_path, "big.png", images.png_blank(7000, 7000)), Limits())
        assert refused.value.status == 413 and "too much memory" in refused.value.message
        done = await pool.process(small, Limits())
        assert done.format == "JPEG"
    finally:
        pool.stop()


async def test_renditions_come_back_as_files_named_by_their_content_and_are_discarded(tmp_path, small):
    pool = ImagePool()
    try:
        done = await pool.process(small, Limits())
    finally:
        pool.stop()
    assert {f.format for f in done.files} == {"JPEG", "WEBP"}
    for f in done.files:
        assert f.data == b"" and f.path and os.path.dirname(f.path) == str(tmp_path)
        with f.open() as source:
            content = source.read()
        assert len(content) == f.length and hashlib.sha256(content).hexdigest()[:32] == f.digest
        assert images.opened(content).size[0] == f.width
    done.discard()
    assert sorted(os.listdir(tmp_path)) == ["small.jpg"]


async def test_a_refusal_crosses_from_the_worker_with_its_status(tmp_path):
    pool = ImagePool()
    try:
        with pytest.raises(Rejected) as refused:
            await pool.process(stored(tmp_path, "x.svg", images.SVG), Limits())
        assert refused.value.status == 415 and "SVG" in refused.value.message
    finally:
        pool.stop()


async def test_the_largest_still_accepted_is_decoded_within_512_mb(tmp_path):
    """A 49 MP image (the pixel limit is 50 MP) once took 670 MB: a still is now decoded once, in place."""
    pool = ImagePool(memory_bytes=512 * MB, timeout=120)
    try:
        done = await pool.process(stored(tmp_path, "big.png", images.png_blank(7000, 7000)), Limits())
        assert (done.width, done.height) == (7000, 7000) and len(done.files) == 11
    finally:
        pool.stop()


async def test_past_the_waiting_room_an_image_is_refused_at_once_with_503(tmp_path, small):
    pool = ImagePool(workers=1, max_waiting=1, timeout=60)
    hard = stored(tmp_path, "big.png", images.png_blank(7000, 7000))
    try:
        running = asyncio.ensure_future(pool.process(hard, Limits()))
        waiting = asyncio.ensure_future(pool.process(hard, Limits()))
        deadline = time.monotonic() + 10
        while pool.busy < 2 and time.monotonic() < deadline:  # both handed to the pool
            await asyncio.sleep(0.01)
        with pytest.raises(Rejected) as refused:
            await pool.process(small, Limits())
        assert refused.value.status == 503 and "try again" in refused.value.message
    finally:
        pool.stop()  # the hard ones are abandoned
        for task in (running, waiting):
            task.cancel()
        await asyncio.gather(running, waiting, return_exceptions=True)
    assert pool.busy == 0
