"""Media import and relinking.

Images are referenced in place by default (path relative to the project file, plus size
and sha256), or copied into the project's content-addressed store. Import reads only each
file's header (dimensions, EXIF orientation) and its bytes for the hash; a file that is
empty, truncated, corrupt, unsupported or a decompression bomb is skipped with its reason,
and the rest go into the project in one transaction.
"""

from __future__ import annotations

import glob
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select, update

from studio.core.database import Database
from studio.core.image_probe import ImageInfo, ProbeError, probe_image
from studio.core.object_store import ObjectStore
from studio.core.schema import item_table as items

Progress = Callable[[int, int], None]
_WORKERS = min(8, (os.cpu_count() or 2) + 2)
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
    """The absolute path of an item's file from its stored (relative) path."""
    path = Path(stored_path)
    return path if path.is_absolute() else project_root / path


def stored_path_for(project_root: Path, file_path: Path) -> str:
    """Relative to the project folder when possible (so the pair can move together)."""
    absolute = file_path.resolve()
    try:
        return Path(os.path.relpath(absolute, project_root.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return absolute.as_posix()


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files from files, folders (recursively, image suffixes only) and glob patterns."""
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for entry in paths:
        text = str(entry)
        path = Path(entry)
        if path.is_dir():
            files.extend(_images_below(path))
        elif path.is_file():
            files.append(path)
        elif glob.has_magic(text):
            matches = sorted(Path(match) for match in glob.glob(text, recursive=True))
            files.extend(match for match in matches if match.is_file())
            if not matches:
                problems.append((path, "the pattern matches no file"))
        else:
            problems.append((path, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def _images_below(folder: Path) -> Iterator[Path]:
    """Every visible file below `folder`: those that are not images get reported, not hidden."""
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(directory) / name


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Probed:
    path: Path
    sha256: str | None = None
    info: ImageInfo | None = None
    error: str | None = None


def _probe(path: Path) -> _Probed:
    try:
        info = probe_image(path)
        return _Probed(path, _hash_file(path), info)
    except ProbeError as error:
        return _Probed(path, error=str(error))
    except OSError as error:
        return _Probed(path, error=f"cannot read the file ({error.strerror or error})")


def _probe_all(files: list[Path], progress: Progress | None) -> list[_Probed]:
    results: list[_Probed] = []
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for done, probed in enumerate(pool.map(_probe, files), start=1):
            results.append(probed)
            if progress is not None:
                progress(done, len(files))
    return results


def import_media(
    database: Database,
    project_root: Path,
    store_dir: Path,
    paths: list[str | Path],
    copy: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    files, problems = expand_paths(paths)
    report = ImportReport(failed=list(problems))
    probed = _probe_all(files, progress)
    with database.read() as connection:
        known_rows = connection.execute(select(items.c.sha256, items.c.path)).all()
    known = {row.sha256 for row in known_rows}
    known_paths = {row.path for row in known_rows}
    rows = []
    store = ObjectStore(store_dir / "objects") if copy else None
    now = time.time()
    for result in probed:
        if result.error is not None:
            report.failed.append((result.path, result.error))
            continue
        if result.sha256 in known:
            report.duplicates.append(result.path)
            continue
        source = store.put(result.path, result.sha256) if store is not None else result.path
        stored_path = stored_path_for(project_root, source)
        if stored_path in known_paths:
            report.failed.append((result.path, CHANGED_FILE))
            continue
        known.add(result.sha256)
        known_paths.add(stored_path)
        info = result.info
        rows.append(
            {
                "path": stored_path,
                "sha256": result.sha256,
                "size_bytes": info.size_bytes,
                "width": info.width,
                "height": info.height,
                "format": info.format,
                "status": "new",
                "split": None,
                "tags": [],
                "meta": {"orientation": info.orientation} if info.orientation != 1 else {},
                "added_at": now,
                "updated_at": now,
            }
        )
    if rows:
        with database.write() as connection:
            connection.execute(insert(items), rows)
            shas = [row["sha256"] for row in rows]
            id_by_sha = {}
            for start in range(0, len(shas), 500):
                chunk = shas[start : start + 500]
                query = select(items.c.sha256, items.c.id).where(items.c.sha256.in_(chunk))
                id_by_sha.update(dict(connection.execute(query).tuples().all()))
            report.added = [id_by_sha[sha] for sha in shas]
    return report


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
        rows = connection.execute(
            select(items.c.id, items.c.path, items.c.sha256, items.c.size_bytes)
        )
        missing = [row for row in rows if not resolve(project_root, row.path).is_file()]
    report = RelinkReport()
    if not missing:
        return report
    sizes = {row.size_bytes for row in missing}
    candidates, _ = expand_paths(search_paths)
    candidates = [path for path in candidates if path.stat().st_size in sizes]
    found: dict[str, Path] = {}
    for done, path in enumerate(candidates, start=1):
        found.setdefault(_hash_file(path), path)
        if progress is not None:
            progress(done, len(candidates))
    with database.write() as connection:
        for row in missing:
            if row.sha256 in found:
                new_path = stored_path_for(project_root, found[row.sha256])
                connection.execute(
                    update(items)
                    .where(items.c.id == row.id)
                    .values(path=new_path, updated_at=time.time())
                )
                report.relinked.append(row.id)
            else:
                report.still_missing.append(row.id)
    return report
