"""Opening a large project and fetching its first gallery page.

Studio: `Project.open` (identity and schema checks included), `item_ids()` (every id in
name order, the gallery's backbone) and `items_by_ids` of the first 200. The baseline: a
raw `sqlite3.connect`, `SELECT id FROM item ORDER BY path` and `SELECT * FROM item WHERE id
IN (...)` of the first 200. Both read the same file, built once (not timed) by inserting the
item rows straight into a project made by `Project.create`. Rounds alternate baseline and
Studio; the median round of each side counts. Closing is not timed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from benchmarks.fixtures import make_project
from benchmarks.harness import Measurement, Session, median, timed
from studio.api import Project

FULL_ITEMS = 100_000
QUICK_ITEMS = 2_000
FULL_ROUNDS = 7
QUICK_ROUNDS = 3
PAGE = 200


def studio_first_page(session: Session, path: Path) -> tuple[float, list[int]]:
    """Seconds to open and fetch the first page through the API; the page's ids."""
    project = None

    def work() -> list[int]:
        nonlocal project
        project = Project.open(path, author="bench")
        ids = project.item_ids()
        return [record.id for record in project.items_by_ids(ids[:PAGE])]

    try:
        with session.studio_side("open + first page"):
            return timed(work)
    finally:
        if project is not None:
            project.close()


def raw_first_page(path: Path) -> tuple[float, list[int]]:
    """Seconds to do the same with raw sqlite3; the page's ids."""
    connection = None

    def work() -> list[int]:
        nonlocal connection
        connection = sqlite3.connect(str(path))
        ids = [row[0] for row in connection.execute("SELECT id FROM item ORDER BY path")]
        page = ids[:PAGE]
        marks = ", ".join("?" * len(page))
        rows = connection.execute(f"SELECT * FROM item WHERE id IN ({marks})", page).fetchall()
        by_id = {row[0]: row for row in rows}
        return [item_id for item_id in page if item_id in by_id]

    try:
        return timed(work)
    finally:
        if connection is not None:
            connection.close()


def run(session: Session) -> list[Measurement]:
    item_count = QUICK_ITEMS if session.quick else FULL_ITEMS
    rounds = QUICK_ROUNDS if session.quick else FULL_ROUNDS
    path = session.folder("open-gallery") / "large.studio"
    make_project(path, item_count, session.seed)
    baseline_seconds: list[float] = []
    studio_seconds: list[float] = []
    for _ in range(rounds):
        seconds, raw_page = raw_first_page(path)
        baseline_seconds.append(seconds)
        seconds, studio_page = studio_first_page(session, path)
        studio_seconds.append(seconds)
        if studio_page != raw_page or len(studio_page) != min(PAGE, item_count):
            raise RuntimeError("Studio and the baseline disagree on the first gallery page")
    return [
        Measurement(
            benchmark=f"open {item_count:,}-item project + first {PAGE} rows",
            metric="median",
            unit="ms",
            studio=median(studio_seconds) * 1000,
            baseline=median(baseline_seconds) * 1000,
            higher_is_better=False,
            note=(
                "open: Project.open + item_ids() + items_by_ids(200) vs sqlite3.connect + "
                f"SELECT id ORDER BY path + SELECT * WHERE id IN (...); {rounds} rounds "
                "alternating, median of each"
            ),
        )
    ]
