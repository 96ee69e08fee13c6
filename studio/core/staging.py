"""Exports written beside their destination and renamed into place, safe against a kill.

Every export (a label export folder, a bundle folder, a bundle zip) is written inside a
hidden staging folder beside its destination NAME, `.NAME.studio-export-<pid>-<random>/`:

    output      what the export writes; renamed to NAME once finished
    previous    the NAME it replaces, moved aside for the swap; deleted afterwards

While the export runs, its process holds an OS lock (`flock`) on the staging folder, released
by the kernel however the process ends. The next export to NAME calls `recover_leftovers`
first: a staging folder of NAME that nobody holds is a killed export's. When NAME is missing
and such a folder holds `previous` (the kill came between the two renames), that copy is
put back as NAME, since it may be the only one; the rest of the folder is deleted, and its
`output` is never taken for a finished export. Staging folders a live export holds are left.

The staging folder, and everything the export writes with `open` or `mkdir`, gets the usual
permissions (0o777 / 0o666 less the umask), not the 0o700 / 0o600 of `tempfile`, so a
published export is readable by whoever may read the folder it is in.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from studio.core.object_store import fsync_directory

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None  # type: ignore[assignment]

STAGING_MARK = ".studio-export-"
OUTPUT_NAME = "output"
PREVIOUS_NAME = "previous"


def _staging_pattern(destination: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(destination.name)}{re.escape(STAGING_MARK)}\d+-[0-9a-f]+")


def _lock(folder: Path, wait: bool) -> int | None:
    """An open handle of `folder` holding its exclusive lock; None when another holds it.

    Without flock (Windows) no lock can be taken, so no folder is ever taken for a leftover.
    """
    if fcntl is None:
        return None
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    except BaseException:
        os.close(handle)
        raise
    return handle


def _leftovers(destination: Path) -> list[Path]:
    pattern = _staging_pattern(destination)
    if not destination.parent.is_dir():
        return []
    return sorted(
        path
        for path in destination.parent.iterdir()
        if pattern.fullmatch(path.name) and path.is_dir() and not path.is_symlink()
    )


def recover_leftovers(destination: Path) -> None:
    """Clean up what killed exports to `destination` left beside it (see the module doc)."""
    for folder in _leftovers(destination):
        try:
            handle = _lock(folder, wait=False)
        except FileNotFoundError:  # another export cleaned it up meanwhile
            continue
        if handle is None:
            continue  # a live export holds it
        try:
            previous = folder / PREVIOUS_NAME
            if not os.path.lexists(destination) and os.path.lexists(previous):
                os.replace(previous, destination)
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(handle)


class StagedOutput:
    """One export's staging folder, locked; `output` is where the export writes."""

    def __init__(self, destination: Path) -> None:
        self.destination = destination
        self.folder, self._handle = self._create()
        self.output = self.folder / OUTPUT_NAME

    def _create(self) -> tuple[Path, int | None]:
        """A new staging folder and its lock; tried again if a cleanup took it first."""
        parent, name = self.destination.parent, self.destination.name
        while True:
            folder = parent / f".{name}{STAGING_MARK}{os.getpid()}-{secrets.token_hex(4)}"
            os.mkdir(folder)
            try:
                handle = _lock(folder, wait=True)
            except FileNotFoundError:
                continue
            if fcntl is None or os.stat(folder).st_ino == os.fstat(handle).st_ino:
                return folder, handle
            os.close(handle)  # a cleanup deleted it between mkdir and lock

    def make_folder(self) -> Path:
        """`output` as an empty folder (for a folder export)."""
        os.mkdir(self.output)
        return self.output

    def publish(self) -> None:
        """Rename `output` to the destination; an old destination goes only after that.

        A file replaces a file in one rename; a folder needs two, the old one moved aside to
        `previous` first, where `recover_leftovers` finds it if the process dies between them.
        """
        if not self.output.is_dir():
            os.replace(self.output, self.destination)
        else:
            previous = self.folder / PREVIOUS_NAME
            if os.path.lexists(self.destination):
                os.replace(self.destination, previous)
            try:
                os.replace(self.output, self.destination)
            except OSError:
                if os.path.lexists(previous):
                    os.replace(previous, self.destination)
                raise
        fsync_directory(self.destination.parent)

    def close(self) -> None:
        """Delete the staging folder (a replaced export, or an unfinished one) and unlock."""
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


@contextmanager
def staged_output(destination: Path) -> Iterator[StagedOutput]:
    """A locked staging folder beside `destination`, always removed at the end.

    Call `recover_leftovers(destination)` before checking the destination, then write to
    `staged.output` and call `staged.publish()`; leaving without publishing (an error, a
    cancel) leaves the destination as it was.
    """
    staged = StagedOutput(Path(destination))
    try:
        yield staged
    finally:
        staged.close()
