"""A per-class report: images, boxes and the median box size of each class, per split.

This one uses the globals `studio script run` gives (`project`, `args`) instead of `main`.

    studio script run class_report.py birds.studio [-- report.csv]
"""

import csv
import statistics
import sys
from collections import defaultdict

images = defaultdict(set)  # (class, split) -> item ids
box_sides = defaultdict(list)  # (class, split) -> sqrt(width * height) of each box
for item in project.items():
    split = item.split or "none"
    for annotation in project.annotations(item.id):
        images[annotation.label, split].add(item.id)
        if annotation.kind == "box":
            width, height = annotation.geometry[2:]
            box_sides[annotation.label, split].append((width * height) ** 0.5)

rows = [
    {
        "class": label,
        "split": split,
        "images": len(images[label, split]),
        "boxes": len(box_sides[label, split]),
        "median box side": round(statistics.median(box_sides[label, split]), 1)
        if box_sides[label, split]
        else "",
    }
    for label, split in sorted(images)
]


def write(rows, file):
    columns = ["class", "split", "images", "boxes", "median box side"]
    writer = csv.DictWriter(file, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)


if args:
    with open(args[0], "w", newline="", encoding="utf-8") as file:
        write(rows, file)
    print(f"wrote {len(rows)} rows to {args[0]}")
else:
    write(rows, sys.stdout)
