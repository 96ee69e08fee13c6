"""File integrity: every file a bundle lists in its manifest must be there, byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from typing import Any

from .manifest import BundleError

_BLOCK = 1 << 20


def sha256_file(path: Path | str) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Check each file of `manifest["files"]`; BundleError naming the first missing or altered one.

    Files the manifest does not list (a `__pycache__`, a user's notes) are not looked at.
    """
    folder = Path(folder)
    for name, expected in sorted(manifest["files"].items()):
        path = folder / safe_relative(name)
        if not path.is_file():
            raise BundleError(f"{name}: missing from the bundle {folder}")
        actual = sha256_file(path)
        if actual != str(expected).lower():
            raise BundleError(
                f"{name}: altered or damaged (sha256 {actual[:12]}…, the manifest says "
                f"{str(expected)[:12]}…); re-export or re-copy the bundle {folder}"
            )


def safe_relative(name: str) -> Path:
    """A manifest file name as a path inside the bundle; names that climb out are refused."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name or not pure.parts:
        raise BundleError(f"manifest.json: file name {name!r} is not a path inside the bundle")
    return Path(*pure.parts)
