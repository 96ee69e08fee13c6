"""The content-addressed store: `objects/ab/cdef…`, written once, atomically."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from studio.core.object_store import ObjectStore


def test_put_stores_a_file_under_its_sha256(tmp_path: Path) -> None:
    source = tmp_path / "Photo.JPG"
    source.write_bytes(b"some image bytes")
    sha = hashlib.sha256(b"some image bytes").hexdigest()
    store = ObjectStore(tmp_path / "objects")
    stored = store.put(source)
    assert stored == tmp_path / "objects" / sha[:2] / f"{sha[2:]}.jpg"
    assert stored == store.path_of(sha, ".jpg")
    assert stored.read_bytes() == b"some image bytes"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o644
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]


def test_put_twice_keeps_the_first_copy(tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(b"png bytes")
    store = ObjectStore(tmp_path / "objects")
    first = store.put(source)
    mtime = first.stat().st_mtime_ns
    assert store.put(source, hashlib.sha256(b"png bytes").hexdigest()) == first
    assert first.stat().st_mtime_ns == mtime


def test_a_failed_copy_leaves_no_partial_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(b"x" * 1000)
    store = ObjectStore(tmp_path / "objects")

    def fail_midway(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("studio.core.object_store.shutil.copyfileobj", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        store.put(source)
    assert [p for p in (tmp_path / "objects").rglob("*") if p.is_file()] == []
