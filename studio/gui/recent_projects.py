"""The projects opened lately, newest first, kept per user in QSettings (`recent_projects`).

File ▸ Open recent and the welcome page list them. A file that is gone is shown greyed
("missing"); "Remove the missing projects" takes such files off the list.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

RECENT_KEY = "recent_projects"
MOST_RECENT = 10


class RecentProjects(QObject):
    """The list itself: `add` on every project shown, `remove` a missing one."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings

    def paths(self) -> list[Path]:
        stored = self._settings.value(RECENT_KEY)
        if stored is None or stored == "":
            return []
        texts = stored if isinstance(stored, list) else [str(stored)]
        return [Path(text) for text in texts if text]

    def add(self, path: Path) -> None:
        """Put `path` first (once), keeping the `MOST_RECENT` newest."""
        path = Path(path).resolve()
        kept = [other for other in self.paths() if other != path]
        self._store([path, *kept][:MOST_RECENT])

    def remove(self, path: Path) -> None:
        self._store([other for other in self.paths() if other != Path(path)])

    def clear(self) -> None:
        self._store([])

    def last_folder(self) -> Path | None:
        """The folder of the newest project on the list that still exists."""
        return next((path.parent for path in self.paths() if path.parent.is_dir()), None)

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(RECENT_KEY, [str(path) for path in paths])
        self.changed.emit()


class RecentMenu(QMenu):
    """File ▸ Open recent: one entry per project (greyed when its file is missing), then
    "Remove the missing projects" (when one is) and "Clear the list". Rebuilt each time it
    opens, so it shows the files as they are now."""

    chosen = Signal(Path)
    message = Signal(str)

    def __init__(self, recent: RecentProjects, parent: QWidget | None = None) -> None:
        super().__init__("Open &recent", parent)
        self.setObjectName("recentMenu")
        self.recent = recent
        self.aboutToShow.connect(self.rebuild)
        recent.changed.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        paths = self.recent.paths()
        missing = [path for path in paths if not path.is_file()]
        for number, path in enumerate(paths, start=1):
            gone = path in missing
            text = f"&{number % 10} {path.name} — {path.parent}" + ("  (missing)" if gone else "")
            action = QAction(text, self)
            action.setData(str(path))
            action.setToolTip(f"{path} is missing" if gone else str(path))
            action.setEnabled(not gone)
            action.triggered.connect(lambda _checked=False, p=path: self.chosen.emit(p))
            self.addAction(action)
        if not paths:
            self.addAction("No recent projects").setEnabled(False)
            return
        self.addSeparator()
        if missing:
            self.addAction("Remove the missing projects", lambda: self._remove(missing))
        self.addAction("Clear the list", self.recent.clear)

    def entries(self) -> list[QAction]:
        """The projects' entries (not the separator or the list's own actions)."""
        return [action for action in self.actions() if action.data()]

    def _remove(self, missing: list[Path]) -> None:
        for path in missing:
            self.recent.remove(path)
        count = len(missing)
        self.message.emit(
            f"Removed {count} missing project{'s' if count != 1 else ''} from the recent list"
        )
