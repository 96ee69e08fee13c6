"""A plain model of the edits the reliability children make, shared by child and parent.

An edit is a JSON-able dict (`op` plus its arguments, and the ids the API returned once it
is acknowledged). The child uses the model to choose undo/redo only when its own edits can
be undone; the parent replays the acknowledged edits into a fresh model and compares it with
what the project file holds after the kill.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LABELS = ("cat", "dog")
STATUSES = ("new", "in_progress", "done", "done_empty", "reviewed", "rejected")
IMAGE_SIZE = (64, 48)

Edit = dict[str, Any]
# annotation id -> (item_id, label, kind, geometry)
Annotations = dict[int, tuple[int, str, str, Any]]


@dataclass
class State:
    annotations: Annotations
    statuses: dict[int, str]


@dataclass
class EditModel:
    """Expected annotations and statuses, with undo/redo stacks of whole states."""

    state: State
    undo_stack: list[State] = field(default_factory=list)
    redo_stack: list[State] = field(default_factory=list)

    @classmethod
    def fresh(cls, item_ids: Sequence[int]) -> EditModel:
        return cls(State({}, dict.fromkeys(item_ids, "new")))

    def _begin(self) -> State:
        self.undo_stack.append(copy.deepcopy(self.state))
        self.redo_stack.clear()
        return self.state

    @staticmethod
    def _add(state: State, annotation_id: int, values: tuple[int, str, str, Any]) -> None:
        """A new annotation; as in the API, a new item moves to "in progress"."""
        assert annotation_id not in state.annotations, f"id {annotation_id} given twice"
        state.annotations[annotation_id] = values
        if state.statuses[values[0]] == "new":
            state.statuses[values[0]] = "in_progress"

    def apply(self, edit: Edit) -> None:
        """Apply an acknowledged edit (with the ids the API returned)."""
        op = edit["op"]
        if op == "undo":
            self.redo_stack.append(self.state)
            self.state = self.undo_stack.pop()
        elif op == "redo":
            self.undo_stack.append(self.state)
            self.state = self.redo_stack.pop()
        elif op == "box":
            values = (edit["item"], edit["label"], "box", edit["box"])
            self._add(self._begin(), edit["id"], values)
        elif op == "tag":
            values = (edit["item"], edit["label"], "tag", None)
            if values not in self.state.annotations.values():  # a repeated tag is no edit
                self._add(self._begin(), edit["id"], values)
        elif op == "status":
            if self.state.statuses[edit["item"]] != edit["status"]:
                self._begin().statuses[edit["item"]] = edit["status"]
        elif op == "update":
            state = self._begin()
            item_id, label, kind, _ = state.annotations[edit["id"]]
            state.annotations[edit["id"]] = (item_id, label, kind, edit["box"])
        elif op == "bulk":
            if edit["specs"]:
                state = self._begin()
                for annotation_id, spec in zip(edit["ids"], edit["specs"], strict=True):
                    # a bulk insert leaves item statuses as they are
                    values = (spec["item_id"], spec["label"], "box", spec["box"])
                    state.annotations[annotation_id] = values
        else:
            raise ValueError(f"unknown edit {edit!r}")

    @staticmethod
    def with_new_ids(edit: Edit, new_ids: list[int]) -> Edit | None:
        """`edit` completed with the ids found in the file, for an edit whose ack was lost.

        None when the file holds no ids that edit could have made (so it did not commit).
        """
        if edit["op"] == "bulk":
            return {**edit, "ids": new_ids} if len(new_ids) == len(edit["specs"]) else None
        if edit["op"] == "box":
            return {**edit, "id": new_ids[0]} if len(new_ids) == 1 else None
        if edit["op"] == "tag":  # a repeated tag makes no new id
            return {**edit, "id": new_ids[0] if new_ids else None}
        return edit


def random_box(rng: random.Random) -> list[float]:
    width, height = IMAGE_SIZE
    w, h = rng.randint(1, 20) + 0.25, rng.randint(1, 20) + 0.5
    return [float(rng.randint(0, width - 21)), float(rng.randint(0, height - 21)), w, h]


def choose_edit(rng: random.Random, model: EditModel, item_ids: Sequence[int]) -> Edit:
    """A random next edit; undo and redo only when the model has something to revert."""
    roll = rng.random()
    if roll < 0.12 and model.undo_stack:
        return {"op": "undo"}
    if roll < 0.3 and model.redo_stack:
        return {"op": "redo"}
    item_id, label = rng.choice(item_ids), rng.choice(LABELS)
    kind = rng.choices(("box", "tag", "status", "update", "bulk"), weights=(5, 2, 3, 2, 1))[0]
    boxes = sorted(key for key, values in model.state.annotations.items() if values[2] == "box")
    if kind == "update" and boxes:
        return {"op": "update", "id": rng.choice(boxes), "box": random_box(rng)}
    if kind == "tag":
        return {"op": "tag", "item": item_id, "label": label}
    if kind == "status":
        return {"op": "status", "item": item_id, "status": rng.choice(STATUSES)}
    if kind == "bulk":
        specs = [
            {"item_id": rng.choice(item_ids), "label": rng.choice(LABELS), "box": random_box(rng)}
            for _ in range(rng.randint(1, 8))
        ]
        return {"op": "bulk", "specs": specs}
    return {"op": "box", "item": item_id, "label": label, "box": random_box(rng)}


def perform(project: Any, edit: Edit) -> Edit:
    """Run `edit` through the production API; returns it with the ids the API gave."""
    op = edit["op"]
    if op == "undo":
        project.undo()
    elif op == "redo":
        project.redo()
    elif op == "box":
        return {**edit, "id": project.annotate(edit["item"], edit["label"], box=edit["box"])}
    elif op == "tag":
        return {**edit, "id": project.annotate(edit["item"], edit["label"])}
    elif op == "status":
        project.set_status(edit["item"], edit["status"])
    elif op == "update":
        project.update_annotation(edit["id"], geometry=edit["box"])
    elif op == "bulk":
        return {**edit, "ids": project.add_annotations(edit["specs"])}
    return edit


def read_state(project: Any, item_ids: Sequence[int]) -> State:
    """What the project holds, in the model's terms."""
    annotations: Annotations = {}
    for item_id in item_ids:
        for record in project.annotations(item_id):
            annotations[record.id] = (record.item_id, record.label, record.kind, record.geometry)
    statuses = {item.id: item.status for item in project.items_by_ids(item_ids)}
    return State(annotations, statuses)
