"""Exports killed mid-way: the next export to the same place recognises what they left.

The killed export runs in a child process that sends itself SIGKILL at a known point; a live
export is a child holding its staging folder until the test lets it go.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.api import LabelExportError, Project
from studio.core.staging import recover_leftovers
from tests.core.image_files import save_image
from tests.unprivileged import REPOSITORY

# Killed while the format writes (its progress report), long before anything is published.
KILL_BEFORE_PUBLISHING = """
import os, signal, sys
from studio.api import Project

def die(done, total):
    os.kill(os.getpid(), signal.SIGKILL)

Project.open(sys.argv[1]).export_labels(sys.argv[2], "coco", progress=die)
"""

# Killed between the two renames: the old export moved aside, the new one not yet in place.
KILL_BETWEEN_THE_RENAMES = """
import os, signal, sys
from pathlib import Path
from studio.api import Project

rename = os.replace

def rename_then_die(source, target):
    rename(source, target)
    if Path(target).name == "previous":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = rename_then_die
Project.open(sys.argv[1]).export_labels(sys.argv[2], "coco", overwrite=True)
"""

HOLD_A_STAGING_FOLDER = """
import sys
from pathlib import Path
from studio.core.staging import staged_output

with staged_output(Path(sys.argv[1])) as staged:
    (staged.make_folder() / "labels.txt").write_text("half")
    print(staged.folder, flush=True)
    sys.stdin.read()
"""


def _python(*args: str | Path, **options: object) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.Popen(
        [sys.executable, *map(str, args)], env=environment, text=True, **options
    )


def _staging_folders(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".studio-export-" in path.name)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def labeled_file(tmp_path: Path) -> Path:
    """A closed project file: two photographs with a box each."""
    path = tmp_path / "labeled.studio"
    with Project.create(path, author="tester") as project:
        for index in range(2):
            save_image(tmp_path / "photos" / f"p{index}.jpg", (64, 48), seed=index)
        project.import_media([tmp_path / "photos"])
        project.add_classes(["cat"])
        for item_id in project.item_ids():
            project.annotate(item_id, "cat", box=[1, 1, 10, 10])
    return path


def test_an_export_killed_before_publishing_is_cleaned_up_by_the_next(
    labeled_file: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "exports" / "coco"
    killed = _python("-c", KILL_BEFORE_PUBLISHING, labeled_file, destination)
    assert killed.wait(timeout=60) == -9
    assert not destination.exists()
    [left] = _staging_folders(destination.parent)
    assert _files(destination.parent / left / "output")  # partly written, never published

    with Project.open(labeled_file) as project:
        project.export_labels(destination, "coco")
    assert _staging_folders(destination.parent) == []
    assert sorted(_files(destination)) == [
        "annotations/instances_default.json",
        "images/default/p0.jpg",
        "images/default/p1.jpg",
    ]


def test_an_export_killed_between_the_renames_gets_the_previous_export_back(
    labeled_file: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "coco"
    with Project.open(labeled_file) as project:
        project.export_labels(destination, "coco")
    previous = _files(destination)
    killed = _python("-c", KILL_BETWEEN_THE_RENAMES, labeled_file, destination)
    assert killed.wait(timeout=60) == -9
    assert not destination.exists()  # the only copy is the one moved aside

    with Project.open(labeled_file) as project, pytest.raises(LabelExportError, match="not empty"):
        project.export_labels(destination, "coco")
    assert _files(destination) == previous
    assert _staging_folders(tmp_path) == []


def test_a_live_export_in_another_process_keeps_its_staging_folder(tmp_path: Path) -> None:
    destination = tmp_path / "labels"
    live = _python(
        "-c", HOLD_A_STAGING_FOLDER, destination, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    staging = Path(live.stdout.readline().strip())
    recover_leftovers(destination)
    assert (staging / "output" / "labels.txt").read_text() == "half"
    live.stdin.close()
    assert live.wait(timeout=60) == 0
    assert _staging_folders(tmp_path) == []
