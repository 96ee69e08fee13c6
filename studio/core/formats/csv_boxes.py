"""Detection CSV: one row per box, `image,xmin,ymin,xmax,ymax,label` and its relatives.

Three layouts are common, and all are read:

- VoTT's CSV export: `"image","xmin","ymin","xmax","ymax","label"`, images beside the csv;
- TensorFlow object detection CSVs (the `xml_to_csv.py` of its tutorials):
  `filename,width,height,class,xmin,ymin,xmax,ymax`, images beside the csv or in `images/`;
- Roboflow's "TensorFlow Object Detection CSV" export: that header in `_annotations.csv`
  inside each of `train/`, `valid/` and `test/`, beside the images.

The header decides: a path column (as for `csv_labels`), a label column (`label`, `class`…)
and the four corners (`xmin` or `x_min`, …), in pixels; `width` and `height` are the
declared image size, checked against the real image; an optional `split` column gives the
split, otherwise the csv's folder (`valid/`) or file name (`train_labels.csv`) does. Several
rows naming one image add up to its boxes; a row with the label and corners empty marks an
image known to hold none. Other columns are ignored with a warning.

Export writes `labels.csv` in the TensorFlow layout (plus `split` when an item has one) with
the images under `images/`; an image without boxes gets one row with empty label and
corners. Only boxes fit: other annotations are counted as skipped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.csv_labels import (
    BOX_COLUMNS,
    LABEL_COLUMNS,
    PATH_COLUMNS,
    SPLIT_COLUMN,
    csv_rows,
    has_box_columns,
    header_columns,
    required_columns,
    split_cell,
)
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    SPLIT_ALIASES,
    Control,
    find_image,
    safe_relative_name,
    split_of_name,
    text_number,
)
from studio.core.formats.registry import LabelFormat
from studio.core.formats.writing import number_text

SIZE_COLUMNS = ("width", "height")
EXPORT_FILE = "labels.csv"
EXPORT_HEADER = ["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"]


class CsvBoxesFormat(LabelFormat):
    name = "csv_boxes"
    title = "CSV boxes (VoTT, TensorFlow object detection)"
    kinds = frozenset({AnnotationKind.BOX})
    suffixes = (".csv",)

    def detect(self, path: Path) -> float:
        if path.is_dir():
            return 0.85 if _box_csvs(path) else 0.0
        return 0.95 if path.suffix.lower() == ".csv" and _has_box_header(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        files = [path] if path.is_file() else _box_csvs(path)
        if not files:
            raise LabelImportError(
                path, "no csv file with a path, a label and xmin, ymin, xmax, ymax columns"
            )
        label_set = LabelSet(self.name, path)
        for file in files:
            _read_file(file, label_set, control)
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        with_split = any(entry.item.split for entry in export.items)
        header = [*EXPORT_HEADER, *([SPLIT_COLUMN] if with_split else [])]
        with open(target.path(EXPORT_FILE), "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(header)
            for done, entry in enumerate(export.items, start=1):
                target.control.step(done, len(export.items))
                for row in _image_rows(entry, target):
                    writer.writerow([*row, entry.item.split or ""] if with_split else row)


# -- finding the files -----------------------------------------------------------------------


def _has_box_header(path: Path) -> bool:
    columns = header_columns(path)
    return (
        any(c in PATH_COLUMNS for c in columns)
        and any(c in LABEL_COLUMNS for c in columns)
        and has_box_columns(columns)
    )


def _box_csvs(folder: Path) -> list[Path]:
    """The detection csv files of a folder and of its split folders (Roboflow's export)."""
    folders = [folder]
    folders += sorted(
        child
        for child in folder.iterdir()
        if child.is_dir() and child.name.lower() in SPLIT_ALIASES
    )
    return [
        file for each in folders for file in sorted(each.glob("*.csv")) if _has_box_header(file)
    ]


# -- reading ---------------------------------------------------------------------------------


def _read_file(file: Path, label_set: LabelSet, control: Control) -> None:
    rows = csv_rows(file)
    if not rows:
        raise LabelImportError(file, "the file is empty")
    header = rows[0][1]
    columns = _columns(file, header, label_set)
    default_split = SPLIT_ALIASES.get(file.parent.name.lower()) or split_of_name(file.name)
    roots = [file.parent, file.parent / "images"]
    images: dict[str, ImageLabels] = {}
    for done, (number, row) in enumerate(rows[1:], start=1):
        control.step(done, len(rows) - 1)
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {number}"
        if len(row) != len(header):
            raise LabelImportError(
                file, f"the row has {len(row)} values but the header has {len(header)}", where
            )
        relative = safe_relative_name(row[columns["path"]].strip(), file, where)
        key = relative.as_posix()
        split = split_cell(row, columns, file, where) or default_split
        if key not in images:
            width, height = _declared_size(file, row, columns, where)
            images[key] = ImageLabels(
                key,
                find_image(relative, roots),
                width=width,
                height=height,
                split=split,
                where=where,
                source_file=file,
            )
        image = images[key]
        if image.split != split:
            raise LabelImportError(
                file, f"split {split!r} differs from {image.split!r} on {image.where}", where
            )
        record = _box(file, row, columns, where)
        if record is not None:
            label_set.add_class(record.label)
            image.labels.append(record)
    label_set.images.extend(images.values())


def _columns(file: Path, header: list[str], label_set: LabelSet) -> dict[str, int]:
    """Positions of path, label, the four corners, and (when present) width, height, split."""
    names = [cell.strip().lower() for cell in header]
    roles = {"path": PATH_COLUMNS, "label": LABEL_COLUMNS, **BOX_COLUMNS}
    columns = required_columns(file, header, roles)
    for optional in (*SIZE_COLUMNS, SPLIT_COLUMN):
        if optional in names:
            columns[optional] = names.index(optional)
    ignored = [header[i] for i in range(len(names)) if i not in columns.values()]
    if ignored:
        label_set.warnings.append(f"{file.name}: columns ignored: {', '.join(ignored)}")
    return columns


def _declared_size(
    file: Path, row: list[str], columns: dict[str, int], where: str
) -> tuple[int | None, int | None]:
    if not all(name in columns and row[columns[name]].strip() for name in SIZE_COLUMNS):
        return None, None
    size = []
    for name in SIZE_COLUMNS:
        value = text_number(row[columns[name]].strip(), file, where, name)
        if value <= 0 or not value.is_integer():
            raise LabelImportError(
                file, f"the image {name} {value:g} is not a whole number > 0", where
            )
        size.append(int(value))
    return size[0], size[1]


def _box(file: Path, row: list[str], columns: dict[str, int], where: str) -> LabelRecord | None:
    """The row's box; None for a row that only lists an image (label and corners empty)."""
    label = row[columns["label"]].strip()
    cells = [row[columns[corner]].strip() for corner in BOX_COLUMNS]
    if not label and not any(cells):
        return None
    if not label:
        raise LabelImportError(file, "the box has no label", where)
    if not all(cells):
        raise LabelImportError(file, f"the box of {label!r} lacks a corner coordinate", where)
    xmin, ymin, xmax, ymax = (
        text_number(cell, file, where, corner)
        for cell, corner in zip(cells, BOX_COLUMNS, strict=True)
    )
    if xmax <= xmin or ymax <= ymin:
        raise LabelImportError(
            file,
            f"the box ({xmin:g}, {ymin:g}) – ({xmax:g}, {ymax:g}) is inverted or empty",
            where,
        )
    geometry = [xmin, ymin, xmax - xmin, ymax - ymin]
    return LabelRecord(label, AnnotationKind.BOX, geometry, where=f"{where} ({label})")


# -- writing ---------------------------------------------------------------------------------


def _image_rows(entry: ExportItem, target: ExportTarget) -> list[list[str]]:
    """One row per box of the item (one row without a box when it has none)."""
    name = target.place_image(entry)
    size = [str(entry.item.width), str(entry.item.height)]
    rows = []
    for annotation in entry.annotations:
        if annotation.kind != AnnotationKind.BOX.value:
            target.skip(annotation, f"{annotation.kind} annotations (a box CSV holds boxes)")
            continue
        x, y, w, h = annotation.geometry
        corners = [number_text(value) for value in (x, y, x + w, y + h)]
        rows.append([name, *size, annotation.label, *corners])
        target.exported()
    return rows or [[name, *size, "", "", "", "", ""]]


FORMAT = CsvBoxesFormat()
