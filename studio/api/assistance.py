"""The assistance service: the labeling assistants plugins offer, and their suggestions.

    project.assistants()                          # those fit for the project's labeling mode
    project.suggest("darkest-box", item_id)       # [{"item_id": 3, "label": "blob", "box": ...}]

Suggestions are returned, never stored: the caller shows them and adds the accepted ones with
`Project.add_annotations`. An assistant is created once per process (loading a model is slow)
and runs under its plugin's guard, so one that raises is disabled and reported as a
`PluginError` while Studio carries on.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from studio.api.context import ProjectContext
from studio.api.labels import LabelsService
from studio.core.enums import Task
from studio.core.errors import StudioError
from studio.core.settings import LABELING_MODE
from studio.plugins.specs import AssistantSpec

# The training tasks a project's labeling mode produces labels for.
TASKS_OF_LABELING_MODE = {
    "objects": frozenset({Task.DETECTION.value, Task.SEGMENTATION.value}),
    "single_label": frozenset({Task.CLASSIFICATION.value}),
    "multi_label": frozenset({Task.MULTILABEL.value}),
}

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
