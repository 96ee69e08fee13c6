"""Running Python without root's override of file permissions, for read-only projects.

The tests run as root, which may write any file; a read-only file only stays read-only for a
process without the `dac_override` capability. `setpriv` drops it (and `dac_read_search`)
for one child process, instead of switching users (pytest's temporary folders are 0700).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
DROP_OVERRIDE = (
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
)


def run_python(*args: str | Path, timeout_s: float = 120) -> subprocess.CompletedProcess:
    """`python ARGS…` in a child that file permissions bind (as root: through setpriv)."""
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is needed to drop root's override of file permissions")
        prefix = DROP_OVERRIDE
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [*prefix, sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=environment,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Each file in `folder` (not below it) → its sha256: what a read-only open must keep."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` (a file or a folder) without write permission, restored afterwards."""
    mode = stat.S_IMODE(path.stat().st_mode)
    path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield path
    finally:
        path.chmod(mode)


@contextmanager
def read_only_copies(project: Path, root: Path) -> Iterator[tuple[Path, Path]]:
    """Two copies of the closed `project` under `root`: a read-only file in a writable
    folder, and a writable file in a read-only folder (permissions restored afterwards)."""
    in_read_only_folder = root / "read-only folder" / project.name
    read_only_file = root / "read-only file" / project.name
    for copy in (read_only_file, in_read_only_folder):
        copy.parent.mkdir(parents=True)
        shutil.copyfile(project, copy)
    with read_only(read_only_file), read_only(in_read_only_folder.parent):
        yield read_only_file, in_read_only_folder
