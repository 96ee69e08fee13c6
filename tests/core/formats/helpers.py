"""Shared helpers of the format tests: round trips, comparable views of a project, dumps."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from studio.api import Project
from studio.core.geometry import decode_mask

DATA = Path(__file__).resolve().parents[2] / "data"
FORMAT_FIXTURES = DATA / "formats"
BAD_INPUTS = DATA / "bad"


def _rounded(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, (list, tuple)):
        return [_rounded(v, digits) for v in value]
    return value


def comparable_geometry(kind: str, geometry: Any, digits: int = 3) -> Any:
    """Geometry that compares equal when two annotations cover the same shape.

    Masks compare by their pixels (two RLE encodings of one mask are equal), the rest by
    their coordinates rounded to `digits` decimals (float rounding of relative formats).
    """
    if kind == "mask":
        mask = decode_mask(geometry)
        return (tuple(mask.shape), mask.tobytes())
    return json.dumps(_rounded(geometry, digits))


def image_key(project: Project, item: Any) -> str:
    """An item's image file name (its original name when copied into the store)."""
    return item.meta.get("original_name") or Path(item.path).name


def signature(project: Project, digits: int = 3, statuses: bool = True) -> dict[str, Any]:
    """Image name → (status, split, sorted annotations): what a round trip must keep."""
    result = {}
    for item in project.items():
        annotations = sorted(
            (
                a.label,
                a.kind,
                comparable_geometry(a.kind, a.geometry, digits),
                json.dumps(dict(a.attributes), sort_keys=True),
                a.source,
                None if a.score is None else round(a.score, 4),
            )
            for a in project.annotations(item.id)
        )
        status = item.status if statuses else None
        result[image_key(project, item)] = (status, item.split, annotations)
    return result


def round_trip(
    tmp_path: Path,
    source: Path,
    format_name: str,
    export_options: dict[str, Any] | None = None,
    **import_options: Any,
) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """Import `source`, export it in the same format, import the export into a new project.

    Returns both projects' signatures and the export folder.
    """
    exported = tmp_path / f"export-{format_name}"
    with Project.create(tmp_path / "first.studio") as first:
        first.import_labels(source, format=format_name, **import_options)
        first.export_labels(exported, format=format_name, **(export_options or {}))
        before = signature(first)
    with Project.create(tmp_path / "second.studio") as second:
        second.import_labels(exported, format=format_name)
        after = signature(second)
    return before, after, exported


def dump(project_file: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read through a plain sqlite3 connection."""
    connection = sqlite3.connect(project_file)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        connection.close()
