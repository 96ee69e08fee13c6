"""CSV image labels: one row per image (or per label), `path,label[,split]`.

Import reads a `.csv` file (or a folder holding exactly one such file) whose header names a
path column (`path`, `filename`, `file_name`, `file`, `image`, `image_path`) and a label column
(`label`, `labels`, `class`, `tags`); a `split` column is optional and other columns are
ignored with a warning. A CSV whose header also names a box's corners is a detection CSV
(`csv_boxes`), not this format. A cell may hold several labels separated by `;` or `|`, and several
rows may name one image: its labels add up. An empty label cell means an image known to have
no class. Paths are relative to the csv's folder and may not leave it.

Export writes `labels.csv` (`path,label`, plus `split` when an image has one) with the images
under `images/`; an image's tags are joined with `;`, and an image without tags gets an empty
label. Shapes, and tags whose class name contains `;` or `|`, have no place and are counted
as skipped.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    SPLIT_ALIASES,
    Control,
    find_image,
    head,
    read_text,
    safe_relative_name,
)
from studio.core.formats.registry import LabelFormat

PATH_COLUMNS = ("path", "filename", "file_name", "file", "image", "image_path")
LABEL_COLUMNS = ("label", "labels", "class", "tags")
SPLIT_COLUMN = "split"
# A box's corners, as VoTT (xmin…), TensorFlow's object detection CSVs and Roboflow name them.
BOX_COLUMNS = {
    "xmin": ("xmin", "x_min"),
    "ymin": ("ymin", "y_min"),
    "xmax": ("xmax", "x_max"),
    "ymax": ("ymax", "y_max"),
}
SEPARATORS = (";", "|")
EXPORT_FILE = "labels.csv"


class CsvLabelsFormat(LabelFormat):
    name = "csv_labels"
    title = "CSV (path,label)"
    kinds = frozenset({AnnotationKind.TAG})
    suffixes = (".csv",)

    def detect(self, path: Path) -> float:
        if path.is_dir():
            return 0.8 if len(_label_csvs(path)) == 1 else 0.0
        return 0.9 if path.suffix.lower() == ".csv" and _has_label_header(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        file = _csv_file(path)
        rows = csv_rows(file)
        label_set = LabelSet(self.name, path)
        columns = _columns(file, rows[0][1] if rows else [], label_set)
        images = _read_rows(file, rows, columns, control)
        for labels in images.values():
            for record in labels.labels:
                label_set.add_class(record.label)
        label_set.images.extend(images.values())
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        with_split = any(entry.item.split for entry in export.items)
        header = ["path", "label", *([SPLIT_COLUMN] if with_split else [])]
        with open(target.path(EXPORT_FILE), "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(header)
            for done, entry in enumerate(export.items, start=1):
                target.control.step(done, len(export.items))
                row = [target.place_image(entry), ";".join(_tags(entry, target))]
                if with_split:
                    row.append(entry.item.split or "")
                writer.writerow(row)


# -- finding the file ----------------------------------------------------------------------------


def header_columns(path: Path) -> list[str]:
    first_line = head(path, 8192).splitlines()[:1]
    row = next(csv.reader(first_line), []) if first_line else []
    return [cell.strip().lower() for cell in row]


def _has_label_header(path: Path) -> bool:
    """A path and a label column, and no box columns (those make it a csv_boxes file)."""
    columns = header_columns(path)
    return (
        any(c in PATH_COLUMNS for c in columns)
        and any(c in LABEL_COLUMNS for c in columns)
        and not has_box_columns(columns)
    )


def has_box_columns(columns: list[str]) -> bool:
    """Whether a header names a box's four corners (a detection CSV, see csv_boxes)."""
    return all(any(name in columns for name in names) for names in BOX_COLUMNS.values())


def _label_csvs(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.csv") if _has_label_header(path))


def _csv_file(path: Path) -> Path:
    if not path.is_dir():
        return path
    found = _label_csvs(path)
    if len(found) != 1:
        count = "no" if not found else f"{len(found)}"
        raise LabelImportError(
            path, f"{count} csv files with a path and a label column; import one of them"
        )
    return found[0]


# -- reading ---------------------------------------------------------------------------------


def csv_rows(file: Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row; a row's number is the line it starts on."""
    reader = csv.reader(io.StringIO(read_text(file), newline=""), strict=True)
    rows = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        raise LabelImportError(file, f"not valid CSV ({error})", f"line {start}") from None
    return rows


def required_columns(
    file: Path, header: list[str], roles: dict[str, tuple[str, ...]]
) -> dict[str, int]:
    """The position of each role's one column in `header` (named by any of its candidates);
    a role with no column or more than one is an error naming the file's first line."""
    names = [cell.strip().lower() for cell in header]
    columns: dict[str, int] = {}
    for role, candidates in roles.items():
        matches = [position for position, name in enumerate(names) if name in candidates]
        if len(matches) != 1:
            problem = "no" if not matches else "more than one"
            raise LabelImportError(
                file,
                f"the header {','.join(header)!r:.80} has {problem} {role} column "
                f"(expected one of: {', '.join(candidates)})",
                "line 1",
            )
        columns[role] = matches[0]
    return columns


def _columns(file: Path, header: list[str], label_set: LabelSet) -> dict[str, int]:
    """Column positions of path, label and (if present) split."""
    names = [cell.strip().lower() for cell in header]
    columns = required_columns(file, header, {"path": PATH_COLUMNS, "label": LABEL_COLUMNS})
    if SPLIT_COLUMN in names:
        columns[SPLIT_COLUMN] = names.index(SPLIT_COLUMN)
    ignored = [header[i] for i in range(len(names)) if i not in columns.values()]
    if ignored:
        label_set.warnings.append(f"{file.name}: columns ignored: {', '.join(ignored)}")
    return columns


def _read_rows(
    file: Path, rows: list[tuple[int, list[str]]], columns: dict[str, int], control: Control
) -> dict[str, ImageLabels]:
    """Image labels by path, rows naming one image merged."""
    images: dict[str, ImageLabels] = {}
    width = len(rows[0][1])
    for done, (number, row) in enumerate(rows[1:], start=1):
        control.step(done, len(rows) - 1)
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {number}"
        if len(row) != width:
            raise LabelImportError(
                file, f"the row has {len(row)} values but the header has {width}", where
            )
        relative = safe_relative_name(row[columns["path"]].strip(), file, where)
        split = split_cell(row, columns, file, where)
        key = relative.as_posix()
        if key not in images:
            path = find_image(relative, [file.parent])
            images[key] = ImageLabels(key, path, split=split, where=where, source_file=file)
        image = images[key]
        if image.split != split:
            raise LabelImportError(
                file, f"split {split!r} differs from {image.split!r} on {image.where}", where
            )
        for label in _labels(row[columns["label"]]):
            if all(record.label != label for record in image.labels):
                image.labels.append(LabelRecord(label, AnnotationKind.TAG, where=where))
    return images


def split_cell(row: list[str], columns: dict[str, int], file: Path, where: str) -> str | None:
    if SPLIT_COLUMN not in columns:
        return None
    value = row[columns[SPLIT_COLUMN]].strip()
    if not value:
        return None
    if value.lower() not in SPLIT_ALIASES:
        raise LabelImportError(file, f"split {value!r} is not train, val or test", where)
    return SPLIT_ALIASES[value.lower()]


def _labels(cell: str) -> list[str]:
    for separator in SEPARATORS[1:]:
        cell = cell.replace(separator, SEPARATORS[0])
    return [label.strip() for label in cell.split(SEPARATORS[0]) if label.strip()]


# -- writing -------------------------------------------------------------------------------------


def _tags(entry: ExportItem, target: ExportTarget) -> list[str]:
    tags = []
    for annotation in entry.annotations:
        if annotation.kind != AnnotationKind.TAG.value:
            target.skip(annotation, f"{annotation.kind} annotations (CSV holds image classes)")
        elif any(separator in annotation.label for separator in SEPARATORS):
            target.skip(annotation, "tags whose class name contains ; or |")
        else:
            tags.append(annotation.label)
            target.exported()
    return tags


FORMAT = CsvLabelsFormat()
