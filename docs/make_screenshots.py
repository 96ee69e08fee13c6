"""Screenshots for the docs: `make screenshots` (or run this file) refreshes every picture.

Builds the photographs demo (`studio.core.photo_demo`: scikit-image's photographs with
hand-drawn labels and synthetic scenes; nothing is downloaded) in a temporary folder and
shoots the main window at each size of `--sizes` (default 1400×860 and 1024×700), in the light
and the dark theme: the welcome page (`welcome_*`), the demo as it first opens with the
first-run hint (`main_window_*`), an image labeled with polygons (`labeling_*`) and the
shortcut help overlay (`help_overlay_*`). A picture of the first size is `NAME_THEME.png`, of
the others `NAME_THEME_WIDTH.png` (`labeling_dark_1024.png`). Then the label import and export
dialogs on the demo (`import_labels_dialog.png`, `export_labels_dialog.png`), and, after two
short real training runs on scikit-learn's digits (CPU, a minute or so), the Train panel
(`train_panel.png`), the Runs view (`runs_view.png`) and the comparison of the two runs
(`compare_runs.png`); then, with both runs registered as versions of a model, the Models view
with a version's lineage (`models_view.png`) and the Export dialog after a real export with
its parity check (`export_model_dialog.png`). Each file written is printed, with the size the
window really had when it differs from the one asked for.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from PySide6.QtCore import QEvent, QItemSelectionModel, QSettings  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from studio.api import Project  # noqa: E402
from studio.core.photo_demo import create_photo_demo  # noqa: E402
from studio.gui.app import application  # noqa: E402
from studio.gui.first_run_hint import SHOWN_KEY  # noqa: E402
from studio.gui.gallery.model import GalleryModel  # noqa: E402
from studio.gui.labels_io.export_dialog import ExportLabelsDialog  # noqa: E402
from studio.gui.labels_io.import_dialog import ImportLabelsDialog  # noqa: E402
from studio.gui.main_window import MainWindow  # noqa: E402
from studio.gui.models.export_dialog import ExportModelDialog  # noqa: E402
from studio.gui.models.models_view import ModelsView  # noqa: E402
from studio.gui.training.runs_view import RunsView  # noqa: E402
from studio.gui.training.train_panel import TrainPanel  # noqa: E402

DEFAULT_SIZES = "1400x860,1024x700"
THEMES = ("light", "dark")
LABELING_IMAGE = "coffee"  # cup, saucer and spoon: three polygons traced by hand
RENAMED_CLASS = ("cat", "kitten")  # the import dialog's class-name mapping (its first row)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """ "1400x860,1024x700" → [(1400, 860), (1024, 700)]."""
    sizes = []
    for part in text.split(","):
        width, _, height = part.strip().partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise argparse.ArgumentTypeError(f"{part!r}: expected WIDTHxHEIGHT, e.g. 1024x700")
        sizes.append((int(width), int(height)))
    return sizes


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


def settle(rounds: int = 5) -> None:
    for _ in range(rounds):
        application().processEvents()
        time.sleep(0.02)


class WindowShots:
    """Saves the window's pictures as NAME_THEME.png (first size) or NAME_THEME_WIDTH.png."""

    def __init__(self, window: MainWindow, output: Path, main_width: int) -> None:
        self.window = window
        self.output = output
        self.main_width = main_width
        self.saved: list[str] = []

    def save(self, name: str, size: tuple[int, int]) -> None:
        for theme in THEMES:
            self.window.set_theme(theme)
            settle()
            suffix = "" if size[0] == self.main_width else f"_{size[0]}"
            target = self.output / f"{name}_{theme}{suffix}.png"
            picture = self.window.grab()
            if not picture.save(str(target)):
                raise OSError(f"cannot write {target}")
            got = (picture.width(), picture.height())
            note = "" if got == size else f"  (the window is {got[0]}×{got[1]})"
            self.saved.append(f"{target}{note}")


def take_window_screenshots(
    output: Path, demo_path: Path, settings_path: Path, sizes: list[tuple[int, int]]
) -> list[str]:
    """At each size: the welcome page, the demo as it opens (with the first-run hint), an
    image being labeled, and the help overlay, each in both themes."""
    application()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    window = MainWindow(None, settings=settings)
    shots = WindowShots(window, output, sizes[0][0])
    window.show()
    try:
        for size in sizes:
            window.set_project(None)
            window.resize(*size)
            window.project_actions.recent.add(demo_path)
            shots.save("welcome", size)
            settings.remove(SHOWN_KEY)  # the first-run hint shows again at this size
            if not window.open_project_file(demo_path):
                raise RuntimeError(f"{demo_path}: the window could not open it")
            window.window_layout.reset()  # the default layout for this size, as at a first start
            wait_for_thumbnails(window)
            shots.save("main_window", size)
            window.project_actions.hint.hide()
            open_item_named(window, LABELING_IMAGE)
            shots.save("labeling", size)
            window.help_overlay.open()
            shots.save("help_overlay", size)
            window.help_overlay.hide()
        return shots.saved
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


def take_dialog_screenshots(output: Path, demo_path: Path, settings_path: Path) -> list[Path]:
    """The import dialog previewing a COCO export of the demo (with a class renamed), and the
    export dialog showing the report of an export of the labeled images."""
    application()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    window = MainWindow(Project.open(demo_path), settings=settings)
    window.resize(1400, 860)
    window.show()
    try:
        window.set_theme("light")
        wait_for_thumbnails(window)
        coco = demo_path.parent / "coco"
        window.project.export_labels(coco, "coco")
        importer = window.import_labels()
        assert isinstance(importer, ImportLabelsDialog)
        importer.set_source(coco)
        wait_until(importer.import_button.isEnabled)
        importer.replace.setChecked(True)  # the project has these labels: replace them
        table = importer.class_table
        old_name, new_name = RENAMED_CLASS
        wait_until(lambda: old_name in table.file_classes())
        table.item(table.row_of(old_name), 1).setText(new_name)
        wait_until(
            lambda: importer.import_button.isEnabled() and new_name in importer.summary.text()
        )
        shots = [grab_dialog(importer, output / "import_labels_dialog.png")]
        importer.close()
        selection = window.gallery.selectionModel()
        labeled = {Path(item.path).name for item in window.project.items(status="done")}
        for row in range(window.gallery_model.rowCount()):
            index = window.gallery_model.index(row)
            if window.gallery_model.data(index) in labeled:
                selection.select(index, QItemSelectionModel.SelectionFlag.Select)
        exporter = window.export_labels()
        assert isinstance(exporter, ExportLabelsDialog)
        exporter.destination_edit.setText(str(demo_path.parent / "exported"))
        wait_until(lambda: exporter.totals is not None)  # counted in the background first
        exporter.start_export()
        wait_until(lambda: exporter.report is not None)
        shots.append(grab_dialog(exporter, output / "export_labels_dialog.png"))
        exporter.close()
        return shots
    finally:
        window.close()


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
        discard(panel)
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
        discard(dialog)
        view.select_run(view.model.record_at(0).id)
        shots.append(grab_dialog(view, output / "runs_view.png"))
        discard(view)
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
        discard(view)
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
        discard(dialog)
    return shots


def discard(widget: QWidget) -> None:
    """Close and delete a stand-alone widget now, while its project is still open: one left
    for the interpreter's exit to delete (the Models view, the Export dialog) crashes it."""
    widget.close()
    widget.deleteLater()
    application().sendPostedEvents(None, QEvent.Type.DeferredDelete)  # deleted here, not later


def grab_dialog(dialog: QWidget, target: Path) -> Path:
    for _ in range(5):
        application().processEvents()
        time.sleep(0.02)
    if not dialog.grab().save(str(target)):
        raise OSError(f"cannot write {target}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPOSITORY / "docs" / "images")
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes(DEFAULT_SIZES),
        help=f"window sizes, the first one unsuffixed (default {DEFAULT_SIZES})",
    )
    arguments = parser.parse_args()
    arguments.output.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="studio-screenshots-") as temporary:
        folder = Path(temporary)
        os.environ["STUDIO_CACHE_DIR"] = str(folder / "cache")
        demo_path = create_photo_demo(folder / "demo")
        for line in take_window_screenshots(
            arguments.output, demo_path, folder / "settings.ini", arguments.sizes
        ):
            print(line)
        for path in take_dialog_screenshots(arguments.output, demo_path, folder / "dialogs.ini"):
            print(path)
        for path in take_training_screenshots(arguments.output, folder / "training"):
            print(path)
        digits = folder / "training" / "digits.studio"
        for path in take_model_screenshots(arguments.output, digits):
            print(path)
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
