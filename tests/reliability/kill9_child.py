"""Child of the kill -9 test: edits a project in a loop until it is killed.

Usage: PYTHONPATH=REPOSITORY python kill9_child.py PROJECT SEED

Prints `ready` once the project is open, then for every edit `I <json>` before the API call
and `A <json>` (with the ids the API returned) only after the call returned, that is after
its transaction committed. stdout is flushed after every line.
"""

from __future__ import annotations

import json
import random
import sys

from studio.api import Project
from tests.reliability.edit_model import EditModel, choose_edit, perform


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(path: str, seed: int) -> None:
    rng = random.Random(seed)
    project = Project.open(path, author="kill9")
    item_ids = project.item_ids()
    model = EditModel.fresh(item_ids)
    say("ready")
    while True:
        edit = choose_edit(rng, model, item_ids)
        say("I " + json.dumps(edit))
        done = perform(project, edit)
        say("A " + json.dumps(done))
        model.apply(done)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
