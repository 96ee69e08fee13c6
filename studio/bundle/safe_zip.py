"""Extracting a zip without trusting it: bundle zips and label-import zips alike.

Refused, before anything is written: entries with absolute paths, drive letters or `..`
that would land outside the target folder (zip-slip), symbolic links, device and other
special entries, more than `MAX_ENTRIES` entries, a total size beyond `MAX_TOTAL_BYTES`,
and any entry that expands more than `MAX_RATIO` times (a zip bomb). Sizes are enforced
while inflating too, so a lying header cannot get past them.

Part of the bundle runtime (it imports nothing of Studio); Studio's label importer uses it too
and turns `UnsafeZipError` into its own error.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath, PureWindowsPath

from .manifest import BundleError

MAX_ENTRIES = 1_000_000
MAX_TOTAL_BYTES = 64 * 1024**3
MAX_RATIO = 200
# Tiny entries may legitimately compress very well (an empty label file); the ratio test
# starts above this size.
RATIO_FLOOR_BYTES = 1024 * 1024
CHUNK = 1 << 20


class UnsafeZipError(BundleError):
    """A zip that cannot be extracted safely; nothing outside the target folder was written.

    `archive` is the zip, `problem` what is wrong, `entry` the member at fault (or None).
    """

    def __init__(self, archive: Path | str, problem: str, entry: str | None = None) -> None:
        self.archive = str(archive)
        self.problem = problem
        self.entry = entry
        where = f"{self.archive}: {entry}" if entry else self.archive
        super().__init__(f"{where}: {problem}")


def is_zip(path: Path) -> bool:
    return Path(path).is_file() and zipfile.is_zipfile(path)


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract `archive` into the empty folder `target`; returns the root of what it holds.

    The root is `target` itself, or its single top-level folder when the zip holds one.
    """
    try:
        with zipfile.ZipFile(archive) as zipped:
            entries = zipped.infolist()
            _check_entries(archive, entries)
            for entry in entries:
                _extract_entry(archive, zipped, entry, target)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise UnsafeZipError(archive, f"not a readable zip archive ({error})") from None
    except (OSError, RuntimeError, NotImplementedError) as error:
        raise UnsafeZipError(archive, f"cannot extract the archive ({error})") from None
    children = [child for child in target.iterdir() if not child.name.startswith(("__MACOSX", "."))]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return target


def _check_entries(archive: Path, entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise UnsafeZipError(archive, f"the archive has {len(entries):,} entries, too many")
    total = 0
    for entry in entries:
        where = f"entry {entry.filename!r}"
        _check_name(archive, entry.filename, where)
        # Unix file type bits; zips written without them (Python's writestr, Windows tools)
        # hold plain files and folders.
        file_type = stat.S_IFMT(entry.external_attr >> 16)
        if file_type == stat.S_IFLNK:
            raise UnsafeZipError(archive, "symbolic links are refused", where)
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeZipError(archive, "special files are refused", where)
        if entry.file_size > RATIO_FLOOR_BYTES and (
            entry.compress_size == 0 or entry.file_size / entry.compress_size > MAX_RATIO
        ):
            raise UnsafeZipError(
                archive,
                f"expands {entry.file_size:,} bytes from {entry.compress_size:,}: refused as "
                "a zip bomb",
                where,
            )
        total += entry.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnsafeZipError(
                archive, f"the archive expands to more than {MAX_TOTAL_BYTES:,} bytes"
            )


def _check_name(archive: Path, name: str, where: str) -> None:
    posix = name.replace("\\", "/")
    if "\x00" in name or not posix.strip("/"):
        raise UnsafeZipError(archive, "an entry has an empty or invalid name", where)
    if posix.startswith("/") or PureWindowsPath(name).drive:
        raise UnsafeZipError(archive, "an absolute path is refused", where)
    if ".." in PurePosixPath(posix).parts:
        raise UnsafeZipError(archive, "a path leading outside the archive is refused", where)


def _extract_entry(
    archive: Path, zipped: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path
) -> None:
    relative = PurePosixPath(entry.filename.replace("\\", "/"))
    destination = target.joinpath(*relative.parts)
    if not destination.resolve().is_relative_to(target.resolve()):
        raise UnsafeZipError(
            archive, "a path leading outside the archive is refused", f"entry {entry.filename!r}"
        )
    if entry.is_dir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    limit = entry.file_size
    with zipped.open(entry) as stream, open(destination, "xb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > limit:
                where = f"entry {entry.filename!r}"
                raise UnsafeZipError(archive, "the entry inflates past its declared size", where)
            out.write(chunk)
