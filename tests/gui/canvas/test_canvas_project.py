"""The canvas on a real project file, wired as the workspace wires it: drawing stores the
geometry in the project; moving a vertex, undo restores it exactly, redo reapplies it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import InvalidEditError, Project
from studio.core.geometry import decode_mask
from studio.gui.canvas import Canvas
from studio.gui.canvas.tools.rotated_box_tool import TURN_STEP_DEGREES, turn_selected
from tests.gui.canvas.conftest import (
    IMAGE_SIZE,
    click,
    double_click,
    drag,
    record_signal,
    wait_for_image,
    write_photo,
)


class Workspace:
    """What the workspace does with the canvas's signals: one API call per signal, then the
    project's state goes back to the canvas."""

    def __init__(self, canvas: Canvas, project: Project, item_id: int) -> None:
        self.canvas, self.project, self.item_id = canvas, project, item_id
        canvas.shape_created.connect(self.create)
        canvas.shape_edited.connect(self.edit)
        canvas.delete_requested.connect(self.delete)
        self.refresh()

    def create(self, kind: str, geometry: object) -> None:
        label = self.canvas.active_class()
        assert label is not None
        self.project.annotate(self.item_id, label.name, **{kind: geometry})
        self.refresh()

    def edit(self, annotation_id: int, geometry: object) -> None:
        self.project.update_annotation(annotation_id, geometry=geometry)
        self.refresh()

    def delete(self, ids: list[int]) -> None:
        for annotation_id in ids:
            self.project.delete_annotation(annotation_id)
        self.refresh()

    def refresh(self) -> None:
        self.canvas.set_annotations(self.project.annotations(self.item_id), self.project.classes())

    def geometries(self) -> list[tuple[str, object]]:
        return [(a.kind, a.geometry) for a in self.project.annotations(self.item_id)]


@pytest.fixture
def workspace(
    qtbot: QtBot, tmp_path: Path, make_canvas: Callable[..., Canvas]
) -> Iterator[Workspace]:
    write_photo(tmp_path / "images" / "street.jpg", IMAGE_SIZE)
    with Project.create(tmp_path / "labels.studio", author="tester") as project:
        project.add_classes(["car", "person"])
        (item_id,) = project.import_media([tmp_path / "images"]).added
        item = project.item(item_id)
        canvas = make_canvas()
        canvas.set_image(project.media_path(item), item.width, item.height)
        wait_for_image(qtbot, canvas)
        canvas.set_active_class(project.classes()[0])
        yield Workspace(canvas, project, item_id)


def test_drawing_stores_the_geometry_in_the_project_file(
    qtbot: QtBot, workspace: Workspace
) -> None:
    canvas = workspace.canvas
    canvas.set_tool("box")
    drag(qtbot, canvas, [(40, 30), (100, 80), (140, 110)])
    canvas.set_tool("polygon")
    for x, y in [(200, 50), (300, 60), (260, 150)]:
        click(qtbot, canvas, x, y)
    click(qtbot, canvas, 200, 50)
    canvas.set_tool("brush")
    canvas.set_brush_size(10)
    drag(qtbot, canvas, [(50, 200), (150, 200)])

    reopened = Project.open(workspace.project.path)
    try:
        stored = [(a.kind, a.geometry, a.label) for a in reopened.annotations(workspace.item_id)]
    finally:
        reopened.close()
    kinds = [kind for kind, _, _ in stored]
    assert kinds == ["box", "polygon", "mask"]
    assert all(label == "car" for _, _, label in stored)
    assert stored[0][1] == pytest.approx([40, 30, 100, 80], abs=1)
    assert stored[1][1][0] == pytest.approx([200, 50, 300, 60, 260, 150], abs=1)
    mask = decode_mask(stored[2][1])
    assert mask[200, 50:151].all()
    assert mask[193:208, 43:158].sum() == mask.sum()  # nothing beyond the brush's reach
    shown = sorted(item.annotation_id for item in canvas.layer.items())
    assert shown == [a.id for a in workspace.project.annotations(workspace.item_id)]


def test_moving_a_vertex_then_undo_restores_it_exactly_and_redo_reapplies(
    qtbot: QtBot, workspace: Workspace
) -> None:
    project, canvas = workspace.project, workspace.canvas
    original = [[100.37, 80.5, 220.0, 90.25, 180.0, 200.0, 90.0, 170.0]]
    annotation_id = project.annotate(workspace.item_id, "person", polygon=original)
    workspace.refresh()
    steps_before = project.can_undo()

    drag(qtbot, canvas, [(220, 90.25), (240, 100), (260.5, 120.5)])

    (moved,) = [a.geometry for a in project.annotations(workspace.item_id)]
    assert moved[0][:2] == original[0][:2]
    assert moved[0][4:] == original[0][4:]
    assert moved[0][2:4] == pytest.approx([260.5, 120.5], abs=1)
    assert steps_before

    project.undo()
    workspace.refresh()
    assert workspace.geometries() == [("polygon", original)]
    assert canvas.layer.item(annotation_id).geometry() == original

    project.redo()
    workspace.refresh()
    assert workspace.geometries() == [("polygon", moved)]
    assert canvas.layer.item(annotation_id).geometry() == moved


def test_one_drag_is_one_undo_step(qtbot: QtBot, workspace: Workspace) -> None:
    project, canvas = workspace.project, workspace.canvas
    project.annotate(workspace.item_id, "car", box=[50, 50, 60, 40])
    workspace.refresh()

    drag(qtbot, canvas, [(80, 70), (90, 75), (100, 80), (110, 85), (120, 90)])
    ((_, moved),) = workspace.geometries()
    assert moved == pytest.approx([90, 70, 60, 40], abs=1)

    project.undo()
    assert workspace.geometries() == [("box", [50, 50, 60, 40])]


def test_a_refused_edit_puts_the_shape_back(qtbot: QtBot, workspace: Workspace) -> None:
    """An edit the project refuses (here: another process deleted the box meanwhile)
    leaves the canvas showing what the project holds."""
    project, canvas = workspace.project, workspace.canvas
    box_id = project.annotate(workspace.item_id, "car", box=[50, 50, 60, 40])
    workspace.refresh()
    canvas.shape_edited.disconnect(workspace.edit)
    refusals: list[str] = []

    def edit_deleted_box(annotation_id: int, geometry: object) -> None:
        project.delete_annotation(annotation_id)  # another process got there first
        try:
            project.update_annotation(annotation_id, geometry=geometry)
        except InvalidEditError as error:
            refusals.append(str(error))
        workspace.refresh()

    canvas.shape_edited.connect(edit_deleted_box)
    drag(qtbot, canvas, [(80, 70), (100, 90), (120, 110)])

    assert refusals == [f"unknown annotation id {box_id}"]
    assert canvas.layer.item(box_id) is None
    assert workspace.geometries() == []


def test_a_polyline_is_clicked_point_by_point_ended_with_enter_and_undone(
    qtbot: QtBot, workspace: Workspace
) -> None:
    project, canvas = workspace.project, workspace.canvas
    canvas.set_tool("polyline")
    for x, y in [(40, 40), (120, 90), (200, 60)]:
        click(qtbot, canvas, x, y)
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Backspace)  # drops (200, 60)
    click(qtbot, canvas, 260, 150)
    qtbot.keyClick(canvas.viewport(), Qt.Key.Key_Return)

    ((kind, line),) = workspace.geometries()
    assert kind == "polyline"
    assert line == pytest.approx([40, 40, 120, 90, 260, 150], abs=1)
    (item,) = canvas.layer.items()
    assert item.kind == "polyline"
    assert item.style.color.name() == project.classes()[0].color.lower()

    project.undo()
    workspace.refresh()
    assert workspace.geometries() == []


def test_double_clicking_a_polyline_segment_inserts_a_point_and_alt_click_removes_it(
    qtbot: QtBot, workspace: Workspace
) -> None:
    project, canvas = workspace.project, workspace.canvas
    project.annotate(workspace.item_id, "car", polyline=[40, 40, 240, 40, 240, 200])
    workspace.refresh()
    canvas.set_tool("select")
    messages = record_signal(canvas.message)

    double_click(qtbot, canvas, 140, 40)
    ((_, line),) = workspace.geometries()
    assert line == pytest.approx([40, 40, 140, 40, 240, 40, 240, 200], abs=1)

    click(qtbot, canvas, *line[2:4], modifiers=Qt.KeyboardModifier.AltModifier)
    click(qtbot, canvas, 40, 40, modifiers=Qt.KeyboardModifier.AltModifier)
    assert workspace.geometries() == [("polyline", [240.0, 40.0, 240.0, 200.0])]
    click(qtbot, canvas, 240, 40, modifiers=Qt.KeyboardModifier.AltModifier)
    assert messages.calls == [("A polyline needs at least 2 points",)]


def test_a_rotated_box_is_dragged_then_turned_by_its_handle_and_by_keys(
    qtbot: QtBot, workspace: Workspace
) -> None:
    project, canvas = workspace.project, workspace.canvas
    canvas.set_tool("rotated_box")
    drag(qtbot, canvas, [(100, 100), (160, 120), (200, 140)])
    ((kind, drawn),) = workspace.geometries()
    assert kind == "rotated_box"
    assert drawn == pytest.approx([150, 120, 100, 40, 0], abs=1)

    canvas.set_tool("select")
    click(qtbot, canvas, 150, 120)
    (item,) = canvas.layer.selected_items()
    handle = item.rotation_handle()
    drag(qtbot, canvas, [handle, (190, 100), (230, 120)])  # to the right of the centre
    ((_, turned),) = workspace.geometries()
    assert turned[:4] == pytest.approx(drawn[:4])
    assert turned[4] == pytest.approx(90, abs=1)

    click(qtbot, canvas, 150, 120)
    turn_selected(canvas, -TURN_STEP_DEGREES)
    assert workspace.geometries()[0][1][4] == pytest.approx(turned[4] - 1)

    project.undo()
    project.undo()
    workspace.refresh()
    assert workspace.geometries() == [("rotated_box", drawn)]


def test_dragging_a_rotated_box_corner_keeps_the_opposite_corner(
    qtbot: QtBot, workspace: Workspace
) -> None:
    project, canvas = workspace.project, workspace.canvas
    project.annotate(workspace.item_id, "car", rotated_box=[200, 150, 80, 40, 90])
    workspace.refresh()
    canvas.set_tool("select")
    click(qtbot, canvas, 200, 150)
    (item,) = canvas.layer.selected_items()
    first, _, opposite, _ = item.corners()  # turned 90°: the first corner is top right
    assert first == pytest.approx((220, 110))

    drag(qtbot, canvas, [first, (225, 100), (230, 90)])

    ((_, resized),) = workspace.geometries()
    # (230, 90) is 60 px left of the centre and 30 px above it along the box's turned sides.
    assert resized[2:] == pytest.approx([100, 50, 90], abs=1)
    assert canvas.layer.item(item.annotation_id).corners()[2] == pytest.approx(opposite, abs=1)
