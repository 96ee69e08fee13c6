"""The guarded zip extractor (studio.bundle.safe_zip): what it extracts and what it refuses."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from studio.bundle.safe_zip import MAX_RATIO, RATIO_FLOOR_BYTES, UnsafeZipError, extract_zip
from tests.bundle.zips import REFUSED, files_below, make_refused, write_zip, zip_folder
from tests.core.formats.helpers import FORMAT_FIXTURES

# -- extracting ------------------------------------------------------------------------------


def test_extract_returns_the_single_top_folder(tmp_path: Path) -> None:
    archive = zip_folder(FORMAT_FIXTURES / "coco", tmp_path / "coco.zip", top="my-dataset")
    target = tmp_path / "target"
    target.mkdir()

    root = extract_zip(archive, target)

    assert root == target / "my-dataset"
    assert files_below(root) == files_below(FORMAT_FIXTURES / "coco")
    original = FORMAT_FIXTURES / "coco/train2017/000000000285.png"
    assert (root / "train2017/000000000285.png").read_bytes() == original.read_bytes()


def test_extract_without_a_top_folder_returns_the_target(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "flat.zip",
        [("a.txt", b"one"), ("sub/b.txt", b"two"), ("__MACOSX/._a.txt", b"resource fork")],
    )
    target = tmp_path / "target"
    target.mkdir()

    assert extract_zip(archive, target) == target
    assert (target / "sub/b.txt").read_bytes() == b"two"


def test_small_entries_that_compress_well_are_fine(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "small.zip", [("empty-labels.txt", bytes(RATIO_FLOOR_BYTES))])
    target = tmp_path / "target"
    target.mkdir()

    extract_zip(archive, target)

    assert (target / "empty-labels.txt").stat().st_size == RATIO_FLOOR_BYTES


# -- refusals --------------------------------------------------------------------------------


def test_the_bomb_really_is_one(tmp_path: Path) -> None:
    archive = make_refused("bomb", tmp_path)
    (entry,) = zipfile.ZipFile(archive).infolist()
    assert entry.file_size > RATIO_FLOOR_BYTES
    assert entry.file_size / entry.compress_size > MAX_RATIO
    assert archive.stat().st_size < 10_000


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_extract_refuses(case: str, tmp_path: Path) -> None:
    archive = make_refused(case, tmp_path)
    target = tmp_path / "out" / "target"
    target.mkdir(parents=True)

    with pytest.raises(UnsafeZipError) as caught:
        extract_zip(archive, target)

    assert str(archive) in str(caught.value)
    assert REFUSED[case][1] in str(caught.value)
    assert not list(tmp_path.rglob("*evil.txt"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["target"]
    assert not any(path.is_symlink() for path in tmp_path.rglob("*"))
    for path in target.rglob("*"):
        if path.is_file():
            assert path.stat().st_size <= 100  # only the lying entry's declared bytes, if any
