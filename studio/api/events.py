"""The project events plugins hear, each announced after its change was committed.

Services announce through `ProjectEvents`, which adds the `Project` the hooks receive, so a
service needs only its context. `StudioPlugins.notify` reports and disables a plugin that
raises; the change is already committed, so a failing plugin cannot undo it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from studio.core.model_registry import ModelVersionRecord
from studio.core.versions import VersionRecord
from studio.plugins.manager import StudioPlugins

if TYPE_CHECKING:
    from studio.api.project import Project


class ProjectEvents:
    """Calls the event hooks of `studio.plugins.hookspecs` for one open project."""

    def __init__(self, plugins: StudioPlugins, project: Project) -> None:
        self._plugins = plugins
        self._project = project

    def opened(self) -> None:
        self._plugins.notify("studio_project_opened", project=self._project)

    def closing(self) -> None:
        self._plugins.notify("studio_project_closing", project=self._project)

    def annotations_committed(self, item_ids: Iterable[int], description: str) -> None:
        self._plugins.notify(
            "studio_annotations_committed",
            project=self._project,
            item_ids=sorted(set(item_ids)),
            description=description,
        )

    def version_created(self, version: VersionRecord) -> None:
        self._plugins.notify("studio_version_created", project=self._project, version=version)

    def model_registered(self, model: ModelVersionRecord) -> None:
        self._plugins.notify("studio_model_registered", project=self._project, model=model)
