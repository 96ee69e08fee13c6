"""The Plugins dialog (Help ▸ Plugins…): every plugin of this process, where it came from,
its version, its hooks and its errors, with a box to enable or disable it.

The choice is remembered for the user (`StudioPlugins.set_enabled`). Events and the label
formats follow it at once, and the window docks the panels of a plugin just enabled; canvas
tools are built with the window, and docked panels stay, so those change at the next start,
which the dialog says.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.plugins.manager import PluginInfo, StudioPlugins

COLUMNS = ("Enabled", "Name", "Source", "Version", "Errors", "Hooks")
ERRORS_WIDTH = 320  # pixels; the full text is in the cell's tooltip
WINDOW_HOOKS = {"studio_canvas_tools", "studio_window_panels"}
ENABLED_NOTE = "Its panels are in the View menu now; its canvas tools come at the next start."
DISABLED_NOTE = "Its canvas tools and panels stay until the next start."


def describe_state(info: PluginInfo) -> str:
    """The Errors column: what went wrong, or why the plugin is off."""
    if info.errors:
        return "; ".join(info.errors)
    if info.failed:
        return "failed: off until restart"
    return ""


class PluginsDialog(QDialog):
    changed = Signal(str)  # a plugin was enabled or disabled (its name)

    def __init__(self, manager: StudioPlugins, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.setObjectName("pluginsDialog")
        self.resize(900, 360)
        self.manager = manager
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Errors"), QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COLUMNS.index("Errors"), ERRORS_WIDTH)
        header.setStretchLastSection(True)
        self.note = QLabel()
        self.note.setObjectName("pluginsNote")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.table.itemChanged.connect(self._enabled_changed)
        self.refresh()

    def refresh(self) -> None:
        """Show the plugins as they are now."""
        infos = self.manager.infos()
        self.table.blockSignals(True)
        self.table.setRowCount(len(infos))
        for row, info in enumerate(infos):
            check = QTableWidgetItem()
            check.setData(Qt.ItemDataRole.UserRole, info.name)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if info.source != "built-in":
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            check.setFlags(flags)
            check.setCheckState(Qt.CheckState.Checked if info.enabled else Qt.CheckState.Unchecked)
            check.setToolTip("Part of Studio" if info.source == "built-in" else info.location)
            self.table.setItem(row, 0, check)
            hooks = ", ".join(hook.removeprefix("studio_") for hook in info.hooks)
            texts = (info.name, info.source, info.version, describe_state(info), hooks)
            for column, text in enumerate(texts, start=1):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.table.setItem(row, column, cell)
        self.table.blockSignals(False)

    def row_of(self, name: str) -> int | None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 1).text() == name:
                return row
        return None

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable `name` as its check box does."""
        row = self.row_of(name)
        if row is None:
            raise KeyError(name)
        state = Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked
        self.table.item(row, 0).setCheckState(state)

    def _enabled_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        enabled = item.checkState() == Qt.CheckState.Checked
        try:
            info = self.manager.set_enabled(name, enabled)
        except StudioError as error:
            self.note.setText(str(error))
            self.refresh()
            return
        shown = "enabled" if enabled else "disabled"
        window_note = ENABLED_NOTE if enabled else DISABLED_NOTE
        note = f" {window_note}" if WINDOW_HOOKS & set(info.hooks) else ""
        self.note.setText(f"{name} is {shown}.{note}")
        self.refresh()
        self.changed.emit(name)
