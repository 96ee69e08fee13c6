"""The gallery of a detector's mistakes: false positives, false negatives, poor
localisations and wrong classes, each image drawn with the ground truth solid and the
prediction dashed, filtered by kind and class; the selected one larger beside the list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.versions import VersionItem
from studio.gui.analysis.image_grid import GridEntry, ImageGrid
from studio.gui.analysis.overlays import OverlayRenderer, OverlayRequest

ERROR_KINDS = ("false_positive", "false_negative", "poor_localisation", "wrong_class")
KIND_TITLES = {
    "false_positive": "False positives",
    "false_negative": "False negatives",
    "poor_localisation": "Poor localisation",
    "wrong_class": "Wrong class",
}
KIND_NAMES = {
    "false_positive": "False positive: a detection of nothing",
    "false_negative": "False negative: a missed object",
    "poor_localisation": "Poor localisation: the object found, badly outlined",
    "wrong_class": "Wrong class: the object found under another class",
}
CARD_SIDE = 180
PREVIEW_SIDE = 420
OTHER_COLOR = "#9e9e9e"


def error_caption(error: Mapping[str, Any]) -> str:
    """ "wrong class: cat → dog 0.70", "missed: cat", "false positive: dog 0.91"."""
    score = f" {error['score']:.2f}" if error.get("score") is not None else ""
    kind = error["kind"]
    if kind == "false_negative":
        return f"missed: {error['class']}"
    if kind == "wrong_class":
        return f"wrong class: {error['class']} → {error['predicted_class']}{score}"
    if kind == "poor_localisation":
        return f"poor fit: {error['class']}{score} · IoU {error['iou']:.2f}"
    return f"false positive: {error['predicted_class']}{score}"


def error_details(error: Mapping[str, Any], item: VersionItem | None) -> str:
    lines = [KIND_NAMES[error["kind"]]]
    lines.append(f"true class: {error['class'] if error.get('truth') is not None else '—'}")
    if error.get("predicted_class"):
        lines.append(f"predicted: {error['predicted_class']} (score {error['score']:.3f})")
    if error.get("iou") is not None:
        lines.append(f"IoU with the object: {error['iou']:.3f}")
    if item is not None:
        lines.append(f"image: {item.path}")
    lines.append("Solid: ground truth · dashed: prediction")
    return "\n".join(lines)


class ErrorsPanel(QWidget):
    open_item_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorsPanel")
        self.errors: list[dict[str, Any]] = []
        self.shown: list[dict[str, Any]] = []
        self.items: dict[int, VersionItem] = {}
        self.paths: dict[int, Path] = {}
        self.colors: dict[str, str] = {}
        self.renderer = OverlayRenderer(self)
        self.renderer.rendered.connect(self._rendered)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        filters = QHBoxLayout()
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("errorKind")
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("errorClass")
        for text, combo in (("&Kind:", self.kind_combo), ("C&lass:", self.class_combo)):
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addWidget(label)
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._show_filtered)
        filters.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        filters.addWidget(self.count_label)
        layout.addLayout(filters)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.grid = ImageGrid(CARD_SIDE)
        self.grid.setObjectName("errorGrid")
        self.grid.open_item_requested.connect(self.open_item_requested)
        self.grid.currentRowChanged.connect(self._show_current)
        splitter.addWidget(self.grid)
        splitter.addWidget(self._detail_pane())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)

    def _detail_pane(self) -> QWidget:
        pane = QWidget()
        column = QVBoxLayout(pane)
        self.preview = QLabel()
        self.preview.setObjectName("errorPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(240, 240)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.details = QLabel()
        self.details.setObjectName("errorDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open in labeling canvas")
        self.open_button.setObjectName("openErrorItem")
        self.open_button.setToolTip("Show this image in the labeling canvas (Enter)")
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(self.grid.open_current)
        column.addWidget(self.preview, 1)
        column.addWidget(self.details)
        column.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        return pane

    # -- data ------------------------------------------------------------------------------

    def set_context(
        self,
        items: Mapping[int, VersionItem],
        paths: Mapping[int, Path],
        colors: Mapping[str, str],
    ) -> None:
        self.items, self.paths, self.colors = dict(items), dict(paths), dict(colors)
        self._refill(self.class_combo, ["All classes", *colors], list(colors))

    def set_errors(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.errors = [dict(error) for error in errors]
        counts = {kind: sum(e["kind"] == kind for e in self.errors) for kind in ERROR_KINDS}
        texts = [f"All errors ({len(self.errors)})"]
        texts += [f"{KIND_TITLES[kind]} ({counts[kind]})" for kind in ERROR_KINDS]
        self._refill(self.kind_combo, texts, list(ERROR_KINDS))
        self._show_filtered()

    @staticmethod
    def _refill(combo: QComboBox, texts: list[str], keys: list[str]) -> None:
        """New entries, keeping the chosen one (by key) and emitting no change on the way."""
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(texts[0], None)
        for text, key in zip(texts[1:], keys, strict=True):
            combo.addItem(text, key)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def set_kind(self, kind: str | None) -> None:
        index = self.kind_combo.findData(kind) if kind is not None else 0
        self.kind_combo.setCurrentIndex(max(index, 0))

    def _show_filtered(self) -> None:
        kind, name = self.kind_combo.currentData(), self.class_combo.currentData()
        self.shown = [
            error
            for error in self.errors
            if (kind is None or error["kind"] == kind)
            and (name is None or name in (error["class"], error.get("predicted_class")))
        ]
        self.renderer.cancel()
        self.grid.set_entries(
            [
                GridEntry(index, error["item_id"], error_caption(error), error_details(error, None))
                for index, error in enumerate(self.shown)
            ]
        )
        for index, error in enumerate(self.shown):
            request = self._request(index, error, CARD_SIDE)
            if request is not None:
                self.renderer.request(request)
        plural = "s" if len(self.shown) != 1 else ""
        self.count_label.setText(f"{len(self.shown)} error{plural} shown")
        self._show_current()

    def _request(self, key: object, error: Mapping[str, Any], side: int) -> OverlayRequest | None:
        item = self.items.get(error["item_id"])
        if item is None:
            return None
        truth = prediction = None
        if error.get("truth") is not None:
            truth = (error["truth_kind"], error["truth"], self._color(error["class"]))
        if error.get("prediction") is not None:
            color = self._color(error["predicted_class"])
            prediction = (error["prediction_kind"], error["prediction"], color)
        path = self.paths.get(item.item_id, Path(item.path))
        return OverlayRequest(
            key, path, item.sha256, item.width, item.height, side, truth, prediction
        )

    def _color(self, name: str | None) -> str:
        return self.colors.get(name or "", OTHER_COLOR)

    def _show_current(self) -> None:
        key = self.grid.current_key()
        self.open_button.setEnabled(key is not None)
        if key is None:
            self.preview.clear()
            self.details.setText("No error of this kind at this score threshold.")
            return
        error = self.shown[int(key)]
        self.details.setText(error_details(error, self.items.get(error["item_id"])))
        request = self._request(("preview", key), error, PREVIEW_SIDE)
        if request is not None:
            self.renderer.request(request)

    def _rendered(self, key: object, image: QImage) -> None:
        if isinstance(key, tuple):
            if key[1] == self.grid.current_key():
                self.preview.setPixmap(QPixmap.fromImage(image))
            return
        self.grid.set_image(key, image)
