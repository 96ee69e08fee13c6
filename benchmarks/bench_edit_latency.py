"""Latency of one acknowledged edit: `Project.annotate` against a raw INSERT + COMMIT.

An edit is acknowledged when its transaction has committed with `synchronous=FULL`, so the
figure includes the fsync of the WAL. Studio's edit also validates the box, moves the item
to "in progress" and appends its undo entry, all in the same transaction. The baseline is
`BEGIN IMMEDIATE; INSERT INTO annotation ...; COMMIT` on a raw sqlite3 connection with the
same pragmas, into another project file of the same schema in the same folder. The two
sides alternate edit by edit, so disk and load noise falls on both alike; a few warm-up
edits of each side are not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.fixtures import (
    class_ids,
    connect_like_studio,
    count_rows,
    json_text,
    make_project,
    random_boxes,
)
from benchmarks.harness import Measurement, Session, median, percentile
from studio.api import Project

FULL_EDITS = 1_000
QUICK_EDITS = 20
WARM_UP = 5
ITEMS = 50
LABEL = "cat"

INSERT = (
    "INSERT INTO annotation (item_id, class_id, kind, geometry, source, score, author, "
    "attributes, created_at, updated_at) VALUES (?, ?, 'box', ?, 'human', NULL, ?, '{}', ?, ?)"
)


class RawEditor:
    """The baseline's edit: one INSERT in its own immediate transaction."""

    def __init__(self, path: Path) -> None:
        self.connection = connect_like_studio(path)
        self.class_id = class_ids(path)[LABEL]

    def annotate(self, item_id: int, box: list[float]) -> None:
        now = time.time()
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute(INSERT, (item_id, self.class_id, json_text(box), "bench", now, now))
        self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def _milliseconds(work: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    work(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def _alternate(
    session: Session, project: Project, raw: RawEditor, edits: int
) -> tuple[list[float], list[float]]:
    """Time `edits` edits of each side, one after the other; warm-up edits are dropped."""
    boxes = random_boxes(WARM_UP + edits, session.seed)
    studio_ms: list[float] = []
    baseline_ms: list[float] = []
    for index, box in enumerate(boxes):
        item_id = 1 + index % ITEMS
        with session.studio_side("edit latency"):
            studio = _milliseconds(project.annotate, item_id, LABEL, box=box)
        baseline = _milliseconds(raw.annotate, item_id, box)
        if index >= WARM_UP:
            studio_ms.append(studio)
            baseline_ms.append(baseline)
    return studio_ms, baseline_ms


def run(session: Session) -> list[Measurement]:
    edits = QUICK_EDITS if session.quick else FULL_EDITS
    folder = session.folder("edit-latency")
    studio_path, raw_path = folder / "studio.studio", folder / "raw.studio"
    make_project(studio_path, ITEMS, session.seed)
    make_project(raw_path, ITEMS, session.seed)
    raw = RawEditor(raw_path)
    try:
        with Project.open(studio_path, author="bench") as project:
            studio_ms, baseline_ms = _alternate(session, project, raw, edits)
    finally:
        raw.close()
    for path in (studio_path, raw_path):
        if count_rows(path, "annotation") != WARM_UP + edits:
            raise RuntimeError(f"{path.name}: not every edit was written")
    note = (
        f"edit: annotate(item, label, box) vs raw INSERT + COMMIT, synchronous=FULL, "
        f"{edits} edits per side alternating, after {WARM_UP} warm-up edits"
    )
    return [
        Measurement(
            benchmark="one acknowledged edit",
            metric=name,
            unit="ms",
            studio=statistic(studio_ms),
            baseline=statistic(baseline_ms),
            higher_is_better=False,
            note=note,
        )
        for name, statistic in (
            ("median", median),
            ("p95", lambda samples: percentile(samples, 0.95)),
        )
    ]
