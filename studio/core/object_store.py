"""A content-addressed store of files beside the project: `NAME.studio.d/objects/ab/cdef…`.

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written object under its final name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str, suffix: str = "") -> Path:
        return self.root / sha256[:2] / (sha256[2:] + suffix)

    def put(self, source: Path, sha256: str | None = None) -> Path:
        """Copy `source` into the store (once) and return the stored file's path."""
        source = Path(source)
        digest = sha256 or _sha256(source)
        target = self.path_of(digest, source.suffix.lower())
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out, source.open("rb") as stream:
                shutil.copyfileobj(stream, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
