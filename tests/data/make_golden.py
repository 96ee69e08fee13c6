"""Write `golden_0001.studio`: a project file of the FIRST schema (alembic revision 0001).

    .venv/bin/python tests/data/make_golden.py [OUTPUT]

The file is committed; tests/core/test_migrations.py opens copies of it to prove that every
later Studio upgrades a first-schema project with its data, and its undo history, intact.
Run this script only with the revision-0001 schema in mind: the rows are written with plain
SQL, in exactly the form Studio 0001 wrote them, so later changes to the models cannot creep
into the golden file. Timestamps are fixed, so the content is reproducible.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from studio.core.database import APPLICATION_ID
from studio.core.project_file import upgrade_schema

GOLDEN = Path(__file__).with_name("golden_0001.studio")
T0 = 1_700_000_000.0
AUTHOR = "golden"

CLASSES = [
    # id, name, color, hotkey, position, archived, created_at
    (1, "cat", "#e6194b", "1", 0, 0, T0),
    (2, "dog", "#3cb44b", "2", 1, 0, T0),
    (3, "bird", "#4363d8", None, 2, 1, T0),
]

# Media are referenced, not shipped: the migration concerns the rows, not the pixels.
ITEMS = [
    # id, path, sha256, size_bytes, width, height, format, status, split, tags, meta
    (1, "images/cat one.jpg", "a" * 64, 1234, 64, 48, "JPEG", "in_progress", "train", [], {}),
    (2, "images/dög.png", "b" * 64, 2345, 40, 30, "PNG", "done", "val", ["hard"], {}),
    (3, "images/rotated.jpg", "c" * 64, 3456, 30, 40, "JPEG", "reviewed", "test", [], {}),
    (4, "images/empty.webp", "d" * 64, 456, 32, 32, "WEBP", "done_empty", None, [], {}),
    (5, "images/new.bmp", "e" * 64, 3126, 32, 24, "BMP", "new", None, [], {"orientation": 6}),
]

# Item 2's 40×30 mask in compressed COCO RLE: the block of rows 10-19 and columns 5-24.
MASK_RLE = {"size": [30, 40], "counts": "P5:d00000000000000000000000000000000000000h="}
MASK_BLOCK = (slice(10, 20), slice(5, 25))
ANNOTATIONS = [
    # id, item_id, class_id, kind, geometry, source, score, author
    (1, 1, 1, "box", [4.0, 5.0, 20.0, 10.0], "human", None, AUTHOR),
    (
        2,
        1,
        2,
        "polygon",
        [[1.0, 1.0, 10.0, 1.0, 10.0, 8.0], [20.0, 20.0, 30.0, 20.0, 25.0, 30.0]],
        "sam",
        0.75,
        AUTHOR,
    ),
    (3, 2, 1, "tag", None, "human", None, AUTHOR),
    (4, 2, 2, "mask", MASK_RLE, "model", 0.5, AUTHOR),
    (5, 3, 1, "keypoints", [[1.0, 2.0, 2], [3.0, 4.0, 1], [0.0, 0.0, 0]], "human", None, AUTHOR),
    (6, 3, 3, "box", [0.0, 0.0, 30.0, 40.0], "model", 0.9, AUTHOR),
]


def _class_row(row: tuple) -> dict:
    keys = ("id", "name", "color", "hotkey", "position", "archived", "created_at")
    values = dict(zip(keys, row, strict=True))
    values["archived"] = bool(values["archived"])
    return values


def _item_row(row: tuple, status: str | None = None) -> dict:
    keys = ("id", "path", "sha256", "size_bytes", "width", "height", "format", "status", "split")
    values = dict(zip(keys, row[:9], strict=True))
    values.update(tags=row[9], meta=row[10], added_at=T0, updated_at=T0 + 100)
    if status is not None:
        values["status"] = status
    return values


def _annotation_row(row: tuple) -> dict:
    keys = ("id", "item_id", "class_id", "kind", "geometry", "source", "score", "author")
    values = dict(zip(keys, row, strict=True))
    values.update(created_at=T0 + 100, updated_at=T0 + 100)
    return values


def _history() -> list[tuple[int, float, str, list[dict], int]]:
    """Three edits in the 0001 log format, consistent with the rows above.

    1. the classes were added; 2. the box on item 1 was drawn (which moved the item from new
    to in progress); 3. item 2 was set from in progress to done.
    """
    add_classes = [
        {"table": "label_class", "id": row[0], "before": None, "after": _class_row(row)}
        for row in CLASSES
    ]
    item_1_new = _item_row(ITEMS[0], status="new") | {"updated_at": T0}
    draw_box = [
        {"table": "annotation", "id": 1, "before": None, "after": _annotation_row(ANNOTATIONS[0])},
        {"table": "item", "id": 1, "before": item_1_new, "after": _item_row(ITEMS[0])},
    ]
    item_2_before = _item_row(ITEMS[1], status="in_progress") | {"updated_at": T0 + 50}
    set_done = [{"table": "item", "id": 2, "before": item_2_before, "after": _item_row(ITEMS[1])}]
    return [
        (1, T0, "add 3 classes", add_classes, 0),
        (2, T0 + 100, "add box cat", draw_box, 0),
        (3, T0 + 100, "set status of 1 items", set_done, 0),
    ]


def _insert_rows(connection: sqlite3.Connection) -> None:
    connection.executemany("INSERT INTO label_class VALUES (?, ?, ?, ?, ?, ?, ?)", CLASSES)
    connection.executemany(
        "INSERT INTO item (id, path, sha256, size_bytes, width, height, format, status, split,"
        " tags, meta, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row[:9], json.dumps(row[9]), json.dumps(row[10]), T0, T0 + 100) for row in ITEMS],
    )
    connection.executemany(
        "INSERT INTO annotation (id, item_id, class_id, kind, geometry, source, score, author,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (*row[:4], None if row[4] is None else json.dumps(row[4]), *row[5:], T0 + 100, T0 + 100)
            for row in ANNOTATIONS
        ],
    )
    connection.executemany(
        "INSERT INTO history (id, created_at, author, description, changes, undone)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (hid, at, AUTHOR, text, json.dumps(changes), undone)
            for hid, at, text, changes, undone in _history()
        ],
    )
    connection.execute("INSERT INTO setting (key, value) VALUES ('labeling_mode', '\"boxes\"')")


def make_golden(path: Path) -> None:
    """Create `path` at revision 0001 and fill it; refuses to overwrite an existing file."""
    if path.exists():
        raise FileExistsError(f"{path}: exists; delete it first to regenerate the golden file")
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
    connection.close()
    upgrade_schema(path, "0001")
    connection = sqlite3.connect(path)
    try:
        with connection:
            _insert_rows(connection)
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("VACUUM")
    finally:
        connection.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN
    make_golden(target)
    print(f"wrote {target}")
