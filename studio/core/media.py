"""Media import and relinking.

Images are referenced in place by default (path relative to the project file, plus size
and sha256), or copied into the project's content-addressed store. Import reads each file
once: the bytes give the hash, and Pillow parses only the header from them (dimensions, EXIF
orientation), never the pixels. A file that is empty, truncated, corrupt, unsupported or a
decompression bomb is skipped with its reason; the rest go into the project as one edit (one
transaction, one undo step).
"""

from __future__ import annotations

import glob
import hashlib
import os
import posixpath
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, update

from studio.core.database import Database
from studio.core.edits import Edit, user_edit
from studio.core.image_probe import ImageInfo, ProbeError, probe_image_data
from studio.core.object_store import ObjectStore, file_sha256
from studio.core.schema import item_table as items
from studio.core.wording import counted

Progress = Callable[[int, int], None]
CHANGED_FILE = "already in the project with other content: the file changed since it was imported"


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.duplicates)} duplicates skipped, "
            f"{len(self.failed)} failed"
        )


@dataclass
class RelinkReport:
    relinked: list[int] = field(default_factory=list)
    still_missing: list[int] = field(default_factory=list)


def resolve(project_root: Path, stored_path: str) -> Path:
    """The absolute path of an item's file from its stored (relative) path.

    Stored paths are relative to the resolved project folder (see `stored_path_for`), so
    folding `..` away textually gives the same file.
    """
    path = Path(stored_path)
    return path if path.is_absolute() else Path(os.path.normpath(project_root / path))


def stored_path_for(project_root: Path, file_path: Path) -> str:
    """Relative to the project folder when possible (so the pair can move together)."""
    return StoredPaths(project_root).of(file_path)


class StoredPaths:
    """`stored_path_for` for many files: each folder is resolved once, not each file.

    A symbolic link to a file is stored as the link (its folder resolved), so the item
    follows the link if its target is replaced.
    """

    def __init__(self, project_root: Path) -> None:
        self.root = os.path.realpath(project_root)
        self.folders: dict[str, str] = {}

    def of(self, file_path: str | Path) -> str:
        folder, name = os.path.split(os.fspath(file_path))
        relative_folder = self.folders.get(folder)
        if relative_folder is None:
            real = os.path.realpath(folder or os.curdir)
            try:
                relative_folder = Path(os.path.relpath(real, self.root)).as_posix()
            except ValueError:  # another drive on Windows
                relative_folder = Path(real).as_posix()
            self.folders[folder] = relative_folder
        return name if relative_folder == "." else f"{relative_folder}/{name}"


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files from files, folders (recursively, every visible file) and glob patterns."""
    files, problems = _expand(paths)
    return [Path(file) for file in files], problems


def _expand(paths: Iterable[str | Path]) -> tuple[list[str], list[tuple[Path, str]]]:
    """`expand_paths` as plain strings: a folder of 100,000 files needs no Path objects."""
    files: list[str] = []
    problems: list[tuple[Path, str]] = []
    for entry in paths:
        text = os.fspath(entry)
        if os.path.isdir(text):
            files.extend(_files_below(text))
        elif os.path.isfile(text):
            files.append(text)
        elif glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            files.extend(match for match in matches if os.path.isfile(match))
            if not matches:
                problems.append((Path(entry), "the pattern matches no file"))
        else:
            problems.append((Path(entry), "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def _files_below(folder: str) -> Iterator[str]:
    """Every visible file below `folder`: those that are not images get reported, not hidden."""
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield os.path.join(directory, name)


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:  # a broken link or a file removed meanwhile
        return None


def _hash_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


@dataclass
class _Probed:
    path: str
    sha256: str | None = None
    info: ImageInfo | None = None
    error: str | None = None


def _probe(path: str) -> _Probed:
    """Read the file once; hash its bytes and parse its header from them.

    Files are probed one after another: on a two-core machine threads made import slower
    (header parsing holds the GIL), as `python -m benchmarks --only import` shows.
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        return _Probed(path, error=f"cannot read the file ({error.strerror or error})")
    try:
        info = probe_image_data(data)
    except ProbeError as error:
        return _Probed(path, error=str(error))
    return _Probed(path, hashlib.sha256(data).hexdigest(), info)


def import_media(
    database: Database,
    project_root: Path,
    store_dir: Path,
    paths: list[str | Path],
    copy: bool = False,
    progress: Progress | None = None,
    author: str = "",
) -> ImportReport:
    database.check_writable()  # before any copy into the store
    files, problems = _expand(paths)
    report = ImportReport(failed=list(problems))
    with database.read() as connection:
        known_rows = connection.execute(select(items.c.sha256, items.c.path)).all()
        highest_known_id = connection.execute(select(func.max(items.c.id))).scalar() or 0
    known = {row.sha256 for row in known_rows}
    known_paths = {row.path for row in known_rows}
    stored_paths = StoredPaths(project_root)
    store = ObjectStore(store_dir / "objects") if copy else None
    now = time.time()
    rows = []
    for done, path in enumerate(files, start=1):
        result = _probe(path)
        if progress is not None:
            progress(done, len(files))
        if result.error is not None:
            report.failed.append((Path(result.path), result.error))
            continue
        if result.sha256 in known:
            report.duplicates.append(Path(result.path))
            continue
        source = store.put(Path(result.path), result.sha256) if store else result.path
        stored_path = stored_paths.of(source)
        if stored_path in known_paths:
            report.failed.append((Path(result.path), CHANGED_FILE))
            continue
        known.add(result.sha256)
        known_paths.add(stored_path)
        rows.append(_item_row(result, stored_path, copied=store is not None, now=now))
    if rows:
        with user_edit(database, f"Import {counted(len(rows), 'image')}", author) as edit:
            report.added = _insert_new_items(edit, rows, report, highest_known_id)
    return report


def _item_row(probed: _Probed, stored_path: str, copied: bool, now: float) -> dict:
    row = new_item_row(
        probed.info,
        probed.sha256,
        stored_path,
        original_name=os.path.basename(probed.path) if copied else None,
        now=now,
    )
    row["_source"] = probed.path
    return row


def new_item_row(
    info: ImageInfo, sha256: str, stored_path: str, original_name: str | None, now: float
) -> dict:
    """The `item` row of a newly imported image (`original_name` when copied into the store)."""
    meta: dict[str, object] = {}
    if info.orientation != 1:
        meta["orientation"] = info.orientation
    if original_name is not None:
        meta["original_name"] = original_name
    return {
        "path": stored_path,
        "sha256": sha256,
        "size_bytes": info.size_bytes,
        "width": info.width,
        "height": info.height,
        "format": info.format,
        "status": "new",
        "split": None,
        "tags": [],
        "meta": meta,
        "added_at": now,
        "updated_at": now,
    }


def _added_since(connection: Connection, highest_known_id: int) -> tuple[set[str], set[str]]:
    """The shas and paths of items added after the import first read the project.

    Ids only grow (AUTOINCREMENT), so whatever another process imported meanwhile has a
    higher id than any this import saw.
    """
    query = select(items.c.sha256, items.c.path).where(items.c.id > highest_known_id)
    rows = connection.execute(query).all()
    return {row.sha256 for row in rows}, {row.path for row in rows}


def _insert_new_items(
    edit: Edit, rows: list[dict], report: ImportReport, highest_known_id: int
) -> list[int]:
    """Insert the rows, inside the write transaction, that nobody added since the read.

    Another process may have imported some of the same files between this import's first
    look at the project and its write lock; those count as duplicates, not as errors.
    """
    taken_shas, taken_paths = _added_since(edit.connection, highest_known_id)
    new_rows = []
    for row in rows:
        source = row.pop("_source")
        if row["sha256"] in taken_shas:
            report.duplicates.append(Path(source))
        elif row["path"] in taken_paths:
            report.failed.append((Path(source), CHANGED_FILE))
        else:
            new_rows.append(row)
    return edit.insert_many(items, new_rows)


def relink(
    database: Database,
    project_root: Path,
    search_paths: list[str | Path],
    progress: Progress | None = None,
) -> RelinkReport:
    """Find moved files by sha256 under `search_paths` and re-point their items.

    Only candidates whose size matches a missing item are hashed, so a large search folder
    costs little.
    """
    with database.read() as connection:
        query = select(items.c.id, items.c.path, items.c.sha256, items.c.size_bytes)
        rows = connection.execute(query.order_by(items.c.id)).all()
    missing = [row for row in rows if not resolve(project_root, row.path).is_file()]
    report = RelinkReport()
    if not missing:
        return report
    sizes = {row.size_bytes for row in missing}
    candidates, _ = expand_paths(search_paths)
    candidates = [path for path in candidates if _size_of(path) in sizes]
    found: dict[str, list[str]] = {}
    stored_paths = StoredPaths(project_root)
    for done, path in enumerate(candidates, start=1):
        digest = _hash_or_none(path)
        if digest is not None:
            found.setdefault(digest, []).append(stored_paths.of(path))
        if progress is not None:
            progress(done, len(candidates))
    new_paths = _files_for_missing_items(missing, found, taken={row.path for row in rows})
    with database.write() as connection:
        for row in missing:
            if row.id in new_paths:
                connection.execute(
                    update(items)
                    .where(items.c.id == row.id)
                    .values(path=new_paths[row.id], updated_at=time.time())
                )
                report.relinked.append(row.id)
            else:
                report.still_missing.append(row.id)
    return report


def _files_for_missing_items(
    missing: list[Any], found: dict[str, list[str]], taken: set[str]
) -> dict[int, str]:
    """Item id → the stored path of the found file it is re-pointed at.

    Several items may have one content (duplicates kept by a label import, ADR 0024), and
    each needs a file of its own (`item.path` is unique): first each item takes a found file
    of its own file name, then the others take the files left, oldest item first. An item
    with no file left stays missing.
    """
    taken = set(taken)
    chosen: dict[int, str] = {}
    for same_name_only in (True, False):
        for row in missing:
            if row.id in chosen:
                continue
            name = posixpath.basename(row.path)
            for path in found.get(row.sha256, []):
                if path in taken or (same_name_only and posixpath.basename(path) != name):
                    continue
                chosen[row.id] = path
                taken.add(path)
                break
    return chosen
