"""``python -m cms export --site NAME FILE [--format ...]`` against a real database."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.cli.test_commands import cms, env  # noqa: F401  (env is a fixture)
from tests.export_site import rich_site


async def test_export_writes_each_format_and_says_what_it_wrote(env, world, db, tmp_path):  # noqa: F811
    await rich_site(world, tmp_path)
    archive = tmp_path / "rich.zip"
    code, out, err = await cms(env, "export", "--site", "rich", str(archive))
    assert code == 0, err
    assert out.strip() == "exported rich (archive) to %s: 4 posts and pages, 2 media files" % archive
    with zipfile.ZipFile(archive) as z:
        assert json.loads(z.read("site.json"))["format"] == "cms-site-export"

    markdown = tmp_path / "rich-md.zip"
    code, out, err = await cms(env, "export", "--site", "rich", str(markdown), "--format", "markdown")
    assert code == 0, err
    with zipfile.ZipFile(markdown) as z:
        assert "content/posts/harbour-notes.md" in z.namelist()

    wxr = tmp_path / "rich.xml"
    code, out, err = await cms(env, "export", "--site", "rich", str(wxr), "--format", "wxr",
                               "--base-url", "https://blog.example.org")
    assert code == 0, err
    assert "<link>https://blog.example.org/posts/harbour-notes</link>" in wxr.read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary files left


@pytest.mark.parametrize("target, message", [
    ("exists.zip", "already exists"),
    ("missing-folder/out.zip", "no such folder"),
])
async def test_export_refuses_a_target_it_would_clobber_or_cannot_write(env, world, db, tmp_path,  # noqa: F811
                                                                        target, message):
    await world.site("rich")
    (tmp_path / "exists.zip").write_bytes(b"keep me")
    code, out, err = await cms(env, "export", "--site", "rich", str(tmp_path / target))
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert (tmp_path / "exists.zip").read_bytes() == b"keep me"


async def test_export_of_an_unknown_site_writes_nothing(env, db, tmp_path):  # noqa: F811
    code, out, err = await cms(env, "export", "--site", "nowhere", str(tmp_path / "out.zip"))
    assert code == 1 and err.strip() == "error: no site named 'nowhere'"
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*.part")) == []


async def test_export_with_an_unknown_format_is_a_usage_error(env, db, tmp_path, capsys):  # noqa: F811
    code, _, _ = await cms(env, "export", "--site", "rich", str(tmp_path / "out"), "--format", "pdf")
    assert code == 2 and "invalid choice: 'pdf'" in capsys.readouterr().err  # argparse's own usage line
    assert not (tmp_path / "out").exists()
