"""Starting the reliability tests' child processes: same interpreter, repository importable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from studio.api import Project
from tests.conftest import write_images
from tests.reliability.edit_model import IMAGE_SIZE, LABELS

REPOSITORY = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
READY_TIMEOUT_S = 60


def make_template(folder: Path, image_count: int) -> tuple[Path, list[int]]:
    """A closed project with the model's classes and a few images (two history entries)."""
    path = folder / "template.studio"
    with Project.create(path, author="template") as project:
        project.add_classes(list(LABELS))
        images = write_images(folder / "images", image_count, IMAGE_SIZE)
        return path, project.import_media(images).added


def spawn(script: str, *args: object, stdout: IO[str], stderr: IO[str]) -> subprocess.Popen:
    """Run `tests/reliability/SCRIPT ARGS…` with this interpreter."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.Popen(
        [sys.executable, str(HERE / script), *map(str, args)],
        stdout=stdout,
        stderr=stderr,
        env=environment,
        cwd=REPOSITORY,
        text=True,
    )


def wait_for_line(log: Path, line: str, child: subprocess.Popen, errors: Path) -> None:
    """Wait until the child has written `line` to its stdout file (fails if it exits)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while f"{line}\n" not in log.read_text():
        if child.poll() is not None:
            raise AssertionError(f"child exited with {child.returncode}: {errors.read_text()}")
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"child did not print {line!r} in {READY_TIMEOUT_S} s")
        time.sleep(0.005)
