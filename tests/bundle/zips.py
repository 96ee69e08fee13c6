"""Zip archives for the guarded extractor's tests: well-formed ones and every kind it refuses."""

from __future__ import annotations

import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from studio.bundle.safe_zip import RATIO_FLOOR_BYTES

Entry = tuple[zipfile.ZipInfo | str, bytes]


def zip_folder(
    folder: Path, archive: Path, top: str | None = None, compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    """Zip every file below `folder`, under the top-level folder `top` if given (ZIP_STORED
    for `compression` spares a test the seconds of deflating a model)."""
    with zipfile.ZipFile(archive, "w", compression) as bundle:
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
