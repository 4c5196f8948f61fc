"""The data directory's permissions and lock (cms/datadir.py), on real files."""

from __future__ import annotations

import os

import pytest

from cms.datadir import DataDirError, DirectoryLock, prepare


def test_prepare_takes_group_and_others_out_of_what_this_user_owns(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "cms.db").write_bytes(b"")
    (data / "cms.db").chmod(0o644)
    (data / "secret").write_bytes(b"")
    (data / "secret").chmod(0o400)  # stricter already: kept as it is
    prepare(data)
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "cms.db").stat().st_mode & 0o777 == 0o600
    assert (data / "secret").stat().st_mode & 0o777 == 0o400


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_directory_lent_by_another_user_is_used_as_it_is(tmp_path, caplog):
    lent = tmp_path / "volume"
    lent.mkdir(mode=0o775)
    lent.chmod(0o775)
    os.chown(lent, 65534, 65534)
    prepare(lent)  # no refusal: root may write there
    assert lent.stat().st_mode & 0o777 == 0o775
    assert "belongs to another user" in caplog.text


def test_an_unusable_directory_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(DataDirError, match="not usable .*CMS_DATA_DIR"):
        prepare(tmp_path / "file" / "data")


def test_the_lock_is_one_holder_at_a_time_and_names_it(tmp_path):
    first, second = DirectoryLock(tmp_path), DirectoryLock(tmp_path)
    assert first.acquire("serve")
    assert not second.acquire("command")  # another open file: flock says no, even in one process
    assert second.is_held_by_other()
    assert second.holder() == {"pid": os.getpid(), "role": "serve"}
    first.release()
    assert not second.is_held_by_other()
    assert second.acquire("command")
    second.release()
