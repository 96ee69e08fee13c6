"""The guarded zip extractor: what it extracts, what it refuses, and imports of zipped datasets."""

from __future__ import annotations

import stat
import struct
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import LabelImportError
from studio.core.formats.safe_zip import MAX_RATIO, RATIO_FLOOR_BYTES, extract_zip
from tests.core.formats.helpers import FORMAT_FIXTURES, dump, signature

Entry = tuple[zipfile.ZipInfo | str, bytes]


def zip_folder(folder: Path, archive: Path, top: str | None = None) -> Path:
    """Zip every file below `folder`, under the top-level folder `top` if given."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                bundle.write(path, f"{top}/{name}" if top else name)
    return archive


def write_zip(archive: Path, entries: list[Entry]) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for info, data in entries:
            bundle.writestr(info, data)
    return archive


def unix_entry(name: str, file_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (file_type | 0o644) << 16
    return info


def files_below(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def temporary_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the importer's temporary folders go, so a test can see that they are gone."""
    root = tmp_path / "temporary"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


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


def lying_entry(archive: Path, folder: Path) -> None:
    """An entry whose headers declare 100 bytes but whose data inflate to 64 KiB."""
    data = b"label " * 11000
    write_zip(archive, [("labels.txt", data)])
    raw = bytearray(archive.read_bytes())
    real_size = struct.pack("<I", len(data))
    declared = struct.pack("<I", 100)
    assert raw.count(real_size) == 2  # the local header and the central directory
    archive.write_bytes(bytes(raw).replace(real_size, declared))


def corrupt_data(archive: Path, folder: Path) -> None:
    """An entry whose deflated data is garbage (a damaged download)."""
    write_zip(archive, [("labels.txt", bytes(range(256)) * 100)])
    raw = bytearray(archive.read_bytes())
    start = 30 + len("labels.txt")  # after the local file header
    raw[start : start + 20] = b"\xff" * 20
    archive.write_bytes(bytes(raw))


def not_a_zip(archive: Path, folder: Path) -> None:
    archive.write_text("plain text")


def holding(*entries: Entry) -> Callable[[Path, Path], None]:
    def builder(archive: Path, folder: Path) -> None:
        write_zip(archive, list(entries))

    return builder


def absolute_entry(archive: Path, folder: Path) -> None:
    """An absolute path into the test's own folder, where a failure would be seen."""
    write_zip(archive, [(f"{folder}/evil.txt", b"x")])


REFUSED = {
    "parent-folder": (holding(("dataset/../../evil.txt", b"x")), "outside the archive"),
    "backslash-parent": (holding(("..\\evil.txt", b"x")), "outside the archive"),
    "absolute": (absolute_entry, "absolute path"),
    "windows-drive": (holding(("C:/evil.txt", b"x")), "absolute path"),
    "windows-drive-backslash": (holding(("D:\\data\\evil.txt", b"x")), "absolute path"),
    "symlink": (
        holding((unix_entry("dataset/a.jpg", stat.S_IFLNK), b"../../../etc/passwd")),
        "symbolic links",
    ),
    "device": (holding((unix_entry("dataset/tty", stat.S_IFCHR), b"")), "special files"),
    "bomb": (holding(("dataset/zeros.bin", bytes(RATIO_FLOOR_BYTES * 2 + 1))), "zip bomb"),
    "lying-size": (lying_entry, "not a readable zip archive"),
    "corrupt-data": (corrupt_data, "not a readable zip archive"),
    "not-a-zip": (not_a_zip, "not a readable zip"),
}


def make_refused(case: str, tmp_path: Path) -> Path:
    archive = tmp_path / "incoming" / f"{case}.zip"
    archive.parent.mkdir()
    REFUSED[case][0](archive, tmp_path)
    return archive


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

    with pytest.raises(LabelImportError) as caught:
        extract_zip(archive, target)

    assert str(archive) in str(caught.value)
    assert REFUSED[case][1] in str(caught.value)
    assert not list(tmp_path.rglob("*evil.txt"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["target"]
    assert not any(path.is_symlink() for path in tmp_path.rglob("*"))
    for path in target.rglob("*"):
        if path.is_file():
            assert path.stat().st_size <= 100  # only the lying entry's declared bytes, if any


@pytest.mark.parametrize("case", sorted(set(REFUSED) - {"not-a-zip"}))
def test_import_of_a_refused_zip_changes_nothing(
    case: str, tmp_path: Path, temporary_root: Path
) -> None:
    archive = make_refused(case, tmp_path)
    with Project.create(tmp_path / "busy.studio") as project:
        project.import_labels(FORMAT_FIXTURES / "coco/annotations/instances_val2017.json")
        before = dump(project.path)

        with pytest.raises(LabelImportError) as caught:
            project.import_labels(archive, format="coco")

        assert archive.name in str(caught.value)
        assert dump(project.path) == before
    assert list(temporary_root.iterdir()) == []
    assert not list(tmp_path.rglob("*evil.txt"))


def test_import_of_a_file_named_zip_that_is_not_one_fails_cleanly(
    tmp_path: Path, temporary_root: Path
) -> None:
    archive = make_refused("not-a-zip", tmp_path)
    with Project.create(tmp_path / "busy.studio") as project:
        before = dump(project.path)
        with pytest.raises(LabelImportError) as caught:
            project.import_labels(archive)
        assert archive.name in str(caught.value)
        assert dump(project.path) == before
    assert list(temporary_root.iterdir()) == []


# -- importing zipped datasets --------------------------------------------------------------


@pytest.mark.parametrize("format_name", ["coco", "label_studio"])
def test_zipped_dataset_imports_into_the_store(
    format_name: str, tmp_path: Path, temporary_root: Path
) -> None:
    source = FORMAT_FIXTURES / format_name
    archive = zip_folder(source, tmp_path / f"{format_name}.zip", top=f"{format_name}-export")
    assert Project.detect_label_format(archive) == format_name
    with Project.create(tmp_path / "unzipped.studio") as unzipped:
        unzipped.import_labels(source)
        expected = signature(unzipped)

    with Project.create(tmp_path / "zipped.studio") as project:
        report = project.import_labels(archive)

        assert report.format == format_name
        assert report.items_added == len(expected)
        assert signature(project) == expected
        for item in project.items():
            stored = project.media_path(item)
            assert stored.is_file()
            assert stored.is_relative_to(project.store_dir / "objects")
    assert list(temporary_root.iterdir()) == []
