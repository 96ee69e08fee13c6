"""Which project plugin folders this user trusts, remembered by the hash of their files.

Opening a project never runs its code by itself: a project's `NAME.studio.d/plugins/` folder
loads only once the user trusted that folder with exactly these files. Changing, adding or
removing any file changes the fingerprint, so Studio asks again. The list is per user (in
Studio's config folder), never in the project, so a shared project cannot trust itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from studio.core.user_config import config_dir

TRUST_FILE = "trusted-plugin-folders.json"
IGNORED_PARTS = frozenset({"__pycache__", ".DS_Store"})


def plugin_files(folder: Path) -> list[Path]:
    """Every file under `folder` that the fingerprint covers, in a stable order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not IGNORED_PARTS.intersection(path.relative_to(folder).parts)
    )


def folder_fingerprint(folder: Path) -> str:
    """sha256 over every file's relative path and content: any change gives a new value."""
    digest = hashlib.sha256()
    for path in plugin_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class TrustStore:
    """The user's trusted plugin folders: resolved folder path → fingerprint when trusted."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or config_dir()) / TRUST_FILE

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # an unreadable list trusts nothing; trusting again rewrites it
        return (
            {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}
        )

    def _write(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(partial, self.path)

    def is_trusted(self, folder: Path) -> bool:
        """Whether the user trusted `folder` with exactly the files it holds now."""
        remembered = self._read().get(str(folder.resolve()))
        return remembered is not None and remembered == folder_fingerprint(folder)

    def trust(self, folder: Path) -> str:
        """Trust `folder` as it is now; returns the fingerprint remembered."""
        entries = self._read()
        fingerprint = folder_fingerprint(folder)
        entries[str(folder.resolve())] = fingerprint
        self._write(entries)
        return fingerprint

    def forget(self, folder: Path) -> None:
        """Stop trusting `folder` (its plugins stop loading from the next open)."""
        entries = self._read()
        if entries.pop(str(folder.resolve()), None) is not None:
            self._write(entries)
