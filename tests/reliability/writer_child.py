"""Child of the concurrent-writer tests: annotates boxes as fast as it can.

Usage: PYTHONPATH=REPOSITORY python writer_child.py PROJECT AUTHOR COUNT GO_FILE

Opens the project, prints `ready`, waits until GO_FILE exists (so that several writers
start together), then makes COUNT edits, each one box on the items in turn, printing
`A <index> <annotation id>` after each edit returned, and `done` at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from studio.api import Project


def writer_box(index: int) -> list[float]:
    """The box of a writer's edit number `index` (inside a 64×48 image)."""
    return [float(index % 40), float(index // 40 % 20), 1.0 + index % 7, 1.5 + index % 5]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(path: str, author: str, count: int, go_file: Path) -> None:
    with Project.open(path, author=author) as project:
        item_ids = project.item_ids()
        say("ready")
        while not go_file.exists():
            time.sleep(0.001)
        for index in range(count):
            item_id = item_ids[index % len(item_ids)]
            annotation_id = project.annotate(item_id, "cat", box=writer_box(index))
            say(f"A {index} {annotation_id}")
    say("done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
