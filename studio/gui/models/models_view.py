"""The Models view: every registered model version with its aliases, the actions on the
selected one (aliases, export), and its lineage: the run it came from, the dataset version
(counts per split and content hash) and how many images each split held.

`refresh()` runs on the main window's change polling, so a model registered or an alias moved
from the CLI shows up here.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.errors import StudioError
from studio.gui.labels_io import error_label, show_error
from studio.gui.models import version_label
from studio.gui.models.alias_dialog import AliasDialog
from studio.gui.models.models_model import ModelsModel
from studio.gui.training import SPLITS, format_metric, headline_metrics

ITEMS_LINK = "items:"  # an anchor "items:train" selects that split's images in the gallery
RUN_KEYS = (
    ("status", "Status"),
    ("task", "Task"),
    ("model", "Architecture"),
    ("seed", "Seed"),
    ("device", "Device"),
    ("pretrained", "Weights"),
)


def _row(title: str, value: Any) -> str:
    return f"<tr><td><b>{html.escape(title)}</b>&nbsp;</td><td>{html.escape(str(value))}</td></tr>"


def _table(rows: list[str]) -> str:
    return f"<table cellspacing='2'>{''.join(rows)}</table>"


def _when(timestamp: Any) -> str:
    if not isinstance(timestamp, (int, float)):
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def model_section(model: Mapping[str, Any]) -> str:
    rows = [
        _row("Reference", f"{model.get('name')}:{model.get('version')}"),
        _row("Aliases", ", ".join(model.get("aliases") or ()) or "none"),
        _row("Checkpoint", model.get("checkpoint", "")),
        _row("sha256", model.get("checkpoint_sha256", "")),
        _row("Stored at", model.get("checkpoint_path") or "missing from the run's files"),
        _row("Registered", f"{_when(model.get('created_at'))} {model.get('author') or ''}"),
    ]
    if not model.get("checkpoint_unchanged", True):
        rows.append(_row("Warning", "the run's checkpoint changed since it was registered"))
    figures = model.get("metrics") or {}
    metrics = headline_metrics(figures)
    if metrics:
        rows.append(_row(str(figures.get("split", "test")).capitalize(), metrics))
    if model.get("notes"):
        rows.append(_row("Notes", model["notes"]))
    return "<h3>Model version</h3>" + _table(rows)


def run_section(run: Mapping[str, Any]) -> str:
    rows = [_row("Run", f"{run.get('name')} (#{run.get('id')})")]
    rows += [_row(title, run[key]) for key, title in RUN_KEYS if run.get(key) not in (None, "")]
    config = run.get("config") or {}
    if config:
        epochs = f"{run.get('epochs_done', '?')} / {config.get('epochs', '?')}"
        rows.append(_row("Epochs", epochs))
        settings = ("batch_size", "learning_rate", "optimizer", "input_size")
        shown = ", ".join(
            f"{key} {format_metric(config[key])}" for key in settings if key in config
        )
        rows.append(_row("Settings", shown))
    if run.get("finished_at"):
        rows.append(_row("Finished", _when(run["finished_at"])))
    return "<h3>Training run</h3>" + _table(rows)


def dataset_section(dataset: Mapping[str, Any], items: Mapping[str, Any]) -> str:
    counts = dataset.get("counts") or {}
    images = counts.get("items", {}) if isinstance(counts, Mapping) else {}
    annotations = counts.get("annotations", {}) if isinstance(counts, Mapping) else {}
    classes = [
        c.get("name", "") if isinstance(c, Mapping) else str(c)
        for c in dataset.get("classes") or ()
    ]
    rows = [
        _row("Version", f"{dataset.get('name')} (#{dataset.get('id')})"),
        _row("Content hash", dataset.get("content_hash", "")),
        _row("Classes", ", ".join(classes)),
    ]
    header = "<tr><th></th><th>images</th><th>annotations</th><th>in lineage</th></tr>"
    split_rows = []
    for split in SPLITS:
        listed = len(items.get(split) or ())
        link = f"<a href='{ITEMS_LINK}{split}'>{listed:,}</a>" if listed else "0"
        split_rows.append(
            f"<tr><td><b>{split}</b></td><td align='right'>{int(images.get(split, 0)):,}</td>"
            f"<td align='right'>{int(annotations.get(split, 0)):,}</td>"
            f"<td align='right'>{link}</td></tr>"
        )
    splits = f"<table cellspacing='4'>{header}{''.join(split_rows)}</table>"
    return "<h3>Dataset version</h3>" + _table(rows) + splits


def lineage_html(lineage: Mapping[str, Any]) -> str:
    """The lineage of a model version as HTML: model, run, dataset version and its splits."""
    return "".join(
        (
            model_section(lineage.get("model_version") or {}),
            run_section(lineage.get("run") or {}),
            dataset_section(lineage.get("dataset_version") or {}, lineage.get("items") or {}),
        )
    )


class ModelsView(QWidget):
    selection_changed = Signal(object)  # the selected ModelVersionRecord, or None
    register_requested = Signal()
    export_requested = Signal(str)  # the selected version's reference ("digits:3")
    items_requested = Signal(list)  # item ids to select in the gallery
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsView")
        self.project: Project | None = None
        self.model = ModelsModel(self)
        self.lineage: dict[str, Any] = {}
        self._shown_record: Any = None  # the version whose lineage is shown
        self._build()
        self._after_refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        buttons = QHBoxLayout()
        self.register_button = QPushButton("Register…")
        self.register_button.setObjectName("registerModel")
        self.register_button.setToolTip("Register a finished run's checkpoint as a model version")
        self.register_button.clicked.connect(self.register_requested)
        self.alias_button = QPushButton("Aliases…")
        self.alias_button.setObjectName("editAliases")
        self.alias_button.setToolTip("Set, move or remove the selected version's aliases")
        self.alias_button.clicked.connect(self.edit_aliases)
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportModel")
        self.export_button.setToolTip("Export the selected version as a deployment bundle")
        self.export_button.clicked.connect(self.request_export)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("deleteModelVersion")
        self.delete_button.setToolTip(
            "Forget the selected version and its aliases (the run and its files stay)"
        )
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        buttons_in_order = (
            self.register_button,
            self.alias_button,
            self.export_button,
            self.delete_button,
        )
        for button in buttons_in_order:
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout.addLayout(buttons)
        self.error = error_label("modelsError")
        layout.addWidget(self.error)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_table())
        self.lineage_view = QTextBrowser()
        self.lineage_view.setObjectName("lineage")
        self.lineage_view.setOpenLinks(False)
        self.lineage_view.anchorClicked.connect(self._link_clicked)
        self.lineage_view.setPlaceholderText("Select a model version to see where it came from.")
        splitter.addWidget(self.lineage_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 420])
        layout.addWidget(splitter, 1)

    def _build_table(self) -> QTableView:
        self.table = QTableView()
        self.table.setObjectName("modelsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self.edit_aliases)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        return self.table

    # -- data ----------------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self._shown_record = None
        self.model.set_project(project)
        self._after_refresh()

    def refresh(self) -> None:
        """Re-read the versions, keeping the selected one selected."""
        if self.project is None:
            return
        selected = self.selected_record()
        self.model.refresh()
        if selected is not None and self.selected_record() is None:
            self.select_version(selected.id)
        self._after_refresh()

    def _after_refresh(self) -> None:
        count = self.model.rowCount()
        self.count_label.setText(f"{count} model version{'s' if count != 1 else ''}")
        self._show_lineage()
        self._update_buttons()

    def selected_record(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record_at(rows[0].row()) if rows else None

    def select_version(self, version_id: int) -> bool:
        row = self.model.row_of(version_id)
        if row < 0:
            return False
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().select(self.model.index(row, 0), flags)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _selection_changed(self) -> None:
        self._show_lineage()
        self._update_buttons()
        self.selection_changed.emit(self.selected_record())

    def _show_lineage(self) -> None:
        """The selected version's lineage, re-read only when the selection or its record
        changed (a poll while another process trains must not re-read it every time)."""
        record = self.selected_record() if self.project is not None else None
        if record is not None and record == self._shown_record:
            return
        self._shown_record = record
        if record is None:
            self.lineage = {}
            self.lineage_view.clear()
            return
        try:
            self.lineage = self.project.lineage(record.ref)
        except StudioError as error:
            self.lineage = {}
            self.lineage_view.setPlainText(str(error))
            return
        scroll = self.lineage_view.verticalScrollBar().value()
        self.lineage_view.setHtml(lineage_html(self.lineage))
        self.lineage_view.verticalScrollBar().setValue(scroll)

    def _update_buttons(self) -> None:
        has_project = self.project is not None
        selected = self.selected_record() is not None
        self.register_button.setEnabled(has_project)
        self.alias_button.setEnabled(selected)
        self.export_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)

    # -- actions -------------------------------------------------------------------------

    def edit_aliases(self) -> AliasDialog | None:
        record = self.selected_record()
        if record is None or self.project is None:
            return None
        dialog = AliasDialog(self.project, record, self)
        dialog.changed.connect(self.refresh)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def remove_alias(self, alias: str) -> bool:
        record = self.selected_record()
        if record is None or self.project is None:
            return False
        try:
            self.project.remove_alias(record.name, alias)
        except StudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self.refresh()
        self.message.emit(f"Alias {record.name}:{alias} removed")
        return True

    def delete_selected(self, confirm: bool = True) -> bool:
        record = self.selected_record()
        if record is None or self.project is None:
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete the model version",
                f"Forget {version_label(record)}? Its aliases go with it; the run "
                f"{record.run_name} and its checkpoints stay. This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            self.project.delete_model_version(record.name, record.version)
        except StudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self.refresh()
        self.message.emit(f"Model version {record.ref} deleted")
        return True

    def request_export(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.export_requested.emit(record.ref)

    def copy_reference(self) -> None:
        record = self.selected_record()
        if record is not None:
            QGuiApplication.clipboard().setText(record.ref)
            self.message.emit(f"Copied {record.ref}")

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        self.select_version(self.model.record_at(index.row()).id)
        self.context_menu().popup(self.table.viewport().mapToGlobal(position))

    def context_menu(self) -> QMenu:
        """The menu of the selected version: aliases, remove each alias, export, copy."""
        record = self.selected_record()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction("Aliases…", self.edit_aliases)
        for alias in record.aliases if record is not None else ():
            menu.addAction(f"Remove alias “{alias}”", lambda a=alias: self.remove_alias(a))
        menu.addSeparator()
        menu.addAction("Export…", self.request_export)
        if record is not None:
            menu.addAction(f"Copy reference “{record.ref}”", self.copy_reference)
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete_selected())
        return menu

    def _link_clicked(self, url: QUrl) -> None:
        text = url.toString()
        if not text.startswith(ITEMS_LINK):
            return
        split = text[len(ITEMS_LINK) :]
        ids = [int(item_id) for item_id in (self.lineage.get("items") or {}).get(split, ())]
        if ids:
            self.items_requested.emit(ids)
