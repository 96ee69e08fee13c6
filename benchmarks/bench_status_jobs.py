"""The window's longest stall when pre-labeling starts from a zipped bundle.

Pre-labeling checks the model's classes before its worker starts; for a zipped bundle that
means unpacking the zip (a resnet18 at 32 px is a 45 MB ONNX file). Studio checks in the
status-bar job's task, off the window's thread (`Prelabeling.start`); the baseline is the
check done in place on the window's thread, as the window did before
(`Project.prelabels.class_mapping`). The model has a class the project lacks, so both end at
the class-mapping question, before any worker starts. A heartbeat timer ticking every 5 ms on
the window's thread records the longest gap between its ticks, from the start until the
question; five alternating rounds (two in quick mode), medians compared.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from benchmarks.bench_prelabel import _digits_project, ignore
from benchmarks.harness import Measurement, Session, median
from benchmarks.qt_application import application
from studio.api import PrelabelOptions, Project
from studio.core.export_options import ExportOptions
from studio.core.prelabels import ClassMappingError
from studio.gui.data.prelabel_action import ClassMappingDialog, Prelabeling
from studio.gui.status_job import StatusJobs
from studio.jobs.export_job import export_source

ROUNDS = 5  # 2 in quick mode
HEARTBEAT_MS = 5
TIMEOUT_S = 120


class Heartbeat(QObject):
    """A timer on the window's thread; `longest` is the longest gap between its ticks (s)."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.tick)
        self.longest = 0.0
        self._last = 0.0

    def __enter__(self) -> Heartbeat:
        self.longest, self._last = 0.0, time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.tick()  # a thread blocked until the end counts too
        self.timer.stop()

    def tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now


def studio_stall(
    app: QApplication, prelabeling: Prelabeling, project: Project, source: str
) -> float:
    """The longest stall from `Prelabeling.start` until the class-mapping dialog is open."""
    prelabeling.dialog = None
    deadline = time.perf_counter() + TIMEOUT_S
    with Heartbeat() as heartbeat:
        prelabeling.start(project, PrelabelOptions(source, threshold=0.0))
        while not isinstance(prelabeling.dialog, ClassMappingDialog):
            if time.perf_counter() > deadline:
                raise RuntimeError("the class-mapping dialog never opened")
            app.processEvents()
            time.sleep(0.001)
    prelabeling.dialog.reject()
    return heartbeat.longest


def in_place_stall(app: QApplication, project: Project, source: str) -> float:
    """The longest stall of the same check done on the window's thread."""
    with Heartbeat() as heartbeat:
        app.processEvents()
        try:
            project.prelabels.class_mapping(PrelabelOptions(source, threshold=0.0))
        except ClassMappingError:
            app.processEvents()
        else:
            raise RuntimeError("the model's classes should not all be the project's")
    return heartbeat.longest


def run(session: Session) -> list[Measurement]:
    app = application()
    folder = session.folder("status_jobs")
    project_path, _images = _digits_project(folder / "project", 16, session.seed)
    export = ExportOptions(zip=True, parity_images=1 if session.quick else 4)
    export_source(project_path, "1", folder / "bundle", export, ignore)
    source = str(folder / "bundle.zip")
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = QWidget()
    prelabeling = Prelabeling(window, settings, StatusJobs())
    studio, baseline = [], []
    with Project.open(project_path, author="bench") as project:
        project.update_class("3", name="three")
        rounds = 2 if session.quick else ROUNDS
        for _round in range(rounds):
            with session.studio_side("status_jobs"):
                studio.append(studio_stall(app, prelabeling, project, source))
            baseline.append(in_place_stall(app, project, source))
    prelabeling.stop()
    window.deleteLater()
    size_mb = (folder / "bundle.zip").stat().st_size / 1e6
    return [
        Measurement(
            benchmark=f"starting pre-labeling from a zipped bundle ({size_mb:.0f} MB)",
            metric="the window's longest stall",
            unit="ms",
            studio=median(studio) * 1000,
            baseline=median(baseline) * 1000,
            higher_is_better=False,
            note="class check in the status-bar job's task (Prelabeling.start) against the "
            "check done in place on the window's thread; a 5 ms heartbeat timer, median of "
            f"{rounds} alternating rounds",
        )
    ]
