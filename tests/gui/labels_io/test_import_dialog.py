"""The "Import labels" dialog on real COCO files, a real project and real widgets."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.labels_io.import_dialog import ImportLabelsDialog
from studio.gui.main_window import MainWindow
from tests.core.formats.helpers import dump, signature
from tests.core.image_files import save_image
from tests.gui.labels_io import HeldPool, coco_document, write_coco_dataset

TIMEOUT_MS = 20_000


@pytest.fixture
def labels_file(tmp_path: Path) -> Path:
    return write_coco_dataset(tmp_path / "coco")


@pytest.fixture
def cat_project(project: Project) -> Project:
    """The shared empty project, with the class "cat" (so "dog" is new)."""
    project.add_classes(["cat"])
    return project


@pytest.fixture
def dialog(qtbot: QtBot, cat_project: Project, settings: QSettings) -> Iterator[ImportLabelsDialog]:
    shown = ImportLabelsDialog(cat_project, settings)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    shown.close()


def enter_source(qtbot: QtBot, dialog: ImportLabelsDialog, path: Path) -> None:
    """Type the path into the field and press Enter, as a user would."""
    dialog.source_edit.setFocus()
    dialog.source_edit.selectAll()
    qtbot.keyClicks(dialog.source_edit, str(path))
    qtbot.keyClick(dialog.source_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=TIMEOUT_MS)


def wait_for_preview(qtbot: QtBot, dialog: ImportLabelsDialog) -> None:
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT_MS)


def annotations_by_image(project: Project) -> dict[str, list[tuple[str, list[float]]]]:
    return {
        Path(item.path).name: sorted((a.label, a.geometry) for a in project.annotations(item.id))
        for item in project.items()
    }


@pytest.mark.parametrize(
    "pick", [lambda file: file, lambda file: file.parent], ids=["file", "folder"]
)
def test_choosing_labels_detects_the_format_and_previews_the_counts(
    qtbot: QtBot,
    dialog: ImportLabelsDialog,
    cat_project: Project,
    labels_file: Path,
    pick: Callable[[Path], Path],
) -> None:
    before = dump(cat_project.path)
    assert not dialog.import_button.isEnabled()

    enter_source(qtbot, dialog, pick(labels_file))
    wait_for_preview(qtbot, dialog)

    assert dialog.format_combo.currentData() == "coco"
    assert dialog.format_combo.currentText() == "COCO JSON"
    assert "Detected" in dialog.format_note.text()
    assert dialog.class_counts_shown() == {"cat": (2, False), "dog": (1, True)}
    summary = dialog.summary.text()
    assert "2 images: 2 new, 0 already in the project" in summary
    assert "3 annotations to add" in summary
    assert "New classes: dog" in summary
    table = dialog.class_table
    assert [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(2)] == [
        ("cat", "cat"),
        ("dog", "dog"),
    ]
    assert not dialog.error.isVisible()
    assert dump(cat_project.path) == before  # a preview changes nothing


def test_the_preview_counts_images_already_in_the_project_and_duplicates(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    cat_project.import_labels(labels_file)

    enter_source(qtbot, dialog, labels_file)
    summary = dialog.summary.text()
    assert "2 images: 0 new, 2 already in the project" in summary
    assert "0 annotations to add" in summary
    assert "3 annotations already in the project (skipped)" in summary
    assert "No new class" in summary
    assert dialog.class_table.file_classes() == ["cat", "dog"]  # listed though none counts

    dialog.replace.click()  # replacing them: the three annotations count again
    qtbot.waitUntil(lambda: "3 annotations to add" in dialog.summary.text(), timeout=TIMEOUT_MS)
    assert dialog.class_table.file_classes() == ["cat", "dog"]  # and can be mapped now
    assert "already in the project (skipped)" not in dialog.summary.text()
    assert dialog.class_counts_shown() == {"cat": (2, False), "dog": (1, False)}


def test_missing_images_are_an_error_unless_skipped(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    (labels_file.parent / "b.png").unlink()

    enter_source(qtbot, dialog, labels_file)
    qtbot.waitUntil(dialog.error.isVisible, timeout=TIMEOUT_MS)
    assert "b.png" in dialog.error.text()
    assert not dialog.import_button.isEnabled()

    dialog.skip_missing.click()
    wait_for_preview(qtbot, dialog)
    assert not dialog.error.isVisible()
    assert "1 image not found (skipped): b.png" in dialog.summary.text()
    assert dialog.class_counts_shown() == {"cat": (1, False)}


def test_a_broken_file_shows_the_full_error_and_disables_import(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, tmp_path: Path
) -> None:
    broken = coco_document(
        [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 20, 10]},
            {"id": 7, "image_id": 2, "category_id": 9, "bbox": [5, 5, 30, 20]},
        ]
    )
    path = write_coco_dataset(tmp_path / "broken", broken)
    before = dump(cat_project.path)

    enter_source(qtbot, dialog, path)

    qtbot.waitUntil(dialog.error.isVisible, timeout=TIMEOUT_MS)
    message = dialog.error.text()
    assert str(path) in message
    assert "annotation id 7" in message
    assert "category_id 9" in message
    assert dialog.format_combo.currentData() == "coco"  # detected, though it cannot be read
    assert not dialog.import_button.isEnabled()
    assert dialog.class_counts.rowCount() == 0
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter does not import a broken file
    assert dialog.isVisible()
    assert dump(cat_project.path) == before


def test_a_file_in_no_known_format_asks_for_the_format(
    qtbot: QtBot, dialog: ImportLabelsDialog, tmp_path: Path
) -> None:
    strange = tmp_path / "notes.json"
    strange.write_text(json.dumps({"hello": "world"}))

    enter_source(qtbot, dialog, strange)

    qtbot.waitUntil(dialog.error.isVisible, timeout=TIMEOUT_MS)
    assert "cannot tell the label format" in dialog.error.text()
    assert dialog.format_note.text() == "Choose the format"
    assert dialog.format_combo.currentIndex() == -1
    assert not dialog.import_button.isEnabled()

    dialog.format_combo.setFocus()  # the user picks COCO with the keyboard
    qtbot.keyClicks(dialog.format_combo, "COCO")
    qtbot.waitUntil(lambda: str(strange) in dialog.error.text(), timeout=TIMEOUT_MS)
    assert dialog.format_combo.currentData() == "coco"
    assert dialog.format_note.text() == "Chosen by you"
    assert '"images" list is missing' in dialog.error.text()
    assert not dialog.import_button.isEnabled()


def test_import_adds_the_annotations_as_one_undo_step(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    before = signature(cat_project)
    enter_source(qtbot, dialog, labels_file)
    wait_for_preview(qtbot, dialog)

    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as imported:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    assert imported.args[0].annotations_added == 3
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()
    assert annotations_by_image(cat_project) == {
        "a.jpg": [("cat", [2.0, 3.0, 20.0, 10.0])],
        "b.png": [("cat", [40.0, 10.0, 12.0, 12.0]), ("dog", [5.0, 5.0, 30.0, 20.0])],
    }
    assert [c.name for c in cat_project.classes()] == ["cat", "dog"]
    assert cat_project.count_items(split="train", status="done") == 2

    cat_project.undo()

    assert signature(cat_project) == before
    assert [c.name for c in cat_project.classes()] == ["cat"]  # the step before is kept


def test_enter_imports_and_escape_closes(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    enter_source(qtbot, dialog, labels_file)
    wait_for_preview(qtbot, dialog)

    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.keyClick(dialog.class_table, Qt.Key.Key_Return)
    assert cat_project.stats().annotations == 3

    other = ImportLabelsDialog(cat_project, dialog.settings)
    qtbot.addWidget(other)
    other.show()
    qtbot.waitExposed(other)
    qtbot.keyClick(other, Qt.Key.Key_Escape)
    assert other.result() == QDialog.DialogCode.Rejected
    assert not other.isVisible()


def test_the_class_table_renames_a_class(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    enter_source(qtbot, dialog, labels_file)
    wait_for_preview(qtbot, dialog)
    table = dialog.class_table
    row = table.row_of("dog")

    table.setFocus()
    table.setCurrentCell(row, 1)
    qtbot.keyClick(table, Qt.Key.Key_F2)  # edit the project class, as a user would
    editor = table.findChild(QComboBox)
    assert editor is not None
    assert [editor.itemText(i) for i in range(editor.count())] == ["cat"]  # offered
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "hound")
    qtbot.keyClick(editor, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: table.class_map() == {"dog": "hound"})
    qtbot.waitUntil(
        lambda: dialog.class_counts_shown() == {"cat": (2, False), "hound": (1, True)},
        timeout=TIMEOUT_MS,
    )
    assert "New classes: hound" in dialog.summary.text()
    assert dialog.isVisible()  # Enter in the editor confirmed the name, it did not import
    wait_for_preview(qtbot, dialog)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    assert [c.name for c in cat_project.classes()] == ["cat", "hound"]
    assert cat_project.count_items(label="hound") == 1
    assert cat_project.count_items(label="dog") == 0


def test_a_class_merged_into_a_project_class(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    enter_source(qtbot, dialog, labels_file)
    wait_for_preview(qtbot, dialog)

    dialog.class_table.item(dialog.class_table.row_of("dog"), 1).setText("cat")

    qtbot.waitUntil(lambda: dialog.class_counts_shown() == {"cat": (3, False)}, timeout=TIMEOUT_MS)
    assert "No new class" in dialog.summary.text()


def test_cancel_leaves_the_project_unchanged(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, labels_file: Path
) -> None:
    enter_source(qtbot, dialog, labels_file)
    wait_for_preview(qtbot, dialog)
    before = dump(cat_project.path)

    with HeldPool(dialog.runner.pool):  # the import waits in the queue…
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible()
        assert dialog.cancel_button.text() == "Cancel"
        assert not dialog.source_edit.isEnabled()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # …and is cancelled before it starts
        assert dialog.isVisible()  # Escape cancelled the import; it did not close the dialog

    qtbot.waitUntil(
        lambda: dialog.status.text() == "Import cancelled: nothing was changed",
        timeout=TIMEOUT_MS,
    )
    assert dump(cat_project.path) == before
    assert not dialog.progress.isVisible()
    assert dialog.import_button.isEnabled()  # the user may try again
    assert dialog.source_edit.isEnabled()


def test_the_main_window_imports_labels_and_ctrl_z_undoes_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    # A COCO file naming two of the project's images by file name (items 12 and 13 are new).
    document = {
        "images": [
            {"id": 1, "file_name": "image_0012.jpg", "width": 64, "height": 48},
            {"id": 2, "file_name": "image_0013.jpg", "width": 64, "height": 48},
        ],
        "categories": [{"id": 1, "name": "bird"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10]},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [3, 3, 10, 10]},
        ],
    }
    labels = tmp_path / "labels" / "instances_val.json"
    labels.parent.mkdir()
    labels.write_text(json.dumps(document))
    counts = window.counts_label.text()
    assert window.menu_actions["import_labels"].isEnabled()
    assert window.menu_actions["export_labels"].isEnabled()

    window.gallery.setFocus()
    qtbot.keyClick(
        window.gallery,
        Qt.Key.Key_L,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), ImportLabelsDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, ImportLabelsDialog)
    enter_source(qtbot, dialog, labels)
    wait_for_preview(qtbot, dialog)
    assert "2 images: 0 new, 2 already in the project" in dialog.summary.text()
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    project = window.project
    assert project.count_items(label="bird", split="val") == 2
    assert (
        window.counts_label.text() == "30 items · 18 new · 2 in progress · 10 done · 12 annotations"
    )
    assert window.statusBar().currentMessage().startswith("Labels imported 2 annotations")
    assert "bird" in [c.name for c in project.classes()]

    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.gallery.setFocus()
    qtbot.keyClick(window.gallery, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    assert project.count_items(label="bird") == 0
    assert "bird" not in [c.name for c in project.classes()]
    assert window.counts_label.text() == counts
    assert window.statusBar().currentMessage() == "Undone: import labels from instances_val.json"


def test_the_label_actions_need_a_project(qtbot: QtBot, settings: QSettings) -> None:
    empty = MainWindow(None, settings=settings)
    qtbot.addWidget(empty)
    assert not empty.menu_actions["import_labels"].isEnabled()
    assert not empty.menu_actions["export_labels"].isEnabled()
    assert empty.import_labels() is None
    assert empty.export_labels() is None
    assert empty.registry.keys("import_labels") == ["Ctrl+Shift+L"]
    assert empty.registry.keys("export_labels") == ["Ctrl+Shift+E"]
    assert empty.registry.conflicts() == {}
    empty.close()


def test_a_late_result_of_an_older_preview_is_ignored(
    qtbot: QtBot, dialog: ImportLabelsDialog, labels_file: Path, tmp_path: Path
) -> None:
    one_image = coco_document([{"id": 1, "image_id": 1, "category_id": 2, "bbox": [1, 1, 5, 5]}])
    other = write_coco_dataset(tmp_path / "other", one_image)
    dialog.set_source(labels_file)
    dialog.runner.pool.waitForDone()  # its result waits in the event queue, not yet shown

    with HeldPool(dialog.runner.pool):
        dialog.set_source(other)  # the newer preview waits behind the held thread…
        qtbot.wait(200)  # …while the older result is delivered, and must be ignored
        assert dialog.summary.text() == "Reading the labels…"
        assert dialog.class_counts.rowCount() == 0
        assert dialog.class_table.rowCount() == 0

    wait_for_preview(qtbot, dialog)
    assert dialog.class_counts_shown() == {"dog": (1, True)}
    assert dialog.class_table.file_classes() == ["cat", "dog"]  # both declared in the file
    assert "1 annotation to add" in dialog.summary.text()


def test_the_keep_duplicates_checkbox_reaches_the_import(
    qtbot: QtBot, dialog: ImportLabelsDialog, cat_project: Project, tmp_path: Path
) -> None:
    save_image(tmp_path / "pets/cat/x.jpg", (64, 48), seed=3)
    (tmp_path / "pets/dog").mkdir()
    shutil.copy(tmp_path / "pets/cat/x.jpg", tmp_path / "pets/dog/x.jpg")
    enter_source(qtbot, dialog, tmp_path / "pets")
    wait_for_preview(qtbot, dialog)
    assert "1 image: 1 new" in dialog.summary.text()
    assert "byte-identical" in dialog.summary.text()

    box = dialog.keep_duplicates  # clicked on its indicator: the row is wider than its text
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))
    qtbot.waitUntil(lambda: "2 images: 2 new" in dialog.summary.text(), timeout=TIMEOUT_MS)
    assert dialog.current_request().options.keep_duplicates
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    labels = {Path(i.path).parent.name: cat_project.annotations(i.id) for i in cat_project.items()}
    assert {folder: [a.label for a in found] for folder, found in labels.items()} == {
        "cat": ["cat"],
        "dog": ["dog"],
    }
