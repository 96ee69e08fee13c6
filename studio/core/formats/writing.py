"""Small helpers shared by the formats' writers (the counterpart of `reading`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.formats.model import ExportSet


def stable_ids(export: ExportSet, format_name: str, first: int) -> dict[str, int]:
    """Class name → number: the numbers given on import, then the next free ones in order."""
    known = export.class_ids.get(format_name, {})
    names = [record.name for record in export.classes]
    numbers = {name: known[name] for name in names if name in known}
    following = max([first - 1, *numbers.values()]) + 1
    for name in names:
        if name not in numbers:
            numbers[name] = following
            following += 1
    return numbers


def unique_stem(stem: str, item_id: int, taken: set[str]) -> str:
    """`stem`, or `stem-<item id>` when another image took it (a.jpg and a.png both give "a")."""
    name = stem if stem not in taken else f"{stem}-{item_id}"
    taken.add(name)
    return name


def attribute_text(value: Any) -> str:
    """An attribute value as XML text (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def number_text(value: float) -> str:
    """A coordinate as text: integers without a decimal point, others in full precision."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def is_true(value: Any) -> bool:
    """Whether a flag attribute (occluded, difficult, ...) is set: 1, "1", True or "true"."""
    return str(value).strip().lower() in ("1", "true")


def write_xml(root: ET.Element, path: Path) -> None:
    """`root` as an indented UTF-8 XML file with its declaration."""
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def mask_bounds(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), inclusive, of a boolean mask's set pixels; None when empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        return None
    columns = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]), int(columns[0]), int(columns[-1])
