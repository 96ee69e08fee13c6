"""The one object every service of a `Project` works over: `ProjectContext`.

A project is one open database file, the folder it sits in, the store beside it, the person
whose edits are recorded and the process's plugins. Services (`labels`, `experiments`,
`models`, `analysis`, `assistance`) each take this context instead of re-declaring those
attributes, so there is one place that says what an open project is.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from studio.core.database import Database
from studio.core.project_file import store_dir_of
from studio.plugins.manager import StudioPlugins

PLUGIN_FOLDER = "plugins"


def current_user() -> str:
    """The login name recorded as the author of edits ("" where the system has none)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


@dataclass(frozen=True)
class ProjectContext:
    """An open project: what every service needs, fixed for as long as it is open.

    database: the project file's engine and transaction scopes.
    path: the project file, resolved.
    author: recorded with every edit, version, run and registered model.
    plugins: the process's plugin manager (`studio.plugins.manager.plugins()`).
    """

    database: Database
    path: Path
    author: str
    plugins: StudioPlugins

    @property
    def root(self) -> Path:
        """The folder holding the project file; item paths are relative to it."""
        return self.path.parent

    @property
    def store_dir(self) -> Path:
        """`NAME.studio.d`: copied media, checkpoints and caches that belong to the project."""
        return store_dir_of(self.path)

    @property
    def plugin_folder(self) -> Path:
        """`NAME.studio.d/plugins/`: the project's own plugins, run only once trusted."""
        return self.store_dir / PLUGIN_FOLDER

    @property
    def read_only(self) -> bool:
        """Whether every change is refused (`database.read_only_reason` says why)."""
        return self.database.read_only
