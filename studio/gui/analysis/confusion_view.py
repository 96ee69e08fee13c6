"""The confusion matrix as a picture: one square per (true, predicted) pair, shaded by the
share of its row (so a rare class's mistakes show as clearly as a common one's), the count
written inside, class names along both axes. Correct cells are blue, mistakes red. A class
with no example in the split has "—" across its row (no share of it can be right or wrong).
The text takes the palette's colours and is drawn again when the theme changes.

Clicking a cell, or moving to it with the arrow keys, emits `cell_selected(row, column)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

CORRECT = QColor(30, 136, 229)
MISTAKE = QColor(229, 57, 53)
GRID = QColor(160, 160, 160)
SELECTED = QColor(255, 179, 0)
MIN_ALPHA = 0.12  # a cell with one image still shows
MAX_SCALE = 1.5
LABEL_GAP = 6.0
NO_EXAMPLES = "—"
THEME_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def cell_side(count: int) -> float:
    """Squares get smaller as classes get more numerous (the view scales the whole)."""
    return 56.0 if count <= 8 else 40.0 if count <= 16 else 26.0


def readable_on(color: QColor, alpha: float, background: QColor | None = None) -> QColor:
    """Black or white text over `color` laid at `alpha` on `background` (white if None)."""
    under = (background or QColor("white")).getRgb()[:3]
    mixed = [
        alpha * channel + (1 - alpha) * base
        for channel, base in zip(color.getRgb()[:3], under, strict=True)
    ]
    luminance = 0.299 * mixed[0] + 0.587 * mixed[1] + 0.114 * mixed[2]
    return QColor("black") if luminance > 150 else QColor("white")


class ConfusionMatrixView(QGraphicsView):
    cell_selected = Signal(int, int)  # true row, predicted column

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.labels: list[str] = []
        self.matrix: list[list[int]] = []
        self.current: tuple[int, int] | None = None
        self._side = cell_side(0)
        self._origin = QPointF(0, 0)
        self._highlight: QGraphicsRectItem | None = None

    # -- building the picture ------------------------------------------------------------

    def set_matrix(self, labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> None:
        self.labels = [str(label) for label in labels]
        self.matrix = [[int(count) for count in row] for row in matrix]
        self.current = None
        self._draw()

    def _color(self, role: QPalette.ColorRole) -> QColor:
        return self.palette().color(role)

    def _draw(self) -> None:
        scene = self.scene()
        scene.clear()
        self._highlight = None
        self._side = cell_side(len(self.labels))
        font = QFont(self.font())
        font.setPointSizeF(9.0 if len(self.labels) <= 16 else 7.5)
        self._origin = self._axis_labels(font)
        for row, counts in enumerate(self.matrix):
            total = sum(counts)
            for column, count in enumerate(counts):
                self._cell(row, column, count, total, font)
        self._axis_titles(font)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-8, -8, 8, 8))
        self._fit()

    def _axis_labels(self, font: QFont) -> QPointF:
        """Row names on the left, column names rotated on top; where the grid starts."""
        scene = self.scene()
        names = [scene.addSimpleText(label, font) for label in self.labels]
        widest = max((item.boundingRect().width() for item in names), default=0.0)
        columns = [scene.addSimpleText(label, font) for label in self.labels]
        for item in names + columns:
            item.setBrush(self._color(QPalette.ColorRole.Text))
        tallest = max((item.boundingRect().width() for item in columns), default=0.0)
        origin = QPointF(widest + LABEL_GAP + 24, tallest * 0.75 + LABEL_GAP + 24)
        side = self._side
        for row, item in enumerate(names):
            bounds = item.boundingRect()
            y = origin.y() + row * side + (side - bounds.height()) / 2
            item.setPos(origin.x() - LABEL_GAP - bounds.width(), y)
        for column, item in enumerate(columns):
            bounds = item.boundingRect()
            item.setRotation(-45)
            x = origin.x() + column * side + side / 2 - bounds.height() / 2
            item.setPos(x, origin.y() - LABEL_GAP)
        return origin

    def _axis_titles(self, font: QFont) -> None:
        bold = QFont(font)
        bold.setBold(True)
        scene = self.scene()
        size = self._side * len(self.labels)
        top = scene.addSimpleText("predicted class", bold)
        top.setBrush(self._color(QPalette.ColorRole.Text))
        top.setPos(self._origin.x() + size / 2 - top.boundingRect().width() / 2, 0)
        top.setY(scene.itemsBoundingRect().top() - top.boundingRect().height() - 4)
        left = scene.addSimpleText("true class", bold)
        left.setBrush(self._color(QPalette.ColorRole.Text))
        left.setRotation(-90)
        left_x = scene.itemsBoundingRect().left() - 4 - left.boundingRect().height()
        left.setPos(left_x, self._origin.y() + size / 2 + left.boundingRect().width() / 2)

    def _cell(self, row: int, column: int, count: int, total: int, font: QFont) -> None:
        rect = self.cell_rect(row, column)
        color = QColor(CORRECT if row == column else MISTAKE)
        alpha = 0.0 if not count else MIN_ALPHA + (1 - MIN_ALPHA) * count / max(total, 1)
        fill = QColor(color)
        fill.setAlphaF(alpha)
        item = self.scene().addRect(rect, QPen(GRID, 0.5), QBrush(fill))
        item.setData(0, (row, column))
        if not total:
            item.setToolTip(f"no image of {self.labels[row]} in this split")
        else:
            item.setToolTip(
                f"true {self.labels[row]}, predicted {self.labels[column]}: {count:,} "
                f"({count / total:.0%} of the row)"
            )
        if count or not total:
            text = QGraphicsSimpleTextItem(f"{count:,}" if count else NO_EXAMPLES, item)
            text.setFont(font)
            if count:
                base = self._color(QPalette.ColorRole.Base)
                text.setBrush(readable_on(color, alpha, base))
            else:
                text.setBrush(self._color(QPalette.ColorRole.PlaceholderText))
            bounds = text.boundingRect()
            text.setPos(rect.center() - QPointF(bounds.width() / 2, bounds.height() / 2))

    # -- geometry ------------------------------------------------------------------------

    def cell_rect(self, row: int, column: int) -> QRectF:
        side = self._side
        x = self._origin.x() + column * side
        y = self._origin.y() + row * side
        return QRectF(x, y, side, side)

    def cell_at(self, scene_point: QPointF) -> tuple[int, int] | None:
        column = int((scene_point.x() - self._origin.x()) // self._side)
        row = int((scene_point.y() - self._origin.y()) // self._side)
        inside = 0 <= row < len(self.labels) and 0 <= column < len(self.labels)
        return (row, column) if inside else None

    def cell_center(self, row: int, column: int) -> QPoint:
        """Where the cell is in viewport coordinates (tests click there)."""
        return self.mapFromScene(self.cell_rect(row, column).center())

    def _fit(self) -> None:
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        viewport = self.viewport().rect()
        scale = min(viewport.width() / rect.width(), viewport.height() / rect.height(), MAX_SCALE)
        self.scale(scale, scale)
        self.centerOn(rect.center())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    # -- selection -----------------------------------------------------------------------

    def select_cell(self, row: int, column: int) -> None:
        if not (0 <= row < len(self.labels) and 0 <= column < len(self.labels)):
            return
        self.current = (row, column)
        self._show_current()
        self.cell_selected.emit(row, column)

    def _show_current(self) -> None:
        if self.current is None:
            return
        if self._highlight is None:
            self._highlight = self.scene().addRect(QRectF(), QPen(SELECTED, 3.0))
            self._highlight.setZValue(10)
        self._highlight.setRect(self.cell_rect(*self.current).adjusted(1, 1, -1, -1))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """A new theme: draw the text again in its colours (the selection stays)."""
        super().changeEvent(event)
        if event.type() in THEME_EVENTS and self.labels:
            self._draw()
            self._show_current()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        cell = self.cell_at(self.mapToScene(event.position().toPoint()))
        if event.button() == Qt.MouseButton.LeftButton and cell is not None:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.select_cell(*cell)
            event.accept()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        moves = {
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
        }
        move = moves.get(Qt.Key(event.key()))
        if move is None or not self.labels:
            super().keyPressEvent(event)
            return
        event.accept()
        if self.current is None:
            self.select_cell(0, 0)
            return
        row, column = self.current
        self.select_cell(
            min(max(row + move[0], 0), len(self.labels) - 1),
            min(max(column + move[1], 0), len(self.labels) - 1),
        )
