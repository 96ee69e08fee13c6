"""Importing a folder of JPEGs: `Project.import_media` against a bare hash-and-header loop.

The baseline does the least any importer must do: list the folder, hash every file
(sha256) and read its header (`Image.open(...).size`), in one plain loop. Both sides read
the same files, which were just written and so sit in the page cache for every pass (the
benchmark cannot drop caches without root). Passes alternate, the baseline running first,
between Studio's passes and last, so a drift in the machine's load or cache hits both sides
alike; each side's best pass counts. Every Studio pass imports into a fresh project file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PIL import Image

from benchmarks.fixtures import JPEG_SIZE, write_jpegs
from benchmarks.harness import Measurement, Session, timed
from studio.api import Project

FULL_IMAGES = 10_000
QUICK_IMAGES = 200
STUDIO_PASSES = 3
TARGET = 0.8


def bare_loop(folder: Path) -> int:
    """Hash every file and read its image header; returns how many files it read."""
    count = 0
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
        with open(entry.path, "rb") as stream:
            hashlib.sha256(stream.read()).hexdigest()
        with Image.open(entry.path) as image:
            _ = image.size
        count += 1
    return count


def studio_import(session: Session, folder: Path, project_path: Path) -> tuple[float, int]:
    """Import `folder` into a new project (creation not timed): seconds taken, items added."""
    with Project.create(project_path, author="bench") as project, session.studio_side("import"):
        seconds, report = timed(lambda: project.import_media([folder]))
    if report.failed or report.duplicates:
        raise RuntimeError(f"benchmark import went wrong: {report.summary()}")
    return seconds, len(report.added)


def _pass_order(studio_passes: int) -> str:
    """The order of the passes in letters, the baseline (B) first, between and last."""
    return ",".join(["B", "S"] * studio_passes + ["B"])


def run(session: Session) -> list[Measurement]:
    count = QUICK_IMAGES if session.quick else FULL_IMAGES
    work = session.folder("import")
    images = work / "images"
    write_jpegs(images, count, session.seed)
    baseline_seconds: list[float] = []
    studio_seconds: list[float] = []
    for studio_pass in range(STUDIO_PASSES):
        seconds, read = timed(lambda: bare_loop(images))
        baseline_seconds.append(seconds)
        seconds, added = studio_import(session, images, work / f"import-{studio_pass}.studio")
        studio_seconds.append(seconds)
        if read != count or added != count:
            raise RuntimeError(f"expected {count} images, baseline read {read}, Studio {added}")
    baseline_seconds.append(timed(lambda: bare_loop(images))[0])
    width, height = JPEG_SIZE
    return [
        Measurement(
            benchmark=f"import {count:,} JPEGs {width}×{height}",
            metric="throughput",
            unit="items/s",
            studio=count / min(studio_seconds),
            baseline=count / min(baseline_seconds),
            higher_is_better=True,
            target=TARGET,
            note=(
                "import: baseline = one loop of sha256 + PIL header per file; passes "
                f"alternate {_pass_order(STUDIO_PASSES)} on a warm page cache; best pass of "
                "each side"
            ),
        )
    ]
