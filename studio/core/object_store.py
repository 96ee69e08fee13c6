"""A content-addressed store of files beside the project: `NAME.studio.d/objects/ab/cdef…`.

Files are written to a temporary name, flushed to disk and renamed into place, so a crash
never leaves a half-written object under its final name, and an item that points at an
object never points at a file that a power cut could take away.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# mkstemp creates files only their owner can read; stored media are ordinary shared files.
OBJECT_MODE = 0o644


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str, suffix: str = "") -> Path:
        return self.root / sha256[:2] / (sha256[2:] + suffix)

    def put(self, source: Path, sha256: str | None = None) -> Path:
        """Copy `source` into the store (once) and return the stored file's path."""
        source = Path(source)
        target = self.path_of(sha256 or file_sha256(source), source.suffix.lower())
        if not target.is_file():
            with source.open("rb") as stream:
                write_atomically(target, lambda out: shutil.copyfileobj(stream, out, 1 << 20))
        return target

    def put_bytes(self, data: bytes, suffix: str = "") -> Path:
        """Store `data` (once) and return the stored file's path."""
        target = self.path_of(hashlib.sha256(data).hexdigest(), suffix.lower())
        if not target.is_file():
            write_atomically(target, lambda out: out.write(data))
        return target


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file, fsync, rename into place, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, OBJECT_MODE)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename inside `directory` durable (POSIX; Windows has no directory handles)."""
    if os.name != "posix":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
