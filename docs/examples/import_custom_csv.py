"""Import boxes from a CSV that no label format reads: `file;species;left;top;right;bottom`,
separated by semicolons, corners in pixels. Every row is checked before anything is written,
and the boxes are added as one edit (one undo step).

    studio script run import_custom_csv.py birds.studio -- survey.csv
"""

import csv
from pathlib import Path

COLUMNS = ("file", "species", "left", "top", "right", "bottom")


def read_boxes(csv_path, items_by_name):
    """The annotations the CSV asks for; a bad row stops everything, naming file and line."""
    boxes = []
    with open(csv_path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file, delimiter=";")
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: missing columns {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            item_id = items_by_name.get(row["file"])
            if item_id is None:
                raise ValueError(f"{csv_path}:{line}: no image named {row['file']!r}")
            left, top, right, bottom = (float(row[column]) for column in COLUMNS[2:])
            box = [left, top, right - left, bottom - top]
            boxes.append({"item_id": item_id, "label": row["species"], "box": box})
    return boxes


def main(project, args):
    csv_path = Path(args[0])
    items_by_name = {Path(item.path).name: item.id for item in project.items()}
    boxes = read_boxes(csv_path, items_by_name)
    project.add_classes(sorted({box["label"] for box in boxes}))
    project.add_annotations(boxes)
    print(f"added {len(boxes)} boxes from {csv_path.name}")
