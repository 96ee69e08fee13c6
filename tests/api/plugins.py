"""Test plugins: one that records every project event, and one that raises in each."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from studio.api import PLUGIN_API_VERSION, Project, hookimpl

EVENT_HOOKS = (
    "studio_project_opened",
    "studio_project_closing",
    "studio_annotations_committed",
    "studio_version_created",
    "studio_model_registered",
)


def committed_annotations(path: Path) -> int:
    """The annotations in the project file, read through a connection of its own: what
    another process would see, so only what was committed."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM annotation").fetchone()[0]
    finally:
        connection.close()


class EventRecorder:
    """Keeps (hook, arguments) of every project event; for edits, also how many annotations
    the file held when the hook ran."""

    STUDIO_PLUGIN_API = PLUGIN_API_VERSION

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def named(self, hook: str) -> list[dict[str, Any]]:
        return [arguments for name, arguments in self.events if name == hook]

    @hookimpl
    def studio_project_opened(self, project: Project) -> None:
        self.events.append(("studio_project_opened", {"project": project}))

    @hookimpl
    def studio_project_closing(self, project: Project) -> None:
        self.events.append(("studio_project_closing", {"items": project.count_items()}))

    @hookimpl
    def studio_annotations_committed(
        self, project: Project, item_ids: list[int], description: str
    ) -> None:
        arguments = {"project": project, "item_ids": item_ids, "description": description}
        arguments["annotations_in_file"] = committed_annotations(project.path)
        self.events.append(("studio_annotations_committed", arguments))

    @hookimpl
    def studio_version_created(self, project: Project, version: Any) -> None:
        self.events.append(("studio_version_created", {"project": project, "version": version}))

    @hookimpl
    def studio_model_registered(self, project: Project, model: Any) -> None:
        self.events.append(("studio_model_registered", {"project": project, "model": model}))


class Raising:
    """Raises in every event hook: register it just before the event a test is about."""

    STUDIO_PLUGIN_API = PLUGIN_API_VERSION

    @hookimpl
    def studio_project_opened(self) -> None:
        raise RuntimeError("broken studio_project_opened")

    @hookimpl
    def studio_project_closing(self) -> None:
        raise RuntimeError("broken studio_project_closing")

    @hookimpl
    def studio_annotations_committed(self) -> None:
        raise RuntimeError("broken studio_annotations_committed")

    @hookimpl
    def studio_version_created(self) -> None:
        raise RuntimeError("broken studio_version_created")

    @hookimpl
    def studio_model_registered(self) -> None:
        raise RuntimeError("broken studio_model_registered")
