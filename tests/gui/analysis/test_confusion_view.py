"""The confusion picture: a class with no example reads "—" across its row, and the text
takes the theme's colours when the theme changes."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QGraphicsSimpleTextItem
from pytestqt.qtbot import QtBot

from studio.gui.analysis.confusion_view import NO_EXAMPLES, ConfusionMatrixView
from studio.gui.analysis.window import without_undefined
from studio.gui.theme import apply_theme, current_theme, theme_colors


def shown_view(qtbot: QtBot) -> ConfusionMatrixView:
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.set_matrix(["cat", "dog", "bird"], [[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    view.resize(400, 400)
    view.show()
    return view


def texts(view: ConfusionMatrixView) -> list[QGraphicsSimpleTextItem]:
    return [item for item in view.scene().items() if isinstance(item, QGraphicsSimpleTextItem)]


def test_a_class_with_no_example_shows_a_dash_across_its_row(qtbot: QtBot) -> None:
    view = shown_view(qtbot)
    dashes = [item for item in texts(view) if item.text() == NO_EXAMPLES]
    assert len(dashes) == 3  # the bird row: nothing to be right or wrong about
    assert {round(item.parentItem().rect().top()) for item in dashes} == {
        round(view.cell_rect(2, 0).top())
    }
    assert dashes[0].parentItem().toolTip() == "no image of bird in this split"
    assert sorted(item.text() for item in texts(view) if item.text().isdigit()) == ["1", "2", "3"]


def test_the_class_names_follow_the_theme(qtbot: QtBot) -> None:
    app = QApplication.instance()
    before = current_theme(app) or "light"
    view = shown_view(qtbot)
    view.select_cell(0, 1)
    try:
        for name in ("dark", "light"):
            apply_theme(app, name)
            qtbot.waitUntil(
                lambda name=name: (
                    next(i for i in texts(view) if i.text() == "cat").brush().color().name()
                    == theme_colors(name)["text"]
                )
            )
            assert view.current == (0, 1)  # the selection stays
    finally:
        apply_theme(app, before)


def test_figures_without_meaning_become_none() -> None:
    figures = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert without_undefined(figures, truths=0, predictions=0) == {
        "precision": None,
        "recall": None,
        "f1": None,
        "support": 0,
    }
    never_predicted = without_undefined(figures, truths=4, predictions=0)
    assert never_predicted == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 0}
    assert without_undefined(figures, truths=4, predictions=2) == figures
