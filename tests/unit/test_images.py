"""Image processing (cms/images): what is kept, what is dropped, what is refused."""

from __future__ import annotations

import pytest

from cms.images import Limits, Rejected, process
from cms.images.markup import media_urls, responsive, safe_srcset
from cms.images.process import rendition_widths
from tests import images


def test_a_sideways_jpeg_is_turned_upright_and_loses_gps_and_camera_but_keeps_its_colour_profile():
    data = images.jpeg_sideways(60, 40)
    assert images.opened(data).getexif().get_ifd(images.GPS_IFD)  # the upload does carry a position
    result = process(data)
    assert (result.format, result.width, result.height) == ("JPEG", 40, 60)  # turned 90° clockwise
    for f in result.files:
        out = images.opened(f.data)
        exif = out.getexif()
        assert not exif.get_ifd(images.GPS_IFD) and images.MAKE not in exif and images.ORIENTATION not in exif
        assert b"SpyCam" not in f.data and b"Model 7" not in f.data
        assert out.info.get("icc_profile"), "the colour profile is kept (%s %d)" % (f.format, f.width)
    upright = images.opened(result.original.data).convert("RGB")
    r, g, b = upright.getpixel((20, 5))  # the red half is now on top
    assert r > 200 and b < 60
    r, g, b = upright.getpixel((20, 55))
    assert b > 200 and r < 60


def test_renditions_are_never_wider_than_the_original_and_come_in_webp_too():
    result = process(images.png_transparent(700, 350))
    got = sorted((f.format, f.width) for f in result.files)
    assert got == [("PNG", 320), ("PNG", 640), ("PNG", 700), ("WEBP", 320), ("WEBP", 640), ("WEBP", 700)]
    for f in result.files:
        out = images.opened(f.data)
        assert out.format == f.format and out.size == (f.width, f.height)
        assert out.mode in ("RGBA", "LA", "P") and "A" in out.getbands() or "transparency" in out.info
        assert out.convert("RGBA").getpixel((0, 0))[3] == 0  # the corner stays transparent
    assert rendition_widths(3000) == [320, 640, 1024, 1600, 2400]
    assert rendition_widths(100) == [100]


def test_an_animated_gif_stays_animated_in_every_copy():
    result = process(images.gif_animated(48, 32, frames=3))
    assert result.animated and result.frames == 3
    for f in result.files:
        out = images.opened(f.data)
        assert getattr(out, "n_frames", 1) == 3, (f.format, f.width)
    assert {f.format for f in result.files} == {"GIF", "WEBP"}


def test_a_webp_is_kept_as_webp_without_a_second_copy():
    result = process(images.webp(400, 300))
    assert [(f.format, f.width) for f in result.files] == [("WEBP", 400), ("WEBP", 320)]


def test_names_are_content_addressed():
    result = process(images.jpeg(50, 50))
    assert len({f.name for f in result.files}) == len(result.files)
    assert all(len(f.digest) == 32 and f.name.endswith("." + f.ext) for f in result.files)


# As cms/images/process.py configures the process (pytest resets warning filters per test).
@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("data, status, words", [
    (b"", 400, "empty"),
    (images.SVG, 415, "SVG"),
    (images.HTML_AS_JPEG, 415, "not an image"),
    (images.bmp(), 415, "BMP"),
    (images.jpeg(200, 200)[:300], 400, "truncated or corrupt"),
    (images.png_claiming(100_000, 100_000), 413, "megapixels"),
    (images.png_claiming(8000, 6500), 413, "megapixels"),  # 52 MP: over the strict 50 MP limit
])
def test_bad_files_are_refused_with_a_clear_message(data, status, words):
    with pytest.raises(Rejected) as refused:
        process(data)
    assert refused.value.status == status
    assert words in refused.value.message


def test_the_size_limit_is_checked_before_decoding():
    with pytest.raises(Rejected) as refused:
        process(images.jpeg(100, 100), Limits(max_bytes=500))
    assert refused.value.status == 413 and "too large" in refused.value.message


def test_responsive_markup_only_touches_known_media_images():
    known = "/media/%s/%s.jpg" % ("a" * 24, "b" * 32)
    unknown = "/media/%s/%s.jpg" % ("c" * 24, "d" * 32)
    html = '<p><img alt="A &quot;cat&quot;" src="%s"><img src="%s"><img src="https://elsewhere/x.jpg"></p>' % (known, unknown)
    assert media_urls(html) == [known, unknown]
    image = {"url": known, "width": 640, "height": 480, "variants": [{"url": known, "width": 640}, {"url": "/media/x-320", "width": 320}],
             "webp": [{"url": "/media/w", "width": 640}]}
    out = responsive(html, {known: image})
    assert '<picture><source type="image/webp" srcset="/media/w 640w"' in out
    assert 'alt="A &quot;cat&quot;"' in out and 'srcset="/media/x-320 320w, %s 640w"' % known in out
    assert 'width="640" height="480" loading="lazy"' in out
    assert '<img src="%s">' % unknown in out and '<img src="https://elsewhere/x.jpg">' in out


def test_the_sanitiser_keeps_srcset_only_for_this_hosts_media():
    from cms.text.markdown import sanitize

    good = "/media/%s/%s.webp" % ("a" * 24, "b" * 32)
    assert safe_srcset("%s 320w, %s 2x" % (good, good))
    for bad in ("https://evil.example/a.jpg 1x", "//evil.example/%s 1x" % good, "javascript:alert(1) 1x", ""):
        assert safe_srcset(bad) is None
    html = sanitize('<img src="/x.png" srcset="https://evil.example/t.png 2x" onerror="alert(1)">'
                    '<picture><source type="image/webp" srcset="%s 320w"><img src="%s"></picture>' % (good, good))
    assert "evil" not in html and "onerror" not in html
    assert '<source type="image/webp" srcset="%s 320w">' % good in html


def test_the_upload_limit_is_read_from_the_environment():
    from cms.config import ConfigError, Settings

    assert Settings.from_env({}).max_upload_mb == 20
    assert Settings.from_env({"CMS_MAX_UPLOAD_MB": "5"}).max_upload_mb == 5
    assert Settings.from_env({"CMS_MAX_UPLOAD_MB": "90"}).max_upload_mb == 90
    for bad in ("lots", "0", "91", "500"):
        with pytest.raises(ConfigError):
            Settings.from_env({"CMS_MAX_UPLOAD_MB": bad})
