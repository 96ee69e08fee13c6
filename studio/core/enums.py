"""The fixed vocabularies of the project file (stored as their string values)."""

from __future__ import annotations

from enum import Enum


class ItemStatus(str, Enum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DONE_EMPTY = "done_empty"
    REVIEWED = "reviewed"
    REJECTED = "rejected"


# The statuses of items whose labels are final: exported, and frozen into dataset versions.
LABELED_STATUSES = frozenset(
    {ItemStatus.DONE.value, ItemStatus.DONE_EMPTY.value, ItemStatus.REVIEWED.value}
)


class Split(str, Enum):
    TRAIN = "train"
    VAL = "val"
    TEST = "test"


class AnnotationKind(str, Enum):
    TAG = "tag"
    BOX = "box"
    POLYGON = "polygon"
    MASK = "mask"
    KEYPOINTS = "keypoints"
    POLYLINE = "polyline"  # an open chain of points (a lane, a crack, a wire); since 0011
    ROTATED_BOX = "rotated_box"  # [cx, cy, w, h, angle°] clockwise on screen; since 0011


class AnnotationSource(str, Enum):
    HUMAN = "human"
    MODEL = "model"
    SAM = "sam"


class ReviewState(str, Enum):
    """Where a suggestion stands; an ordinary (human) shape has none (NULL in the file)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Task(str, Enum):
    """What a model learns from a dataset version."""

    CLASSIFICATION = "classification"  # one class per image (its tag)
    MULTILABEL = "multilabel"  # any number of classes per image (its tags)
    DETECTION = "detection"  # boxes
    SEGMENTATION = "segmentation"  # instance masks (from polygons and masks)


# Tasks whose targets are objects (a box or a mask each), not whole-image classes.
OBJECT_TASKS = (Task.DETECTION.value, Task.SEGMENTATION.value)


class RunStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the worker died (killed, crashed, power cut): resumable


# The statuses a run can be resumed from (its worker is gone and it did not finish).
RESUMABLE_STATUSES = frozenset(
    {RunStatus.INTERRUPTED.value, RunStatus.CANCELLED.value, RunStatus.FAILED.value}
)


def parse_enum(enum_type: type[Enum], value: object, what: str) -> Enum:
    """Return the member of `enum_type` named by `value`, or raise a clear ValueError."""
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise ValueError(f"unknown {what} {value!r}; expected one of: {allowed}") from None
