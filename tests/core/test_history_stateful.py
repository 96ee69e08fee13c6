"""A hypothesis state machine: edits, undo, redo, close and reopen against a plain model.

The model keeps the expected annotations and statuses and, for undo/redo, two stacks of
snapshots of that state. After every step the project must match it exactly.
"""

from __future__ import annotations

import copy
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from studio.api import Project
from studio.core.database import backup_file
from studio.core.errors import InvalidEditError, NothingToUndoError
from tests.conftest import write_images

LABELS = ("cat", "dog")
STATUSES = ("new", "in_progress", "done", "done_empty", "reviewed", "rejected")
IMAGE_COUNT = 3
WIDTH, HEIGHT = 64, 48

# id -> (item_id, label, kind, geometry, score)
Annotations = dict[int, tuple[int, str, str, Any, float | None]]


@dataclass
class Snapshot:
    classes: bool
    annotations: Annotations
    statuses: dict[int, str]


@dataclass
class Model:
    """What the project must contain, and the undo/redo stacks of whole snapshots."""

    state: Snapshot
    undo_stack: list[Snapshot] = field(default_factory=list)
    redo_stack: list[Snapshot] = field(default_factory=list)

    def edit(self) -> Snapshot:
        """Start an edit: push the current state, drop redo, return the state to change."""
        self.undo_stack.append(copy.deepcopy(self.state))
        self.redo_stack.clear()
        return self.state

    def undo(self) -> None:
        self.redo_stack.append(self.state)
        self.state = self.undo_stack.pop()

    def redo(self) -> None:
        self.undo_stack.append(self.state)
        self.state = self.redo_stack.pop()


def make_template(folder: Path) -> tuple[Path, list[int]]:
    """A closed project with a few images and then classes: one undoable edit, the classes.

    The import's own history entry is cleared, because the model does not model items
    appearing and disappearing (tests/core/test_history.py covers undoing an import).
    """
    path = folder / "template.studio"
    with Project.create(path, author="model") as project:
        project.import_media(write_images(folder / "images", IMAGE_COUNT, (WIDTH, HEIGHT)))
    connection = sqlite3.connect(str(path))
    with connection:
        connection.execute("DELETE FROM history")
    connection.close()
    with Project.open(path, author="model") as project:
        project.add_classes(list(LABELS))
        return path, project.item_ids()


sizes = st.integers(1, 8).map(lambda value: value + 0.5)
boxes = st.tuples(
    st.integers(0, WIDTH - 10).map(float), st.integers(0, HEIGHT - 10).map(float), sizes, sizes
).map(list)
labels = st.sampled_from(LABELS)
scores = st.none() | st.sampled_from([0.0, 0.25, 1.0])


class HistoryMachine(RuleBasedStateMachine):
    """One project copied from the template per example; rules edit, undo, redo, reopen."""

    template: Path
    item_ids: list[int]
    runs = 0

    def __init__(self) -> None:
        super().__init__()
        HistoryMachine.runs += 1
        self.folder = self.template.parent / f"run-{self.runs}"
        self.folder.mkdir()
        self.path = self.folder / "project.studio"
        backup_file(self.template, self.path)
        self.project = Project.open(self.path, author="machine")
        initial = Snapshot(True, {}, dict.fromkeys(self.item_ids, "new"))
        self.model = Model(initial, undo_stack=[Snapshot(False, {}, dict(initial.statuses))])

    def teardown(self) -> None:
        self.project.close()

    # -- helpers ---------------------------------------------------------------------------

    def _refused(self, error: type[Exception], call: Any, *args: Any, **kwargs: Any) -> None:
        with pytest.raises(error):
            call(*args, **kwargs)

    def _add(self, annotation_id: int, values: tuple[int, str, str, Any, float | None]) -> None:
        state = self.model.state
        assert annotation_id not in state.annotations
        state.annotations[annotation_id] = values
        if state.statuses[values[0]] == "new":
            state.statuses[values[0]] = "in_progress"

    def _existing(self, data: st.DataObject, kind: str | None = None) -> int | None:
        candidates = sorted(
            annotation_id
            for annotation_id, values in self.model.state.annotations.items()
            if kind is None or values[2] == kind
        )
        return data.draw(st.sampled_from(candidates)) if candidates else None

    # -- rules -----------------------------------------------------------------------------

    @rule(item=st.integers(0, IMAGE_COUNT - 1), label=labels, box=boxes, score=scores)
    def annotate_box(self, item: int, label: str, box: list[float], score: float | None) -> None:
        item_id = self.item_ids[item]
        if not self.model.state.classes:
            self._refused(InvalidEditError, self.project.annotate, item_id, label, box=box)
            return
        annotation_id = self.project.annotate(item_id, label, box=box, score=score)
        self.model.edit()
        self._add(annotation_id, (item_id, label, "box", box, score))

    @rule(item=st.integers(0, IMAGE_COUNT - 1), label=labels)
    def annotate_tag(self, item: int, label: str) -> None:
        item_id = self.item_ids[item]
        if not self.model.state.classes:
            self._refused(InvalidEditError, self.project.annotate, item_id, label)
            return
        existing = [
            annotation_id
            for annotation_id, values in self.model.state.annotations.items()
            if values[:3] == (item_id, label, "tag")
        ]
        annotation_id = self.project.annotate(item_id, label)
        if existing:  # the same tag twice is one tag, and no edit
            assert annotation_id == min(existing)
            return
        self.model.edit()
        self._add(annotation_id, (item_id, label, "tag", None, None))

    @rule(data=st.data(), box=boxes, label=st.none() | labels)
    def update_box(self, data: st.DataObject, box: list[float], label: str | None) -> None:
        annotation_id = self._existing(data, kind="box")
        if annotation_id is None:
            return
        self.project.update_annotation(annotation_id, geometry=box, label=label)
        state = self.model.edit()
        item_id, old_label, kind, _, score = state.annotations[annotation_id]
        state.annotations[annotation_id] = (item_id, label or old_label, kind, box, score)

    @rule(data=st.data())
    def delete_annotation(self, data: st.DataObject) -> None:
        annotation_id = self._existing(data)
        if annotation_id is None:
            self._refused(InvalidEditError, self.project.delete_annotation, 10**9)
            return
        self.project.delete_annotation(annotation_id)
        del self.model.edit().annotations[annotation_id]

    @rule(item=st.integers(0, IMAGE_COUNT - 1), status=st.sampled_from(STATUSES))
    def set_status(self, item: int, status: str) -> None:
        item_id = self.item_ids[item]
        self.project.set_status(item_id, status)
        if self.model.state.statuses[item_id] != status:  # no change, no edit
            self.model.edit().statuses[item_id] = status

    @rule(
        specs=st.lists(
            st.tuples(st.integers(0, IMAGE_COUNT - 1), labels, st.none() | boxes), max_size=4
        )
    )
    def add_annotations(self, specs: list[tuple[int, str, list[float] | None]]) -> None:
        batch = [
            {"item_id": self.item_ids[item], "label": label, "box": box}
            for item, label, box in specs
        ]
        if batch and not self.model.state.classes:
            self._refused(InvalidEditError, self.project.add_annotations, batch)
            return
        ids = self.project.add_annotations(batch)
        assert len(ids) == len(batch)
        known = self.model.state.annotations
        if all(annotation_id in known for annotation_id in ids):
            return  # nothing new (no batch, or only tags the items had): no history entry
        state = self.model.edit()
        for annotation_id, spec in zip(ids, batch, strict=True):
            kind = "tag" if spec["box"] is None else "box"
            if kind == "tag":
                same_tag = [
                    other
                    for other, values in state.annotations.items()
                    if values[:3] == (spec["item_id"], spec["label"], "tag")
                ]
                assert same_tag in ([], [annotation_id])  # a tag is never doubled
            # a bulk insert leaves item statuses as they are
            state.annotations[annotation_id] = (
                spec["item_id"],
                spec["label"],
                kind,
                spec["box"],
                None,
            )

    @rule()
    def undo(self) -> None:
        if not self.model.undo_stack:
            self._refused(NothingToUndoError, self.project.undo)
            return
        self.project.undo()
        self.model.undo()

    @rule()
    def redo(self) -> None:
        if not self.model.redo_stack:
            self._refused(NothingToUndoError, self.project.redo)
            return
        self.project.redo()
        self.model.redo()

    @rule()
    def close_and_reopen(self) -> None:
        self.project.close()
        assert [p.name for p in self.folder.iterdir()] == [self.path.name]
        self.project = Project.open(self.path, author="machine")

    # -- the check after every step --------------------------------------------------------

    @invariant()
    def project_matches_the_model(self) -> None:
        state = self.model.state
        assert bool(self.project.classes()) == state.classes
        actual: Annotations = {}
        for item_id in self.item_ids:
            for record in self.project.annotations(item_id):
                actual[record.id] = (
                    record.item_id,
                    record.label,
                    record.kind,
                    record.geometry,
                    record.score,
                )
        assert actual == state.annotations
        statuses = {item.id: item.status for item in self.project.items_by_ids(self.item_ids)}
        assert statuses == state.statuses
        assert self.project.can_undo() == bool(self.model.undo_stack)
        assert self.project.can_redo() == bool(self.model.redo_stack)
        assert self._history_sizes() == (len(self.model.undo_stack), len(self.model.redo_stack))

    def _history_sizes(self) -> tuple[int, int]:
        """The numbers of entries that can be undone and redone, read from the file."""
        connection = sqlite3.connect(str(self.path))
        try:
            query = "SELECT count(*) FROM history WHERE undone = ?"
            done = connection.execute(query, (False,)).fetchone()[0]
            return done, connection.execute(query, (True,)).fetchone()[0]
        finally:
            connection.close()


def test_history_against_the_model(tmp_path: Path) -> None:
    HistoryMachine.template, HistoryMachine.item_ids = make_template(tmp_path)
    machine = HistoryMachine.TestCase
    machine.settings = settings(
        # 35 still found the one discrepancy this test caught (bulk tags already there, commit
        # 5494524) in 4 of 4 runs with a fresh example database; 70 took twice as long.
        max_examples=35,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine().runTest()
