"""Screenshots of the main window for the docs: `make screenshots` (or run this file).

Builds a small project in a temporary folder from scikit-image's bundled sample photographs
(nothing is downloaded), opens the main window on it, waits until the visible thumbnails are
shown, and saves the main states into `docs/images/`: the window in the light and the dark
theme (`main_window_{light,dark}.png`), an image being labeled with a box, a polygon and a mask
on the canvas (`labeling_{light,dark}.png`), the shortcut help overlay (`help_overlay.png`), and
the label import and export dialogs (`import_labels_dialog.png`, `export_labels_dialog.png`),
and, after two short real training runs on scikit-learn's digits (CPU, a minute or so), the
Train panel (`train_panel.png`), the Runs view (`runs_view.png`) and the comparison of the two
runs (`compare_runs.png`); then, with both runs registered as versions of a model, the Models
view with a version's lineage (`models_view.png`) and the Export dialog after a real export
with its parity check (`export_model_dialog.png`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from PySide6.QtCore import QItemSelectionModel, QSettings  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from skimage import data  # noqa: E402

from studio.api import Project  # noqa: E402
from studio.gui.app import application  # noqa: E402
from studio.gui.gallery.model import GalleryModel  # noqa: E402
from studio.gui.labels_io.export_dialog import ExportLabelsDialog  # noqa: E402
from studio.gui.labels_io.import_dialog import ImportLabelsDialog  # noqa: E402
from studio.gui.main_window import MainWindow  # noqa: E402
from studio.gui.models.export_dialog import ExportModelDialog  # noqa: E402
from studio.gui.models.models_view import ModelsView  # noqa: E402
from studio.gui.training.runs_view import RunsView  # noqa: E402
from studio.gui.training.train_panel import TrainPanel  # noqa: E402

WINDOW_SIZE = (1180, 760)
SAMPLES: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": data.astronaut,
    "coffee": data.coffee,
    "chelsea": data.chelsea,
    "rocket": data.rocket,
    "hubble_deep_field": data.hubble_deep_field,
    "immunohistochemistry": data.immunohistochemistry,
    "retina": data.retina,
    "motorcycle": lambda: data.stereo_motorcycle()[0],
    "camera": data.camera,
    "coins": data.coins,
    "moon": data.moon,
    "page": data.page,
    "brick": data.brick,
    "grass": data.grass,
    "gravel": data.gravel,
    "horse": lambda: (~data.horse()).astype(np.uint8) * 255,
    "clock": data.clock,
    "text": data.text,
}
CAT_EAR = [(300, 30), (360, 10), (380, 90), (320, 100)]
LABELS = {
    "astronaut": ("person", [150, 20, 200, 230]),
    "chelsea": ("cat", [60, 20, 250, 250]),
    "coffee": ("cup", [70, 40, 460, 320]),
    "rocket": ("rocket", [280, 20, 80, 340]),
    "motorcycle": ("vehicle", [120, 60, 520, 400]),
}


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, load in SAMPLES.items():
        path = folder / f"{name}.jpg"
        Image.fromarray(load()).convert("RGB").save(path, quality=92)
        paths.append(path)
    return paths


def build_project(folder: Path) -> Path:
    """A project with every sample imported, some labeled, reviewed or in progress."""
    path = folder / "samples.studio"
    with Project.create(path, author="docs") as project:
        project.add_classes(["person", "cat", "cup", "rocket", "vehicle"])
        project.import_media([folder / "images"])
        by_name = {Path(item.path).stem: item.id for item in project.items()}
        for name, (label, box) in LABELS.items():
            project.annotate(by_name[name], label, box=box)
            project.set_status(by_name[name], "done")
        project.annotate(by_name["chelsea"], "cat", polygon=CAT_EAR)
        ear_mask = np.zeros((300, 451), dtype=bool)
        ear_mask[200:260, 60:140] = True
        project.annotate(by_name["chelsea"], "cup", mask=ear_mask)
        project.set_status(by_name["astronaut"], "reviewed")
        project.set_status([by_name["coins"], by_name["moon"]], "in_progress")
    return path


def wait_for_thumbnails(window: MainWindow, timeout_s: float = 60.0) -> None:
    app = application()
    model = window.gallery_model
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        viewport = window.gallery.viewport().rect()
        visible = [
            row
            for row in range(model.rowCount())
            if window.gallery.visualRect(model.index(row)).intersects(viewport)
        ]
        states = [model.data(model.index(row), GalleryModel.ThumbnailStateRole) for row in visible]
        if all(state == "ready" for state in states):
            return
        time.sleep(0.02)
    raise TimeoutError(f"thumbnails still missing after {timeout_s} s: {states}")


def select_rows(window: MainWindow, rows: list[int]) -> None:
    selection = window.gallery.selectionModel()
    for row in rows:
        selection.select(window.gallery_model.index(row), QItemSelectionModel.SelectionFlag.Select)
    window.gallery.setCurrentIndex(window.gallery_model.index(rows[-1]))


def take_screenshots(output: Path, project_path: Path, settings_path: Path) -> list[Path]:
    application()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    window = MainWindow(Project.open(project_path), settings=settings)
    try:
        window.resize(*WINDOW_SIZE)
        window.show()
        wait_for_thumbnails(window)
        select_rows(window, [2])
        shots = [save_grab(window, theme, output, "main_window") for theme in ("light", "dark")]
        open_item_named(window, "chelsea")
        shots += [save_grab(window, theme, output, "labeling") for theme in ("dark", "light")]
        window.help_overlay.open()
        shots.append(save_grab(window, "dark", output, "help_overlay", suffix=False))
        window.help_overlay.hide()
        shots += take_dialog_screenshots(window, output, project_path.parent)
        return shots
    finally:
        window.close()


def open_item_named(window: MainWindow, stem: str, timeout_s: float = 30.0) -> None:
    """Open the item in the canvas and wait until its full image is painted."""
    shown: list[str] = []
    window.workspace.canvas.image_shown.connect(shown.append)
    item_id = next(item.id for item in window.project.items() if Path(item.path).stem == stem)
    window.workspace.navigator.open_item(item_id)
    deadline = time.monotonic() + timeout_s
    while "full" not in shown and time.monotonic() < deadline:
        application().processEvents()
        time.sleep(0.02)
    window.workspace.canvas.fit()
    window.workspace.canvas.select_annotations([])


def wait_until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dialog's work did not finish")
        application().processEvents()
        time.sleep(0.02)


def take_dialog_screenshots(window: MainWindow, output: Path, folder: Path) -> list[Path]:
    """The import dialog previewing a COCO export of the project (with a class renamed),
    and the export dialog showing the report of an export of the selected images."""
    window.set_theme("light")
    coco = folder / "coco"
    window.project.export_labels(coco, "coco")
    importer = window.import_labels()
    assert isinstance(importer, ImportLabelsDialog)
    importer.set_source(coco)
    wait_until(importer.import_button.isEnabled)
    importer.replace.setChecked(True)  # the project has these labels: replace them
    table = importer.class_table
    wait_until(lambda: "vehicle" in table.file_classes())
    table.item(table.row_of("vehicle"), 1).setText("motorbike")
    wait_until(
        lambda: importer.import_button.isEnabled() and "motorbike" in importer.summary.text()
    )
    shots = [grab_dialog(importer, output / "import_labels_dialog.png")]
    importer.close()
    selection = window.gallery.selectionModel()
    for row in range(window.gallery_model.rowCount()):
        index = window.gallery_model.index(row)
        if window.gallery_model.data(index).split(".")[0] in LABELS:
            selection.select(index, QItemSelectionModel.SelectionFlag.Select)
    exporter = window.export_labels()
    assert isinstance(exporter, ExportLabelsDialog)
    exporter.destination_edit.setText(str(folder / "exported"))
    exporter.start_export()
    wait_until(lambda: exporter.report is not None)
    shots.append(grab_dialog(exporter, output / "export_labels_dialog.png"))
    exporter.close()
    return shots


DIGIT_COUNT = 300
TRAINING_SETTINGS = {
    "model": "resnet18",
    "input_size": 32,
    "epochs": 4,
    "batch_size": 16,
    "augmentations": [],
    "device": "cpu",
    "workers": 0,
    "pretrained": "never",
    "early_stopping_patience": None,
}
TRAINING_SIZE = (1180, 640)


def build_digits_project(folder: Path) -> Path:
    """The first scikit-learn digits as 32×32 PNGs, tagged with their digit, done, frozen."""
    from sklearn.datasets import load_digits

    from studio.core.demo import DIGIT_CLASSES, digit_pixels

    dataset = load_digits()
    images = folder / "digits"
    images.mkdir(parents=True, exist_ok=True)
    labels = {}
    for index in range(DIGIT_COUNT):
        name = f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(dataset.images[index])).save(images / name)
        labels[name] = str(dataset.target[index])
    path = folder / "digits.studio"
    with Project.create(path, author="docs") as project:
        project.add_classes(DIGIT_CLASSES)
        project.import_media([images])
        ids = {Path(item.path).name: item.id for item in project.items()}
        project.add_annotations({"item_id": ids[n], "label": lab} for n, lab in labels.items())
        project.set_status(list(ids.values()), "done")
        project.create_version()
    return path


def train_in_panel(panel: TrainPanel, learning_rate: float) -> None:
    panel.form.set_preset("fast")
    panel.form.set_values({**TRAINING_SETTINGS, "learning_rate": learning_rate})
    if panel.start() is None:
        raise RuntimeError(f"the run did not start: {panel.error.text()}")
    wait_until(lambda: not panel.is_running, timeout_s=600)
    if panel.last_status != "finished":
        raise RuntimeError(f"the run ended {panel.last_status}: {panel.error.text()}")


def take_training_screenshots(output: Path, folder: Path) -> list[Path]:
    """Two short runs in the Train panel, then the Runs view and their comparison."""
    application()
    with Project.open(build_digits_project(folder)) as project:
        panel = TrainPanel()
        panel.resize(*TRAINING_SIZE)
        panel.set_project(project)
        panel.show()
        train_in_panel(panel, 0.01)
        train_in_panel(panel, 0.002)
        shots = [grab_dialog(panel, output / "train_panel.png")]
        panel.close()
        view = RunsView()
        view.resize(TRAINING_SIZE[0], 420)
        view.set_project(project)
        view.show()
        selection = view.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(view.model.rowCount()):
            selection.select(view.model.index(row, 0), flags)
        dialog = view.compare()
        assert dialog is not None
        shots.append(grab_dialog(dialog, output / "compare_runs.png"))
        dialog.close()
        view.select_run(view.model.record_at(0).id)
        shots.append(grab_dialog(view, output / "runs_view.png"))
        view.close()
    return shots


def take_model_screenshots(output: Path, project_path: Path) -> list[Path]:
    """The finished runs registered as versions of "digits" (the newest one "production"),
    the Models view on the production version, and the Export dialog after exporting it."""
    application()
    with Project.open(project_path) as project:
        finished = [run for run in project.runs() if run.status == "finished"]
        for number, run in enumerate(finished):
            notes = "first try" if number == 0 else "lower learning rate"
            project.register_model(run.id, name="digits", notes=notes)
        project.set_alias("digits", len(finished), "production")
        project.set_alias("digits", 1, "baseline")
        view = ModelsView()
        view.resize(TRAINING_SIZE[0], 460)
        view.set_project(project)
        view.show()
        view.select_version(project.model("digits:production").id)
        shots = [grab_dialog(view, output / "models_view.png")]
        view.close()
        dialog = ExportModelDialog(project, "digits:production")
        dialog.out_edit.setText(str(project_path.parent / "bundles" / "digits"))
        dialog.zip_check.setChecked(True)
        dialog.int8_check.setChecked(True)
        dialog.show()
        if not dialog.export():
            raise RuntimeError(f"the export did not start: {dialog.error.text()}")
        wait_until(lambda: not dialog.worker.running, timeout_s=600)
        if dialog.result_event is None:
            raise RuntimeError(f"the export failed: {dialog.error.text()}")
        shots.append(grab_dialog(dialog, output / "export_model_dialog.png"))
        dialog.close()
    return shots


def grab_dialog(dialog: QWidget, target: Path) -> Path:
    for _ in range(5):
        application().processEvents()
        time.sleep(0.02)
    if not dialog.grab().save(str(target)):
        raise OSError(f"cannot write {target}")
    return target


def save_grab(window: MainWindow, theme: str, output: Path, name: str, suffix: bool = True) -> Path:
    window.set_theme(theme)
    for _ in range(5):
        application().processEvents()
        time.sleep(0.02)
    target = output / (f"{name}_{theme}.png" if suffix else f"{name}.png")
    if not window.grab().save(str(target)):
        raise OSError(f"cannot write {target}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPOSITORY / "docs" / "images")
    arguments = parser.parse_args()
    arguments.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="studio-screenshots-") as temporary:
        folder = Path(temporary)
        os.environ["STUDIO_CACHE_DIR"] = str(folder / "cache")
        write_samples(folder / "images")
        project_path = build_project(folder)
        for path in take_screenshots(arguments.output, project_path, folder / "settings.ini"):
            print(path)
        for path in take_training_screenshots(arguments.output, folder / "training"):
            print(path)
        digits = folder / "training" / "digits.studio"
        for path in take_model_screenshots(arguments.output, digits):
            print(path)


if __name__ == "__main__":
    main()
