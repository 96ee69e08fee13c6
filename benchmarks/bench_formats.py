"""Importing and exporting label files: COCO (10,000 images, 100,000 boxes) and YOLO.

Import: Studio's `import_labels` of a COCO file against `json.load` of the same file (the
least any COCO reader does). Two cases: the labels of images already in the project (the
common "bring my annotations" case, matched by path), and images plus labels into an empty
project (each image is also read, hashed and probed). The issue asks for Studio's time ÷
json.load's, aiming for at most 5; the table's ratio is the inverse (json.load's speed as a
fraction), so its target is 0.2.

Export: Studio's `export_labels` (labels only, images="none") against writing the same
content with a bare loop: one `json.dump` of the COCO document already in memory, and one
plain text file per image for YOLO.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.fixtures import CLASS_NAMES
from benchmarks.harness import Measurement, Session, timed
from studio.api import Project

FULL = (10_000, 100_000)
QUICK = (200, 2_000)
IMAGE_SIZE = (96, 72)
PASSES = 2
IMPORT_TARGET = 0.2


def write_dataset(folder: Path, images: int, boxes: int, seed: int) -> Path:
    """Small real images plus a COCO file with `boxes` random boxes spread over them."""
    rng = np.random.default_rng(seed)
    width, height = IMAGE_SIZE
    (folder / "images").mkdir(parents=True)
    for index in range(images):
        pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "images" / f"img{index:05d}.png", compress_level=1)
    image_ids = rng.integers(1, images + 1, size=boxes)
    xs, ys = rng.uniform(0, width - 20, boxes), rng.uniform(0, height - 20, boxes)
    ws, hs = rng.uniform(2, 20, boxes), rng.uniform(2, 20, boxes)
    categories = rng.integers(1, len(CLASS_NAMES) + 1, size=boxes)
    document = {
        "images": [
            {"id": i + 1, "file_name": f"img{i:05d}.png", "width": width, "height": height}
            for i in range(images)
        ],
        "categories": [{"id": i + 1, "name": name} for i, name in enumerate(CLASS_NAMES)],
        "annotations": [
            {
                "id": i + 1,
                "image_id": int(image_ids[i]),
                "category_id": int(categories[i]),
                "bbox": [round(float(v), 2) for v in (xs[i], ys[i], ws[i], hs[i])],
                "area": float(ws[i] * hs[i]),
                "iscrowd": 0,
                "segmentation": [],
            }
            for i in range(boxes)
        ],
    }
    path = folder / "instances_train.json"
    path.write_text(json.dumps(document))
    return path


def _json_load(path: Path) -> dict:
    with open(path) as stream:
        return json.load(stream)


def _import_seconds(session: Session, coco: Path, project_path: Path, media_first: bool) -> float:
    with Project.create(project_path, author="bench") as project:
        if media_first:
            project.import_media([coco.parent / "images"])
        with session.studio_side("formats"):
            seconds, report = timed(lambda: project.import_labels(coco))
    if report.annotations_added == 0:
        raise RuntimeError(f"benchmark import went wrong: {report.summary()}")
    return seconds


def _bare_yolo(document: dict, folder: Path) -> None:
    lines: dict[int, list[str]] = {image["id"]: [] for image in document["images"]}
    for annotation in document["annotations"]:
        x, y, w, h = annotation["bbox"]
        lines[annotation["image_id"]].append(
            f"{annotation['category_id'] - 1} {(x + w / 2) / IMAGE_SIZE[0]:.6f} "
            f"{(y + h / 2) / IMAGE_SIZE[1]:.6f} {w / IMAGE_SIZE[0]:.6f} {h / IMAGE_SIZE[1]:.6f}"
        )
    folder.mkdir(parents=True)
    for image in document["images"]:
        name = Path(image["file_name"]).with_suffix(".txt").name
        (folder / name).write_text("\n".join(lines[image["id"]]) + "\n")


def _bare_coco(document: dict, folder: Path) -> None:
    folder.mkdir(parents=True)
    with open(folder / "instances.json", "w") as stream:
        json.dump(document, stream, separators=(",", ":"))


def run(session: Session) -> list[Measurement]:
    images, boxes = QUICK if session.quick else FULL
    work = session.folder("formats")
    coco = write_dataset(work / "dataset", images, boxes, session.seed)
    rows = []
    load_seconds = min(timed(lambda: _json_load(coco))[0] for _ in range(PASSES + 1))
    label = f"COCO {images:,} images, {boxes:,} boxes"
    for media_first, case in (
        (True, "labels of images in the project"),
        (False, "images + labels"),
    ):
        seconds = min(
            _import_seconds(session, coco, work / f"import-{media_first}-{p}.studio", media_first)
            for p in range(PASSES)
        )
        rows.append(_import_row(f"label import {label}: {case}", seconds, load_seconds))
    document = _json_load(coco)
    source = work / "import-True-0.studio"
    with Project.open(source) as project:
        for name, bare in (("coco", _bare_coco), ("yolo", _bare_yolo)):
            rows.append(_export_row(project, document, work, label, name, bare))
    shutil.rmtree(work, ignore_errors=True)
    return rows


def _best(work: Callable[[int], object]) -> float:
    """The shortest of PASSES timed runs of `work(pass_number)`."""
    return min(timed(partial(work, number))[0] for number in range(PASSES))


def _export_row(
    project: Project,
    document: dict,
    work: Path,
    label: str,
    name: str,
    bare: Callable[[dict, Path], None],
) -> Measurement:
    studio = _best(lambda p: project.export_labels(work / f"{name}-{p}", name, images="none"))
    baseline = _best(lambda p: bare(document, work / f"bare-{name}-{p}"))
    return Measurement(
        benchmark=f"label export {label} to {name.upper()} (labels only)",
        metric="time",
        unit="s",
        studio=studio,
        baseline=baseline,
        higher_is_better=False,
        note=f"export {name}: baseline = the same files written by a bare loop from the "
        f"document in memory; best of {PASSES}",
    )


def _import_row(benchmark: str, seconds: float, load_seconds: float) -> Measurement:
    return Measurement(
        benchmark=benchmark,
        metric="time",
        unit="s",
        studio=seconds,
        baseline=load_seconds,
        higher_is_better=False,
        target=IMPORT_TARGET,
        note=f"{benchmark.split(':')[1].strip()}: Studio ÷ json.load = "
        f"{seconds / load_seconds:.1f}× (aim ≤ 5); best of {PASSES}",
    )
