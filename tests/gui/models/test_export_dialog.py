"""The Export dialog running real exports of a tiny trained classifier in a worker process:
the parity result with its figures and the bundle's path, and a failed export's error."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.models.export_dialog import ExportModelDialog
from tests.jobs.projects import TINY_CLASSIFIER, copy_of, digits_project

EXPORT_TIMEOUT_MS = 300_000


@pytest.fixture(scope="module")
def trained_path(registered_digits: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A digits project with one finished resnet18 (32 px, 1 epoch, CPU) registered as
    digits:1, alias production."""
    return copy_of(registered_digits, tmp_path_factory.mktemp("trained"))


@pytest.fixture
def project(trained_path: Path) -> Iterator[Project]:
    with Project.open(trained_path, author="gui") as opened:
        yield opened


def open_dialog(qtbot: QtBot, project: Project, source: str, tmp_path: Path) -> ExportModelDialog:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = ExportModelDialog(project, source, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def run_export(qtbot: QtBot, dialog: ExportModelDialog) -> None:
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.worker.running
    assert not dialog.export_button.isEnabled()
    assert dialog.progress.isVisible()
    qtbot.waitUntil(lambda: not dialog.worker.running, timeout=EXPORT_TIMEOUT_MS)


@pytest.mark.slow
def test_an_export_shows_the_passed_parity_check_and_the_bundle(
    qtbot: QtBot, project: Project, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, project, "digits:production", tmp_path)
    assert dialog.source_combo.currentText() == "digits:production → version 1"
    assert not dialog.checkpoint_combo.isEnabled()  # a model version has its checkpoint
    assert not dialog.nms_combo.isEnabled()  # a classifier has no NMS
    out = tmp_path / "bundles" / "digits"
    dialog.out_edit.setText(str(out))
    dialog.zip_check.setChecked(True)
    dialog.int8_check.setChecked(True)

    exported: list[dict] = []
    dialog.exported.connect(exported.append)

    run_export(qtbot, dialog)

    assert exported == [dialog.result_event], dialog.error.text()
    assert dialog.error.text() == ""
    assert "Parity check passed" in dialog.verdict.text()
    figures = dialog.figure_values()
    assert float(figures["Max |logit diff|"]) <= 1e-4
    assert figures["Top-1 agreement"].endswith("(100%)")
    assert figures["Images compared"] == str(exported[0]["parity"]["images"])
    assert "INT8 accuracy change" in figures
    assert "points" in figures["INT8 accuracy change"]
    assert str(out) in dialog.bundle_label.text()
    assert str(out.with_suffix(".zip")) in dialog.bundle_label.text()
    assert dialog.open_button.isVisible()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["lineage"]["model_version"] == {"name": "digits", "version": 1}
    assert manifest["model"]["int8"] is True
    assert out.with_suffix(".zip").is_file()


@pytest.mark.slow
def test_a_failed_export_shows_the_error_and_writes_nothing(
    qtbot: QtBot, project: Project, tmp_path: Path
) -> None:
    run = project.runs()[0]
    dialog = open_dialog(qtbot, project, str(run.id), tmp_path)
    assert dialog.checkpoint_combo.isEnabled()
    dialog.checkpoint_combo.setCurrentIndex(dialog.checkpoint_combo.findData("last.pt"))
    out = tmp_path / "occupied"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    dialog.out_edit.setText(str(out))

    run_export(qtbot, dialog)

    assert dialog.result_event is None
    assert "Export failed" in dialog.verdict.text()  # not the parity gate: the folder
    assert dialog.error.isVisible()
    assert str(out) in dialog.error.text()
    assert "the folder is not empty" in dialog.error.text()
    assert dialog.bundle_label.text() == "Nothing was written at the output folder."
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert dialog.export_button.isEnabled()  # the user may fix it and try again


def scripted_worker(events: list[dict]) -> list[str]:
    """A real process that prints these events as a worker would, then exits 1."""
    lines = "".join(f"print({json.dumps(json.dumps(event))}, flush=True);" for event in events)
    return [sys.executable, "-c", f"import sys;{lines}sys.exit(1)"]


def test_a_project_without_a_finished_run_has_nothing_to_export(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with Project.open(digits_project(tmp_path / "p", count=20), author="gui") as project:
        project.new_run(name="queued", **TINY_CLASSIFIER)  # not finished: not a source
        dialog = open_dialog(qtbot, project, None, tmp_path)
        assert dialog.source_combo.count() == 0
        assert "Nothing to export yet" in dialog.error.text()
        assert not dialog.export_button.isEnabled()
        dialog.close()


def test_a_failed_parity_gate_shows_what_differed(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's own failure, as the worker reports it (the exporter's tests make a real one
    with a broken pre-processing; the dialog only reads the worker's events)."""
    error = (
        "parity gate failed on 3 of 16 images: max |logit diff| 0.31 (limit 0.0001); "
        "top-1 differs on 2 images (item 4, item 9)"
    )
    events = [
        {"event": "log", "message": "ONNX model written"},
        {"event": "failed", "error": error},
    ]
    with Project.open(digits_project(tmp_path / "q", count=20), author="gui") as project:
        dialog = open_dialog(qtbot, project, None, tmp_path)
        dialog.sources["x"] = {"task": "classification", "checkpoint": None, "run": None}
        dialog.source_combo.addItem("x", "x")
        dialog.out_edit.setText(str(tmp_path / "out"))
        monkeypatch.setattr(dialog, "command", lambda: scripted_worker(events))
        run_export(qtbot, dialog)
        assert "Parity check failed" in dialog.verdict.text()
        assert dialog.error.text() == error
        assert dialog.result_event is None
        assert dialog.export_button.isEnabled()
        assert not (tmp_path / "out").exists()
