"""The class-balance panel on a real project, with real widgets and the signals the window's
panel context emits."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import studio_class_balance
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from pytestqt.qtbot import QtBot
from studio_class_balance import ClassBalancePanel

from studio.api import Project
from studio.plugins.manager import StudioPlugins


class WindowContext(QObject):
    """What the window hands a panel factory (its `PanelContext`): the open project and the
    signals a panel may follow, with the window's signatures."""

    project_changed = Signal(object)  # the project now open, or None
    annotations_changed = Signal()

    def __init__(self, project: Project | None) -> None:
        super().__init__()
        self.project = project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    from PIL import Image

    paths = []
    for index in range(4):
        path = tmp_path / f"image_{index}.png"
        Image.new("RGB", (64, 48), (index * 40, 90, 30)).save(path)
        paths.append(path)
    with Project.create(tmp_path / "balance.studio", author="tester") as opened:
        opened.add_classes(["cat", "dog", "bird"])
        opened.import_media(paths)
        ids = opened.item_ids()
        opened.add_annotations(
            [
                *({"item_id": item_id, "label": "cat", "box": [2, 2, 10, 10]} for item_id in ids),
                {"item_id": ids[0], "label": "dog", "box": [20, 20, 8, 8]},
            ]
        )
        yield opened


def shown_panel(qtbot: QtBot, context: WindowContext) -> ClassBalancePanel:
    panel = ClassBalancePanel(context)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_bars_show_the_projects_counts(qtbot: QtBot, project: Project) -> None:
    panel = shown_panel(qtbot, WindowContext(project))
    assert panel.counts == {"cat": 4, "dog": 1, "bird": 0}
    assert list(panel.bars.opts["width"]) == [4, 1, 0]  # lying bars: their length
    ticks = panel.plot.getAxis("left")._tickLevels[0]
    assert [name for _, name in ticks] == ["cat", "dog", "bird"]
    assert panel.summary.text() == "5 annotations in 3 classes"


def test_an_annotation_edit_redraws_the_chart(qtbot: QtBot, project: Project) -> None:
    context = WindowContext(project)
    panel = shown_panel(qtbot, context)
    item_id = project.item_ids()[1]
    project.annotate(item_id, "bird", box=[1, 1, 5, 5])
    project.annotate(item_id, "bird", box=[9, 9, 5, 5])
    context.annotations_changed.emit()
    assert panel.counts == {"cat": 4, "dog": 1, "bird": 2}
    assert list(panel.bars.opts["width"]) == [4, 1, 2]
    project.undo()
    context.annotations_changed.emit()
    assert panel.counts["bird"] == 1


def test_closing_the_project_empties_the_chart(qtbot: QtBot, project: Project) -> None:
    context = WindowContext(project)
    panel = shown_panel(qtbot, context)
    context.project = None
    context.project_changed.emit(None)
    assert panel.counts == {}
    assert panel.summary.text() == "No project open"


def test_the_installed_plugin_offers_the_panel(installed_plugins: StudioPlugins) -> None:
    panels = installed_plugins.collect("studio_window_panels")
    spec = next(panel for panel in panels if panel.name == "class_balance")
    assert spec.title == "Class balance"
    assert spec.factory is ClassBalancePanel
    assert installed_plugins.owner(spec) == "class_balance"


def test_the_plugin_imports_only_studios_public_api() -> None:
    tree = ast.parse(Path(studio_class_balance.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    studio_modules = {name for name in imported if name and name.split(".")[0] == "studio"}
    assert studio_modules
    assert all(name.startswith(("studio.api", "studio.plugins")) for name in studio_modules)
    assert studio_class_balance.STUDIO_PLUGIN_API == 1


def test_the_chart_follows_the_palette_as_studio_s_theme_switch_changes_it(
    qtbot: QtBot, project: Project
) -> None:
    panel = shown_panel(qtbot, WindowContext(project))
    palette = panel.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#101418"))
    panel.setPalette(palette)
    assert panel.plot.backgroundBrush().color().name() == "#101418"
