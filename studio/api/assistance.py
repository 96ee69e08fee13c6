"""The assistance service: the labeling assistants plugins offer, their suggestions for
whole images and their answers to prompts (points, boxes) on one image.

    project.assistants()                          # those fit for the project's labeling mode
    project.suggest("darkest-box", item_id)       # [{"item_id": 3, "label": "blob", "box": ...}]
    project.answer("magic_wand", item_id, points=[(120, 80), (90, 40, 0)], shape="polygon")

Suggestions and answers are returned, never stored: the caller shows them and adds the
accepted ones with `Project.add_annotations`. An assistant is created once per process
(loading a model is slow) and runs under its plugin's guard, so one that raises is disabled
and reported as a `PluginError` while Studio carries on.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from studio.api.context import ProjectContext
from studio.api.labels import LabelsService
from studio.core.enums import Task
from studio.core.errors import StudioError
from studio.core.geometry import decode_mask, mask_to_polygons
from studio.core.prompts import Point, PromptError, Prompts
from studio.core.settings import LABELING_MODE
from studio.plugins.specs import AssistantSpec

# The training tasks a project's labeling mode produces labels for.
TASKS_OF_LABELING_MODE = {
    "objects": frozenset({Task.DETECTION.value, Task.SEGMENTATION.value}),
    "single_label": frozenset({Task.CLASSIFICATION.value}),
    "multi_label": frozenset({Task.MULTILABEL.value}),
}

AnswerShape = Literal["mask", "polygon"]
# A point prompt: a `Point`, `(x, y)` (positive), or `(x, y, label)` with label 1 (positive)
# or 0 (negative), as Segment Anything labels its points.
PointPrompt = Point | Sequence[float]

# Assistants this process created, by their spec (equal specs: the same plugin's assistant).
_created: dict[AssistantSpec, Any] = {}
_created_lock = threading.Lock()


class AssistanceService:
    """Lists assistants and asks pre-labelers for suggestions; `Project` delegates to it."""

    def __init__(self, context: ProjectContext, labels: LabelsService) -> None:
        self._context = context
        self._labels = labels

    def tasks(self) -> frozenset[str]:
        """The training tasks the project's labels serve, from its labeling mode."""
        return TASKS_OF_LABELING_MODE[self._labels.setting(LABELING_MODE)]

    def assistants(self) -> list[AssistantSpec]:
        """The `studio_assistants` entries that help with the project's tasks (an assistant
        with no tasks helps with all)."""
        tasks = self.tasks()
        return [
            spec
            for spec in self._context.plugins.collect("studio_assistants")
            if not spec.tasks or spec.tasks & tasks
        ]

    def suggest(self, assistant: str, item_id: int) -> list[dict[str, Any]]:
        """What the pre-labeler named `assistant` suggests for an item: annotation mappings
        with `item_id` set, as `Project.add_annotations` takes them. Nothing is stored."""
        spec = self._assistant(assistant)
        if spec.kind != "pre-labeler":
            raise StudioError(
                f"assistant {assistant!r} is {spec.kind}: it answers prompts, not whole images"
            )
        image = self._labels.media_path(item_id)
        classes = [record.name for record in self._labels.classes(include_archived=False)]
        plugins = self._context.plugins
        with plugins.guard(spec, "suggest"):
            suggestions = list(self._created(spec).suggest(image, classes))
            if not all(isinstance(entry, Mapping) for entry in suggestions):
                raise TypeError("suggest must return a list of annotation mappings")
        return [{**entry, "item_id": item_id} for entry in suggestions]

    def answer(
        self,
        assistant: str,
        item_id: int,
        *,
        points: Iterable[PointPrompt] = (),
        box: Sequence[float] | None = None,
        shape: AnswerShape = "mask",
        polygon_tolerance: float = 1.0,
    ) -> list[dict[str, Any]]:
        """What the interactive assistant named `assistant` answers to prompts on an item:
        annotation mappings with `item_id` set and no `label` (the caller gives the class), as
        `Project.add_annotations` takes them. Nothing is stored.

        `box` is `[x, y, width, height]` in image pixels. With `shape="polygon"`, masks come
        back as polygons (holes as inner rings) simplified to within `polygon_tolerance` pixels.
        Prompts outside the image are refused with a `PromptError` before the assistant runs.
        """
        spec = self._assistant(assistant)
        if spec.kind != "interactive":
            raise StudioError(
                f"assistant {assistant!r} is {spec.kind}: it labels whole images, not prompts"
            )
        if shape not in ("mask", "polygon"):
            raise StudioError(f"shape must be 'mask' or 'polygon', not {shape!r}")
        item = self._labels.item(item_id)
        image = self._labels.media_path(item)
        prompts = prompts_from(points, box, image)
        prompts.check(item.width, item.height, image)
        with self._context.plugins.guard(spec, "answer"):
            answers = list(self._created(spec).answer(image, prompts))
            if not all(isinstance(entry, Mapping) for entry in answers):
                raise TypeError("answer must return a list of annotation mappings")
        if shape == "polygon":
            answers = _as_polygons(answers, polygon_tolerance)
        return [{**entry, "item_id": item_id} for entry in answers]

    def _assistant(self, name: str) -> AssistantSpec:
        available = self.assistants()
        for spec in available:
            if spec.name == name:
                return spec
        known = ", ".join(sorted(spec.name for spec in available)) or "none"
        raise StudioError(f"no assistant named {name!r} for this project; available: {known}")

    def _created(self, spec: AssistantSpec) -> Any:
        """The process's assistant object for `spec`, created on first use (under guard)."""
        with _created_lock:
            if spec not in _created:
                with self._context.plugins.guard(spec, "create"):
                    _created[spec] = spec.create()
            return _created[spec]


def prompts_from(
    points: Iterable[PointPrompt], box: Sequence[float] | None, image: object
) -> Prompts:
    """Points and a box as a script gives them, as `Prompts`; a `PromptError` naming `image`
    when one is malformed (whether they lie inside the image is `Prompts.check`'s job)."""
    return Prompts(
        tuple(_point(point, image) for point in points),
        None if box is None else _box(box, image),
    )


def _point(point: PointPrompt, image: object) -> Point:
    if isinstance(point, Point):
        return point
    values = list(point)
    if len(values) not in (2, 3) or not _numbers(values):
        raise PromptError(f"{image}: a point is (x, y) or (x, y, label), not {point!r}")
    if len(values) == 3 and values[2] not in (0, 1):
        raise PromptError(f"{image}: a point's label is 1 (positive) or 0, not {point!r}")
    return Point(float(values[0]), float(values[1]), len(values) == 2 or values[2] == 1)


def _box(box: Sequence[float], image: object) -> tuple[float, float, float, float]:
    values = list(box)
    if len(values) != 4 or not _numbers(values):
        raise PromptError(f"{image}: a box is [x, y, width, height], not {box!r}")
    x, y, width, height = (float(value) for value in values)
    return (x, y, width, height)


def _numbers(values: list[Any]) -> bool:
    return all(
        isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        for value in values
    )


def _as_polygons(answers: list[Mapping[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """Mask answers as polygon answers; one whose mask outlines to nothing is dropped."""
    converted = []
    for entry in answers:
        if "mask" not in entry:
            converted.append(dict(entry))
            continue
        rings = mask_to_polygons(decode_mask(entry["mask"]), tolerance)
        if rings:
            polygon = {key: value for key, value in entry.items() if key != "mask"}
            converted.append({**polygon, "polygon": rings})
    return converted
