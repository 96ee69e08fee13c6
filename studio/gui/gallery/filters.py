"""The gallery's filter and sort bar: it builds the query that `GalleryModel.set_query` shows.

The bar emits `query_changed(dict)` whose keys are fields of the core's `ItemQuery` (the
keyword arguments of `Project.item_ids`), so the gallery lists exactly what that API query
returns. Choices (status, split, class, source, review) take effect at once; typing in the name and
tag fields waits for a 200 ms pause, so a word typed quickly costs one query, not one per
letter. Wire it as:

    bar.query_changed.connect(lambda query: model.set_query(**query))
    bar.set_classes(project.classes())  # on opening a project, and when classes change
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
)

from studio.api import LabelClassRecord
from studio.gui.flow_layout import FlowLayout, grouped
from studio.gui.gallery.model import QUEUE_SORT, STATUS_LABELS

TEXT_DELAY_MS = 200
SCORE_STEP = 0.05
SPLITS = [("train", "train"), ("val", "val"), ("test", "test"), ("none", "no split")]
SOURCES = [("human", "human"), ("model", "model"), ("sam", "SAM")]
REVIEWS = [("pending", "pending"), ("accepted", "accepted"), ("rejected", "rejected")]
SORTS = [
    ("name", "Name"),
    ("date", "Date added"),
    ("status", "Status"),
    ("score", "Score"),
    (QUEUE_SORT, "Uncertainty queue"),
]
DEFAULT_SORT = {"sort": "name", "descending": False}
CHOICE_KEYS = ("status", "split", "label", "source", "review")  # the choice buttons' keys
QUERY_KEYS = {*CHOICE_KEYS, "score_min", "score_max", "text", "tag", *DEFAULT_SORT}


class _StayOpenMenu(QMenu):
    """A menu of check boxes that stays open while the user ticks several of them."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        action = self.activeAction()
        if action is not None and action.isEnabled() and action.isCheckable():
            action.trigger()
            event.accept()
            return
        super().mouseReleaseEvent(event)


class MultiChoiceButton(QToolButton):
    """A drop-down of checkable choices ("any of"); `changed` after every tick.

    The button always says its title, and looks pressed in while it filters; its tooltip
    names the ticked choices: its width never changes, so ticking never widens the filter bar
    nor pushes the canvas beside the gallery (a text such as "Class: cat, dog" would).
    """

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(_StayOpenMenu(self))
        self.setCheckable(True)  # only to look pressed in while it filters
        self.setText(title)
        self._choices: list[tuple[QAction, Any]] = []
        self._update_text()

    def set_choices(self, choices: Iterable[tuple[Any, str]]) -> None:
        """Offer `(value, text)` choices; ticked values that are still offered stay ticked."""
        kept = set(self.values())
        menu = self.menu()
        menu.clear()
        self._choices = []
        for value, text in choices:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(value in kept)
            action.toggled.connect(self._on_toggled)
            self._choices.append((action, value))
        menu.addSeparator()
        menu.addAction("Any", self.clear)
        self._update_text()

    def choices(self) -> list[Any]:
        return [value for _, value in self._choices]

    def values(self) -> list[Any]:
        """The ticked values, in the order of the choices."""
        return [value for action, value in self._choices if action.isChecked()]

    def set_values(self, values: Iterable[Any]) -> None:
        """Tick exactly `values` (unknown ones are ignored); emits `changed` once if different."""
        wanted = set(values)
        if wanted & set(self.choices()) == set(self.values()):
            return
        for action, value in self._choices:
            action.blockSignals(True)
            action.setChecked(value in wanted)
            action.blockSignals(False)
        self._on_toggled()

    def clear(self) -> None:
        self.set_values([])

    def _on_toggled(self) -> None:
        self._update_text()
        self.changed.emit()

    def _update_text(self) -> None:
        texts = [action.text() for action, _ in self._choices if action.isChecked()]
        self.setChecked(bool(texts))
        count = f" ({len(texts)})" if len(texts) > 1 else ""
        self.setToolTip(f"{self.title}{count}: {', '.join(texts) if texts else 'any'}")


class ScoreBox(QDoubleSpinBox):
    """A score bound from 0 to 1, or "any" (no bound) one step below 0."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(2)
        self.setSingleStep(SCORE_STEP)
        self.setRange(-SCORE_STEP, 1.0)
        self.setSpecialValueText("any")
        self.setKeyboardTracking(False)  # a typed number counts when Enter or focus-out
        self.setValue(self.minimum())

    def score(self) -> float | None:
        value = self.value()
        return None if value <= self.minimum() else round(value, 2)

    def set_score(self, score: float | None) -> None:
        self.setValue(self.minimum() if score is None else float(score))


class _EscapeClears(QObject):
    """Escape in a line edit clears it; the key goes on to the window, which gives the
    keyboard back to the canvas (see `MainWindow.keyPressEvent`)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            isinstance(watched, QLineEdit)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            watched.clear()
        return False


class GalleryFilterBar(QWidget):
    """Filters and sort order for the gallery; emits `query_changed(dict)` on every change.

    The dict holds `sort` and `descending` always, and each filter that is set: `status`,
    `split`, `label` (class ids), `source` and `review` (suggestions' review states) as
    lists, `score_min`, `score_max`, `text`, `tag`. Pass it on as `model.set_query(**query)`
    or `project.item_ids(**query)`.
    """

    query_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery_filters")
        self._emitted: dict[str, Any] = dict(DEFAULT_SORT)
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(TEXT_DELAY_MS)
        self._text_timer.timeout.connect(self._emit_if_changed)
        self._escape_clears = _EscapeClears(self)
        self._build_fields()
        self._build_layout()
        self._build_actions()

    # -- building ----------------------------------------------------------------------

    def _build_fields(self) -> None:
        self.text_edit = self._line_edit("Filter by file name", "filter_text")
        self.tag_edit = self._line_edit("Tag", "filter_tag")
        self.tag_edit.setMaximumWidth(140)
        self.status_button = MultiChoiceButton("Status", self)
        self.status_button.set_choices(STATUS_LABELS.items())
        self.split_button = MultiChoiceButton("Split", self)
        self.split_button.set_choices(SPLITS)
        self.class_button = MultiChoiceButton("Class", self)
        self.class_button.set_choices([])
        self.source_button = MultiChoiceButton("Source", self)
        self.source_button.set_choices(SOURCES)
        self.review_button = MultiChoiceButton("Review", self)
        self.review_button.set_choices(REVIEWS)
        self.review_button.setStatusTip("Images with suggestions in these review states")
        for button in self._choice_buttons():
            button.changed.connect(self._emit_if_changed)
        self.score_min_box = ScoreBox(self)
        self.score_max_box = ScoreBox(self)
        for box in (self.score_min_box, self.score_max_box):
            box.valueChanged.connect(self._emit_if_changed)
        self.sort_combo = QComboBox(self)
        for key, text in SORTS:
            self.sort_combo.addItem(text, key)
        self.sort_combo.setToolTip("Sort by")
        self.sort_combo.setSizeAdjustPolicy(  # elided: the name filter needs the room
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.sort_combo.setMinimumContentsLength(8)
        self.sort_combo.currentIndexChanged.connect(self._emit_if_changed)
        self.order_button = QToolButton(self)
        self.order_button.setCheckable(True)
        self.order_button.toggled.connect(self._show_order)
        self.order_button.toggled.connect(self._emit_if_changed)
        self._show_order(False)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Clear every filter (the sort order stays)")
        self.clear_button.clicked.connect(self.clear_filters)

    def _line_edit(self, placeholder: str, name: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.textChanged.connect(lambda _text: self._text_timer.start())
        edit.returnPressed.connect(self._emit_if_changed)
        edit.installEventFilter(self._escape_clears)
        return edit

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.text_edit, 2)
        top.addWidget(self.tag_edit, 1)
        top.addWidget(self.clear_button)
        bottom = FlowLayout()  # wraps in a narrow gallery instead of widening it
        bottom.addWidget(grouped([self.sort_combo, self.order_button], self))
        for button in self._choice_buttons():
            bottom.addWidget(button)
        score = [QLabel("Score", self), self.score_min_box, QLabel("–", self)]
        bottom.addWidget(grouped([*score, self.score_max_box], self))
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setVerticalSpacing(4)
        layout.addLayout(top, 0, 0)
        layout.addLayout(bottom, 1, 0)

    def _build_actions(self) -> None:
        self.focus_action = QAction("Filter by file name", self)
        self.focus_action.setShortcut(QKeySequence.StandardKey.Find)
        self.focus_action.triggered.connect(self.focus_text)
        self.clear_action = QAction("Clear filters", self)
        self.clear_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.clear_action.triggered.connect(self.clear_filters)
        self.reverse_action = QAction("Reverse sort order", self)
        self.reverse_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.reverse_action.triggered.connect(self.order_button.toggle)

    def shortcut_actions(self) -> list[QAction]:
        """Actions for menus and window shortcuts: focus the name filter (Ctrl+F), clear
        the filters (Ctrl+Shift+F), reverse the sort order (Ctrl+Shift+R). Add them to the
        window (`window.addActions(...)`) for their shortcuts to work anywhere in it."""
        return [self.focus_action, self.clear_action, self.reverse_action]

    def _choice_buttons(self) -> list[MultiChoiceButton]:
        return [
            self.status_button,
            self.split_button,
            self.class_button,
            self.source_button,
            self.review_button,
        ]

    # -- choices from the project --------------------------------------------------------

    def set_classes(self, classes: Sequence[LabelClassRecord]) -> None:
        """Offer the project's classes; a ticked class that no longer exists is unticked."""
        before = self.class_button.values()
        self.class_button.blockSignals(True)
        self.class_button.set_choices((record.id, record.name) for record in classes)
        self.class_button.blockSignals(False)
        if self.class_button.values() != before:
            self._emit_if_changed()

    # -- the query -----------------------------------------------------------------------

    def query(self) -> dict[str, Any]:
        """The query the bar shows now (what `query_changed` carries)."""
        found: dict[str, Any] = {}
        for key, button in zip(CHOICE_KEYS, self._choice_buttons(), strict=True):
            if button.values():
                found[key] = button.values()
        for key, box in (("score_min", self.score_min_box), ("score_max", self.score_max_box)):
            if box.score() is not None:
                found[key] = box.score()
        for key, edit in (("text", self.text_edit), ("tag", self.tag_edit)):
            if edit.text().strip():
                found[key] = edit.text().strip()
        found["sort"] = self.sort_combo.currentData()
        found["descending"] = self.order_button.isChecked()
        return found

    def set_query(self, query: Mapping[str, Any]) -> None:
        """Show `query` (keys as `query()` gives them, `label` as class ids; a missing key
        means "any"); emits `query_changed` once if the query differs."""
        unknown = set(query) - QUERY_KEYS
        if unknown:
            raise ValueError(f"the gallery filter bar has no field {sorted(unknown)}")
        sort_index = self.sort_combo.findData(query.get("sort", "name"))
        if sort_index < 0:
            raise ValueError(f"unknown sort {query.get('sort')!r}")
        with _SignalsBlocked(self._fields()):
            for key, button in zip(CHOICE_KEYS, self._choice_buttons(), strict=True):
                button.set_values(_as_list(query.get(key)))
            self.score_min_box.set_score(query.get("score_min"))
            self.score_max_box.set_score(query.get("score_max"))
            self.text_edit.setText(str(query.get("text") or ""))
            self.tag_edit.setText(str(query.get("tag") or ""))
            self.sort_combo.setCurrentIndex(sort_index)
            self.order_button.setChecked(bool(query.get("descending", False)))
        self._show_order(self.order_button.isChecked())
        self._emit_if_changed()

    def clear_filters(self) -> None:
        """Drop every filter; the sort order stays."""
        self.set_query(
            {"sort": self.sort_combo.currentData(), "descending": self.order_button.isChecked()}
        )

    def focus_text(self) -> None:
        self.text_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_edit.selectAll()

    def _fields(self) -> list[QObject]:
        return [
            *self._choice_buttons(),
            self.score_min_box,
            self.score_max_box,
            self.text_edit,
            self.tag_edit,
            self.sort_combo,
            self.order_button,
        ]

    def _show_order(self, descending: bool) -> None:
        arrow = Qt.ArrowType.DownArrow if descending else Qt.ArrowType.UpArrow
        self.order_button.setArrowType(arrow)
        order = "Descending" if descending else "Ascending"
        self.order_button.setToolTip(f"{order} order (Ctrl+Shift+R reverses it)")

    def _emit_if_changed(self) -> None:
        self._text_timer.stop()
        query = self.query()
        if query != self._emitted:
            self._emitted = query
            self.query_changed.emit(query)


class _SignalsBlocked:
    """Block the signals of some objects for the duration of a `with` block."""

    def __init__(self, objects: Iterable[QObject]) -> None:
        self._objects = list(objects)

    def __enter__(self) -> None:
        for item in self._objects:
            item.blockSignals(True)

    def __exit__(self, *_exc: object) -> None:
        for item in self._objects:
            item.blockSignals(False)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    return list(value)
