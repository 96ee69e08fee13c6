"""Inserting many box annotations: `Project.add_annotations` against raw `executemany`.

Studio gets the boxes as the API takes them (a list of dicts) and writes them in one call:
one validated transaction with its undo entry. The baseline turns the same dicts into
tuples (geometry as JSON text, as Studio stores it) and writes them with one
`sqlite3.executemany` in one `BEGIN IMMEDIATE` transaction, on a connection with the same
pragmas, into a fresh project file of the same schema (same indexes, same foreign keys).
Each side writes into its own fresh file; passes alternate baseline and Studio, and each
side's best pass counts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.fixtures import (
    CLASS_NAMES,
    class_ids,
    connect_like_studio,
    count_rows,
    json_text,
    make_project,
    random_boxes,
)
from benchmarks.harness import Measurement, Session, timed
from studio.api import Project

FULL = (100_000, 1_000)  # annotations, items they are spread over
QUICK = (2_000, 50)
PASSES = 3
TARGET = 0.5

INSERT = (
    "INSERT INTO annotation (item_id, class_id, kind, geometry, source, score, author, "
    "attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def box_specs(item_ids: Sequence[int], labels: Sequence[str], count: int, seed: int) -> list[dict]:
    """`count` boxes in the API's form, spread evenly over the items, classes in turn."""
    boxes = random_boxes(count, seed)
    return [
        {
            "item_id": item_ids[index % len(item_ids)],
            "label": labels[index % len(labels)],
            "box": box,
        }
        for index, box in enumerate(boxes)
    ]


def raw_insert(path: Path, specs: Sequence[Mapping[str, Any]], author: str) -> None:
    """The baseline: the same rows through one executemany in one transaction."""
    classes = class_ids(path)
    connection = connect_like_studio(path)
    try:
        now = time.time()
        rows = [
            (
                spec["item_id"],
                classes[spec["label"]],
                "box",
                json_text(spec["box"]),
                "human",
                None,
                author,
                "{}",
                now,
                now,
            )
            for spec in specs
        ]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(INSERT, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()


def studio_insert(session: Session, path: Path, specs: Sequence[Mapping[str, Any]]) -> float:
    with Project.open(path, author="bench") as project, session.studio_side("annotations"):
        seconds, ids = timed(lambda: project.add_annotations(specs))
    if len(ids) != len(specs):
        raise RuntimeError(f"add_annotations returned {len(ids)} ids for {len(specs)} boxes")
    return seconds


def _fresh_project(path: Path, item_count: int, seed: int) -> Path:
    """A new project with the benchmark's classes and items (ids 1..item_count)."""
    item_ids = make_project(path, item_count, seed)
    if item_ids != list(range(1, item_count + 1)):
        raise RuntimeError(f"{path.name}: unexpected item ids")
    return path


def _check_written(path: Path, count: int) -> None:
    written = count_rows(path, "annotation")
    if written != count:
        raise RuntimeError(f"{path.name}: {written} annotations written, expected {count}")


def run(session: Session) -> list[Measurement]:
    count, item_count = QUICK if session.quick else FULL
    folder = session.folder("annotations")
    specs = box_specs(range(1, item_count + 1), CLASS_NAMES, count, session.seed)
    baseline_seconds: list[float] = []
    studio_seconds: list[float] = []
    for index in range(PASSES):
        raw_path = _fresh_project(folder / f"raw-{index}.studio", item_count, session.seed)
        seconds, _ = timed(lambda path=raw_path: raw_insert(path, specs, "bench"))
        baseline_seconds.append(seconds)
        studio_path = _fresh_project(folder / f"studio-{index}.studio", item_count, session.seed)
        studio_seconds.append(studio_insert(session, studio_path, specs))
        _check_written(raw_path, count)
        _check_written(studio_path, count)
    return [
        Measurement(
            benchmark=f"insert {count:,} boxes over {item_count:,} items",
            metric="throughput",
            unit="rows/s",
            studio=count / min(studio_seconds),
            baseline=count / min(baseline_seconds),
            higher_is_better=True,
            target=TARGET,
            note=(
                "boxes: one add_annotations call vs one raw sqlite3 executemany (same schema "
                f"and pragmas, JSON encoding included); {PASSES} passes per side, alternating; "
                "best of each"
            ),
        )
    ]
