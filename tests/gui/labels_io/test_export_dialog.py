"""The "Export labels" dialog on a real project, writing real COCO folders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.labels_io.export_dialog import ExportLabelsDialog
from studio.gui.main_window import MainWindow
from tests.core.image_files import save_image
from tests.gui.labels_io import HeldPool, write_coco_dataset

TIMEOUT_MS = 20_000


@pytest.fixture
def labeled_project(project: Project, tmp_path: Path) -> Project:
    """a.jpg (a cat) and b.png (a dog, a cat, an image tag COCO cannot hold), both done, in
    train; plus a rejected image and a new one without labels."""
    project.import_labels(write_coco_dataset(tmp_path / "coco"))
    b_png = next(item.id for item in project.items() if item.path.endswith("b.png"))
    project.set_image_tags(b_png, ["dog"])
    save_image(tmp_path / "more" / "rejected.jpg", (64, 48), seed=3)
    save_image(tmp_path / "more" / "unlabeled.jpg", (64, 48), seed=4)
    report = project.import_media([tmp_path / "more"])
    project.set_split(report.added, "train")
    rejected = next(i.id for i in project.items() if i.path.endswith("rejected.jpg"))
    project.set_status(rejected, "rejected")
    return project


def open_dialog(
    qtbot: QtBot,
    project: Project,
    settings: QSettings,
    selected: list[int] | None = None,
    open_id: int | None = None,
) -> ExportLabelsDialog:
    dialog = ExportLabelsDialog(project, settings, selected or [], open_id=open_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    wait_counted(qtbot, dialog)
    return dialog


def wait_counted(qtbot: QtBot, dialog: ExportLabelsDialog) -> None:
    """The background count of what the export will hold has arrived."""
    qtbot.waitUntil(lambda: dialog.totals is not None, timeout=TIMEOUT_MS)


@pytest.fixture
def dialog(
    qtbot: QtBot, labeled_project: Project, settings: QSettings
) -> Iterator[ExportLabelsDialog]:
    shown = open_dialog(qtbot, labeled_project, settings)
    yield shown
    shown.close()


def choose_folder(qtbot: QtBot, dialog: ExportLabelsDialog, folder: Path) -> None:
    dialog.destination_edit.setFocus()
    qtbot.keyClicks(dialog.destination_edit, str(folder))


def export(qtbot: QtBot, dialog: ExportLabelsDialog) -> None:
    with qtbot.waitSignal(dialog.exported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)


def exported_coco(folder: Path, split: str = "train") -> dict:
    return json.loads((folder / "annotations" / f"instances_{split}.json").read_text())


def test_export_writes_the_folder_and_shows_the_report(
    qtbot: QtBot, dialog: ExportLabelsDialog, tmp_path: Path
) -> None:
    assert dialog.format_combo.currentData() == "coco"
    assert dialog.count_label.text() == (
        "4 images chosen (1 of them rejected): the export will hold 2 images with "
        "4 annotations. Rejected images and images not labeled yet are not exported."
    )
    assert not dialog.empty_warning.isVisibleTo(dialog)
    assert not dialog.only_selected.isVisibleTo(dialog)  # nothing selected in the gallery
    assert not dialog.export_button.isEnabled()  # no folder yet
    destination = tmp_path / "exported"

    choose_folder(qtbot, dialog, destination)
    assert dialog.export_button.isEnabled()
    export(qtbot, dialog)

    document = exported_coco(destination)
    assert sorted(image["file_name"] for image in document["images"]) == ["a.jpg", "b.png"]
    assert len(document["annotations"]) == 3
    assert sorted(p.name for p in (destination / "images" / "train").iterdir()) == [
        "a.jpg",
        "b.png",
    ]
    report = dialog.report_label.text()
    assert "Exported 3 annotations on 2 images" in report
    assert f"to {destination}" in report
    assert "2 image files written" in report
    assert "Not exported: 1 tag annotations (COCO has no place)" in report
    assert dialog.report_label.isVisible()
    assert dialog.status.text() == "Done"
    assert dialog.isVisible()  # the report stays until the user closes the dialog
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_split_and_the_images_mode_are_passed_on(
    qtbot: QtBot, dialog: ExportLabelsDialog, tmp_path: Path
) -> None:
    dialog.split_combo.setCurrentIndex(dialog.split_combo.findData("val"))
    wait_counted(qtbot, dialog)
    assert dialog.count_label.text().startswith("0 images chosen: the export will hold 0 images")
    choose_folder(qtbot, dialog, tmp_path / "nothing")
    assert not dialog.export_button.isEnabled()

    dialog.split_combo.setCurrentIndex(dialog.split_combo.findData("train"))
    wait_counted(qtbot, dialog)
    dialog.images_combo.setCurrentIndex(dialog.images_combo.findData("none"))
    assert dialog.export_button.isEnabled()
    export(qtbot, dialog)

    destination = tmp_path / "nothing"
    assert not (destination / "images").exists()
    assert len(exported_coco(destination)["images"]) == 2
    assert "image files written" not in dialog.report_label.text()


def test_pending_suggestions_are_exported_only_when_ticked(
    qtbot: QtBot, dialog: ExportLabelsDialog, labeled_project: Project, tmp_path: Path
) -> None:
    a_jpg = next(item.id for item in labeled_project.items() if item.path.endswith("a.jpg"))
    suggestion = {"item_id": a_jpg, "label": "cat", "box": [1, 1, 5, 5], "source": "model"}
    labeled_project.suggest_annotations([suggestion])
    dialog.images_combo.setCurrentIndex(dialog.images_combo.findData("none"))
    choose_folder(qtbot, dialog, tmp_path / "final")
    export(qtbot, dialog)
    assert len(exported_coco(tmp_path / "final")["annotations"]) == 3
    dialog.include_pending.setChecked(True)
    wait_counted(qtbot, dialog)
    assert "the export will hold 2 images with 5 annotations" in dialog.count_label.text()
    dialog.destination_edit.setText(str(tmp_path / "pending"))
    export(qtbot, dialog)
    assert len(exported_coco(tmp_path / "pending")["annotations"]) == 4


def test_only_the_selected_images(
    qtbot: QtBot, labeled_project: Project, settings: QSettings, tmp_path: Path
) -> None:
    a_jpg = next(i.id for i in labeled_project.items() if i.path.endswith("a.jpg"))
    rejected = next(i.id for i in labeled_project.items() if i.path.endswith("rejected.jpg"))
    dialog = open_dialog(qtbot, labeled_project, settings, [a_jpg, rejected])
    assert dialog.only_selected.isVisible()
    assert dialog.only_selected.isChecked()
    assert dialog.only_selected.text() == "Only the 2 selected images"
    assert dialog.count_label.text().startswith(
        "2 images chosen (1 of them rejected): the export will hold 1 image with 1 annotation."
    )

    choose_folder(qtbot, dialog, tmp_path / "chosen")
    export(qtbot, dialog)

    document = exported_coco(tmp_path / "chosen")
    assert [image["file_name"] for image in document["images"]] == ["a.jpg"]
    assert "Exported 1 annotation on 1 image" in dialog.report_label.text()

    dialog.only_selected.click()
    wait_counted(qtbot, dialog)
    assert dialog.count_label.text().startswith("4 images chosen")
    dialog.close()


def test_just_the_open_image_selected_starts_unticked(
    qtbot: QtBot, labeled_project: Project, settings: QSettings
) -> None:
    unlabeled = next(i.id for i in labeled_project.items() if i.path.endswith("unlabeled.jpg"))
    dialog = open_dialog(qtbot, labeled_project, settings, [unlabeled], open_id=unlabeled)
    assert dialog.only_selected.isVisible()
    assert not dialog.only_selected.isChecked()
    assert "the export will hold 2 images with 4 annotations" in dialog.count_label.text()
    dialog.close()


def test_an_export_that_would_hold_nothing_is_warned_of_and_refused(
    qtbot: QtBot, labeled_project: Project, settings: QSettings, tmp_path: Path
) -> None:
    unlabeled = next(i.id for i in labeled_project.items() if i.path.endswith("unlabeled.jpg"))
    dialog = open_dialog(qtbot, labeled_project, settings, [unlabeled], open_id=unlabeled)
    choose_folder(qtbot, dialog, tmp_path / "empty")
    dialog.only_selected.click()
    wait_counted(qtbot, dialog)
    assert "the export will hold 0 images with 0 annotations" in dialog.count_label.text()
    assert dialog.empty_warning.isVisible()
    assert dialog.empty_warning.text().startswith("Nothing to export:")
    assert not dialog.export_button.isEnabled()
    dialog.close()


def test_a_folder_that_is_not_empty_needs_overwrite(
    qtbot: QtBot, dialog: ExportLabelsDialog, tmp_path: Path
) -> None:
    destination = tmp_path / "taken"
    destination.mkdir()
    (destination / "keep.txt").write_text("mine")
    choose_folder(qtbot, dialog, destination)

    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(dialog.error.isVisible, timeout=TIMEOUT_MS)
    assert dialog.error.text().startswith(f"{destination}: the folder is not empty")
    assert dialog.status.text() == "The export failed: the folder was not changed"
    assert [p.name for p in destination.iterdir()] == ["keep.txt"]
    assert not dialog.report_label.isVisible()

    dialog.overwrite.click()
    assert not dialog.error.isVisible()  # a new choice clears the old error
    export(qtbot, dialog)
    assert sorted(p.name for p in destination.iterdir()) == ["annotations", "images"]


def test_cancel_leaves_the_destination_as_it_was(
    qtbot: QtBot, dialog: ExportLabelsDialog, tmp_path: Path
) -> None:
    destination = tmp_path / "cancelled"
    choose_folder(qtbot, dialog, destination)

    with HeldPool(dialog.runner.pool):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible()
        assert not dialog.export_button.isEnabled()
        assert dialog.cancel_button.text() == "Cancel"
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()

    qtbot.waitUntil(
        lambda: dialog.status.text() == "Export cancelled: the folder was not changed",
        timeout=TIMEOUT_MS,
    )
    assert not destination.exists()
    assert list(tmp_path.glob(".cancelled.*")) == []  # no temporary folder left behind
    assert dialog.export_button.isEnabled()
    assert dialog.cancel_button.text() == "Close"


def test_the_main_window_exports_the_gallery_selection(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    selection = window.gallery.selectionModel()
    for row in (0, 1, 25):
        selection.select(window.gallery_model.index(row), QItemSelectionModel.SelectionFlag.Select)
    window.gallery.setFocus()

    qtbot.keyClick(
        window.gallery,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )

    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), ExportLabelsDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, ExportLabelsDialog)
    wait_counted(qtbot, dialog)
    assert dialog.only_selected.isChecked()
    assert dialog.only_selected.text() == "Only the 3 selected images"
    choose_folder(qtbot, dialog, tmp_path / "selection")
    export(qtbot, dialog)
    names = [
        image["file_name"] for image in exported_coco(tmp_path / "selection", "default")["images"]
    ]
    assert names == ["image_0000.jpg", "image_0001.jpg"]  # image 25 has no labels yet
    dialog.close()


def test_the_main_window_does_not_tick_a_selection_that_is_only_the_open_image(
    qtbot: QtBot, window: MainWindow
) -> None:
    unlabeled = window.gallery_model.item_id(25)
    window.open_item(unlabeled)  # selects it in the gallery and opens it
    qtbot.waitUntil(lambda: window.workspace.controller.item is not None)
    assert window.bulk_actions.selected_ids() == [unlabeled]

    dialog = window.export_labels()
    assert dialog is not None
    wait_counted(qtbot, dialog)
    assert not dialog.only_selected.isChecked()
    assert dialog.only_selected.text() == "Only the 1 selected image"
    dialog.close()
