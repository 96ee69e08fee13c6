"""kill -9 at random moments: the file stays intact and no acknowledged edit is lost.

Each trial copies a small project, starts `kill9_child.py` on it (edits through the
production API in a loop, printing each edit only after it committed), sends SIGKILL after
a seeded random delay, then reopens the file. The acknowledged edits, replayed into a plain
model, must match the file exactly, or the file may hold one more: the edit in flight.
Trials run a few at a time on separate files.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from studio.api import Project
from studio.core.database import backup_file
from tests.reliability.children import make_template, spawn, wait_for_line
from tests.reliability.edit_model import Edit, EditModel, State, read_state

TRIALS = 60
PARALLEL = 3
MAX_DELAY_S = 0.3
SEED = int(os.environ.get("STUDIO_KILL9_SEED", "20250611"))


@dataclass
class Log:
    acknowledged: list[Edit]
    in_flight: Edit | None


@dataclass
class TrialResult:
    acknowledged: int
    killed_mid_edit: bool


def parse_log(text: str) -> Log:
    """The acknowledged edits, and the one begun but not acknowledged (if any).

    A last line without its newline was cut by the kill and does not count.
    """
    acknowledged: list[Edit] = []
    in_flight: Edit | None = None
    for line in text.split("\n")[:-1]:
        if line.startswith("I "):
            in_flight = json.loads(line[2:])
        elif line.startswith("A "):
            acknowledged.append(json.loads(line[2:]))
            in_flight = None
    return Log(acknowledged, in_flight)


def check_file(path: Path) -> tuple[int, int]:
    """Integrity and foreign keys; returns the counts of done and undone history entries."""
    connection = sqlite3.connect(str(path))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        done = connection.execute("SELECT count(*) FROM history WHERE NOT undone").fetchone()[0]
        undone = connection.execute("SELECT count(*) FROM history WHERE undone").fetchone()[0]
        return done, undone
    finally:
        connection.close()


def expected_models(log: Log, item_ids: list[int], actual: State) -> list[EditModel]:
    """The model after the acknowledged edits, and after the edit in flight too."""
    model = EditModel.fresh(item_ids)
    for edit in log.acknowledged:
        model.apply(edit)
    candidates = [model]
    if log.in_flight is not None:
        new_ids = sorted(set(actual.annotations) - set(model.state.annotations))
        completed = EditModel.with_new_ids(log.in_flight, new_ids)
        if completed is not None:
            with_in_flight = copy.deepcopy(model)
            with_in_flight.apply(completed)
            candidates.append(with_in_flight)
    return candidates


def reopen_and_compare(path: Path, item_ids: list[int], log: Log) -> None:
    history = check_file(path)
    with Project.open(path, author="parent") as project:
        actual = read_state(project, item_ids)
        project.annotate(item_ids[0], "cat", box=[1, 1, 2, 2])  # still writable
        project.undo()
    matches = [
        model
        for model in expected_models(log, item_ids, actual)
        if model.state == actual and history == (len(model.undo_stack) + 2, len(model.redo_stack))
    ]
    assert matches, (
        f"{path.name}: the file does not hold the acknowledged edits.\n"
        f"acknowledged: {len(log.acknowledged)}, last: {log.acknowledged[-3:]}\n"
        f"in flight: {log.in_flight}\nfile: {actual}\nhistory (done, undone): {history}"
    )


def run_trial(template: Path, item_ids: list[int], folder: Path, trial: int) -> TrialResult:
    rng = random.Random(SEED * 1000 + trial)
    path = folder / f"trial-{trial:03d}.studio"
    backup_file(template, path)
    log_path, errors_path = path.with_suffix(".out"), path.with_suffix(".err")
    with log_path.open("w") as out, errors_path.open("w") as errors:
        child = spawn("kill9_child.py", path, rng.randrange(2**31), stdout=out, stderr=errors)
    try:
        wait_for_line(log_path, "ready", child, errors_path)
        time.sleep(rng.uniform(0, MAX_DELAY_S))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL, errors_path.read_text()
    log = parse_log(log_path.read_text())
    reopen_and_compare(path, item_ids, log)
    return TrialResult(len(log.acknowledged), log.in_flight is not None)


def test_kill9_never_loses_an_acknowledged_edit(tmp_path: Path) -> None:
    template, item_ids = make_template(tmp_path, image_count=4)
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(
            pool.map(lambda trial: run_trial(template, item_ids, tmp_path, trial), range(TRIALS))
        )
    assert len(results) == TRIALS >= 50
    # The kills must land while edits run, or the test proves nothing.
    assert sum(result.killed_mid_edit for result in results) >= TRIALS // 2
    assert sum(result.acknowledged for result in results) >= TRIALS * 5
