"""The file store: the filesystem backend's guarantees, and the API going through the store."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from convos_server.storage import FilesystemStore, StorageKeyError, new_key
from tests.server.test_files import png_bytes, seed_people, upload


def stored_keys(root: Path) -> list[str]:
    """Keys with bytes in the store (staging files are not stored files)."""
    return sorted(
        path.parent.name + path.name
        for path in root.rglob("*")
        if path.is_file() and path.parent.name != "incoming"
    )


def test_put_open_exists_delete(tmp_path):
    store = FilesystemStore(tmp_path / "files")
    key = store.put_bytes(b"hello")
    assert store.exists(key)
    with store.open(key) as stream:
        assert stream.read() == b"hello"
    assert stored_keys(tmp_path / "files") == [key]
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # idempotent: already gone is fine
    with pytest.raises(FileNotFoundError):
        store.open(key)
    assert not list((tmp_path / "files" / "incoming").iterdir())


def test_put_moves_a_staged_upload_under_a_fresh_key(tmp_path):
    store = FilesystemStore(tmp_path / "files")
    staged = store.staging_path()
    staged.write_bytes(b"x" * 1000)
    first = store.put(staged)
    assert not staged.exists()
    assert store.put_bytes(b"x" * 1000) != first
    assert store.path_for(first).read_bytes() == b"x" * 1000


@pytest.mark.parametrize(
    "crafted", ["../../etc/passwd", "ab/../../x", "/etc/passwd", "", "AB" + new_key()[2:]]
)
def test_no_key_names_a_path_outside_the_root(tmp_path, crafted):
    store = FilesystemStore(tmp_path / "files")
    assert store.path_for(new_key()).is_relative_to((tmp_path / "files").resolve())
    for operation in (store.path_for, store.open, store.exists, store.delete):
        with pytest.raises(StorageKeyError):
            operation(crafted)


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    store = FilesystemStore(tmp_path / "files")
    secret = tmp_path / "secret"
    secret.write_bytes(b"top secret")
    key = new_key()
    link = tmp_path / "files" / key[:2] / key[2:]
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    with pytest.raises(StorageKeyError):
        store.open(key)


def test_bytes_are_on_disk_before_the_rename_and_the_key_appears_whole(tmp_path, monkeypatch):
    store = FilesystemStore(tmp_path / "files")
    data = os.urandom(300_000)
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append("fsync")
        real_fsync(fd)

    def replace(source: str | Path, target: str | Path) -> None:
        assert Path(source).read_bytes() == data  # the whole file, already flushed
        assert not Path(target).exists()  # the key shows nothing until the rename
        steps.append("rename")
        real_replace(source, target)

    monkeypatch.setattr("convos_server.storage.os.fsync", fsync)
    monkeypatch.setattr("convos_server.storage.os.replace", replace)
    key = store.put_bytes(data)
    assert steps[:2] == ["fsync", "rename"]
    assert store.path_for(key).read_bytes() == data


def test_a_crash_mid_write_leaves_no_stored_file(tmp_path, monkeypatch):
    store = FilesystemStore(tmp_path / "files")

    class CrashError(Exception):
        pass

    def crash(*_args: object) -> None:
        raise CrashError

    monkeypatch.setattr("convos_server.storage.os.replace", crash)
    with pytest.raises(CrashError):
        store.put_bytes(b"half of a file")
    assert stored_keys(tmp_path / "files") == []
    assert not list((tmp_path / "files" / "incoming").iterdir())


def test_stale_staging_files_are_swept_fresh_ones_kept(tmp_path):
    store = FilesystemStore(tmp_path / "files")
    stale, fresh = store.staging_path(), store.staging_path()
    stale.write_bytes(b"a process died here")
    fresh.write_bytes(b"an upload in progress elsewhere")
    old = time.time() - 2 * 24 * 3600
    os.utime(stale, (old, old))
    assert store.sweep_staging() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert FilesystemStore(tmp_path / "empty").sweep_staging() == 0


class RecordingStore(FilesystemStore):
    """A filesystem store that notes every operation the server asks of it."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[str] = []

    def put(self, staged: Path) -> str:
        self.calls.append("put")
        return super().put(staged)

    def open(self, key: str) -> BinaryIO:
        self.calls.append("open")
        return super().open(key)

    def delete(self, key: str) -> None:
        self.calls.append("delete")
        super().delete(key)


async def test_the_api_reads_and_writes_bytes_through_the_app_store(
    live_app, live_server, settings, tmp_path
):
    store = RecordingStore(tmp_path / "shared-mount")
    live_app.state.files = store
    people = await seed_people(settings, live_server)

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        data = png_bytes((64, 64))
        response = await upload(http, people.headers["admin"], "p.png", data, library="1")
        assert response.status_code == 201, response.text
        body = response.json()
        assert store.calls == ["put"]
        assert len(stored_keys(store.root)) == 1
        assert not (settings.data_dir / "files").exists()
        download = await http.get(body["url"], headers=people.headers["ag1"])
        assert download.content == data
        assert download.headers["content-length"] == str(len(data))
        assert store.calls == ["put", "open"]
        removed = await http.delete(
            f"/api/v1/files/{body['id']}/library", headers=people.headers["admin"]
        )
        assert removed.status_code == 204
        assert store.calls == ["put", "open", "delete"]
        assert stored_keys(store.root) == []


async def test_missing_bytes_are_a_404_not_a_500(live_app, live_server, settings):
    people = await seed_people(settings, live_server)

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        response = await upload(http, people.headers["ag1"], "p.png", png_bytes((64, 64)))
        body = response.json()
        store: FilesystemStore = live_app.state.files
        [key] = stored_keys(store.root)
        store.delete(key)
        assert (await http.get(body["url"], headers=people.headers["ag1"])).status_code == 404
