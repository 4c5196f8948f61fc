"""``python -m cms export --site NAME FILE [--format ...]`` and ``import archive FILE --site NAME``
against a real database."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.cli.test_commands import cms, env  # noqa: F401  (env is a fixture)
from tests.conftest import TEST_PASSWORD
from tests.export_site import new_site, rich_site, snapshot


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


async def test_a_site_exported_and_imported_on_the_command_line_is_the_same_site(env, world, db, tmp_path):  # noqa: F811
    await rich_site(world, tmp_path)
    archive = tmp_path / "rich.zip"
    assert (await cms(env, "export", "--site", "rich", str(archive)))[0] == 0
    await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    code, out, err = await cms(env, "import", "archive", str(archive), "--site", "copy")
    assert code == 0, err
    assert out.splitlines()[0] == ("imported %s into copy: 4 posts and pages, 6 revisions, 2 media files, "
                                   "2 redirects" % archive)
    assert "member added: editor-rich@example.com (editor)" in out
    before, after = await snapshot(db, "rich"), await snapshot(db, "copy")
    assert after["posts"] == before["posts"] and after["revisions"] == before["revisions"]


async def test_import_archive_prints_invitation_links_for_people_without_an_account(env, world, db, tmp_path):  # noqa: F811
    rich = await rich_site(world, tmp_path)
    archive = tmp_path / "rich.zip"
    assert (await cms(env, "export", "--site", "rich", str(archive)))[0] == 0
    await db.users.delete_one({"_id": rich["author"]["_id"]})  # someone this platform no longer knows
    await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    code, out, err = await cms(env, "import", "archive", str(archive), "--site", "copy")
    assert code == 0, err
    invited = [line for line in out.splitlines() if line.startswith("invited ")]
    assert len(invited) == 1 and invited[0].startswith(
        "invited author-rich@example.com as author: http://copy.localhost:8888/invitation?token=")
    assert await db.users.count_documents({"email": "author-rich@example.com"}) == 0


@pytest.mark.parametrize("args, message", [
    (["import", "archive", "ARCHIVE", "--site", "rich"], "already has posts or media"),  # not a new site
    (["import", "archive", "ARCHIVE", "--site", "copy", "--media", "MEDIA"], "--media is for wordpress"),
    (["import", "archive", "NOTZIP", "--site", "copy"], "is not a site archive"),
    (["import", "archive", "ARCHIVE", "--site", "nowhere"], "no site named 'nowhere'"),
])
async def test_import_archive_refuses_bad_input_in_one_line_and_changes_nothing(env, world, db, tmp_path,  # noqa: F811
                                                                                args, message):
    await rich_site(world, tmp_path)
    archive = tmp_path / "rich.zip"
    assert (await cms(env, "export", "--site", "rich", str(archive)))[0] == 0
    copy = await new_site(db, "copy", "owner-rich@example.com", TEST_PASSWORD)
    (tmp_path / "notes.txt").write_text("not a zip")
    paths = {"ARCHIVE": str(archive), "NOTZIP": str(tmp_path / "notes.txt"), "MEDIA": str(tmp_path)}
    before = (await db.posts.count_documents({}), await db.media_items.count_documents({}),
              await db.memberships.count_documents({}))
    code, out, err = await cms(env, *[paths.get(a, a) for a in args])
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and message in err, err
    assert (await db.posts.count_documents({}), await db.media_items.count_documents({}),
            await db.memberships.count_documents({})) == before
    assert await copy.invitations.pending() == []
