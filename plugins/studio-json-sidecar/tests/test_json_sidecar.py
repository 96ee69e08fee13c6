"""The JSON sidecar format through Studio's importer and exporter, its CLI and its dialogs,
on real photographs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import studio_json_sidecar
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from typer.testing import CliRunner

from studio.api import LabelImportError, Project
from studio.cli import app

ANNOTATIONS = {
    "astronaut.jpg": [
        {"label": "person", "box": [150.0, 20.0, 200.0, 300.0], "attributes": {"pose": "seated"}},
        {"label": "flag", "polygon": [[20.0, 40.0, 120.0, 40.0, 80.0, 160.0]]},
        {"label": "indoor"},
    ],
    "coffee.jpg": [{"label": "cup", "box": [180.5, 40.0, 300.0, 220.25]}],
    "chelsea.png": [{"label": "cat", "box": [120.0, 10.0, 280.0, 280.0]}, {"label": "indoor"}],
}


def labeled_project(path: Path, photographs: list[Path]) -> Project:
    project = Project.create(path, author="tester")
    project.add_classes(["person", "flag", "cup", "cat", "indoor"])
    project.import_media(photographs)
    by_name = {Path(item.path).name: item.id for item in project.items()}
    project.add_annotations(
        {"item_id": by_name[name], **annotation}
        for name, annotations in ANNOTATIONS.items()
        for annotation in annotations
    )
    project.set_status(list(by_name.values()), "done")
    return project


def contents(project: Project) -> dict[str, list[tuple]]:
    """Each image's annotations as (kind, label, geometry, attributes), in a stable order."""
    return {
        Path(item.path).name: sorted(
            (a.kind, a.label, json.dumps(a.geometry), json.dumps(dict(a.attributes)))
            for a in project.annotations(item.id)
        )
        for item in project.items()
    }


def test_export_writes_one_sidecar_beside_each_image(tmp_path: Path, photographs) -> None:
    with labeled_project(tmp_path / "source.studio", photographs) as project:
        report = project.export_labels(tmp_path / "out", format="json_sidecar")
    assert report.annotations == 6
    document = json.loads((tmp_path / "out" / "astronaut.json").read_text(encoding="utf-8"))
    assert (tmp_path / "out" / "astronaut.jpg").is_file()
    assert (document["image"], document["width"], document["height"]) == ("astronaut.jpg", 512, 512)
    assert {"type": "tag", "label": "indoor"} in document["shapes"]
    assert sorted(path.name for path in (tmp_path / "out").glob("*.json")) == [
        "astronaut.json",
        "chelsea.json",
        "coffee.json",
    ]


def test_round_trip_keeps_every_box_polygon_tag_and_attribute(tmp_path: Path, photographs) -> None:
    with labeled_project(tmp_path / "source.studio", photographs) as source:
        source.export_labels(tmp_path / "out", format="json_sidecar")
        expected = contents(source)
    with Project.create(tmp_path / "copy.studio") as copy:
        assert Project.detect_label_format(tmp_path / "out") == "json_sidecar"
        report = copy.import_labels(tmp_path / "out")
        assert report.format == "json_sidecar"
        assert contents(copy) == expected


def test_masks_are_counted_not_dropped_silently(tmp_path: Path, photographs) -> None:
    import numpy as np

    with labeled_project(tmp_path / "source.studio", photographs) as project:
        mask = np.zeros((400, 600), dtype=bool)
        mask[10:50, 20:80] = True
        coffee = next(i.id for i in project.items() if i.path.endswith("coffee.jpg"))
        project.annotate(coffee, "cup", mask=mask)
        report = project.export_labels(tmp_path / "out", format="json_sidecar")
    assert sum(report.skipped.values()) == 1
    assert "masks" in report.summary()


def test_a_broken_sidecar_is_refused_naming_the_file_and_changes_nothing(
    tmp_path: Path, photographs
) -> None:
    with labeled_project(tmp_path / "source.studio", photographs) as project:
        project.export_labels(tmp_path / "out", format="json_sidecar")
        broken = tmp_path / "out" / "coffee.json"
        document = json.loads(broken.read_text(encoding="utf-8"))
        document["shapes"][0]["box"] = [1, 2, 3]
        broken.write_text(json.dumps(document), encoding="utf-8")
        before = contents(project)
        with pytest.raises(LabelImportError) as raised:
            project.import_labels(tmp_path / "out", format="json_sidecar", replace=True)
        message = str(raised.value)
        assert "coffee.json" in message
        assert '"box" should be [x, y, width, height]' in message
        assert "\n" not in message
        assert contents(project) == before


def without_image_names(folder: Path) -> None:
    for sidecar in folder.glob("*.json"):
        document = json.loads(sidecar.read_text(encoding="utf-8"))
        del document["image"]
        sidecar.write_text(json.dumps(document), encoding="utf-8")


def test_a_sidecar_without_image_name_describes_the_image_of_its_stem(
    tmp_path: Path, photographs
) -> None:
    with labeled_project(tmp_path / "source.studio", photographs) as source:
        source.export_labels(tmp_path / "out", format="json_sidecar")
        expected = contents(source)
    without_image_names(tmp_path / "out")
    with Project.create(tmp_path / "copy.studio") as copy:
        copy.import_labels(tmp_path / "out", format="json_sidecar")
        assert contents(copy) == expected


def test_a_sidecar_without_image_name_and_two_images_of_its_stem_is_refused(
    tmp_path: Path, photographs
) -> None:
    with labeled_project(tmp_path / "source.studio", photographs) as source:
        source.export_labels(tmp_path / "out", format="json_sidecar")
    without_image_names(tmp_path / "out")
    (tmp_path / "out" / "coffee.png").write_bytes((tmp_path / "out" / "chelsea.png").read_bytes())
    with Project.create(tmp_path / "copy.studio") as copy:
        with pytest.raises(
            LabelImportError, match=r"coffee\.json: .*found coffee\.jpg, coffee\.png"
        ):
            copy.import_labels(tmp_path / "out", format="json_sidecar")
        assert copy.stats().annotations == 0


def test_cli_lists_and_imports_the_format(tmp_path: Path, photographs) -> None:
    with labeled_project(tmp_path / "source.studio", photographs) as project:
        project.export_labels(tmp_path / "out", format="json_sidecar")
    with Project.create(tmp_path / "copy.studio"):
        pass
    runner = CliRunner()
    listed = runner.invoke(app, ["formats"])
    assert listed.exit_code == 0, listed.output
    assert "json_sidecar" in listed.output
    imported = runner.invoke(
        app,
        [
            "import-labels",
            str(tmp_path / "copy.studio"),
            str(tmp_path / "out"),
            "--format",
            "json_sidecar",
        ],
    )
    assert imported.exit_code == 0, imported.output
    with Project.open(tmp_path / "copy.studio") as copy:
        assert copy.stats().annotations == 6


def test_the_studio_command_finds_the_installed_format_by_itself() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "studio.cli", "formats"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "json_sidecar" in listed.stdout


def test_the_import_and_export_dialogs_offer_the_format(
    qtbot: QtBot, tmp_path: Path, photographs
) -> None:
    from studio.gui.labels_io.export_dialog import ExportLabelsDialog
    from studio.gui.labels_io.import_dialog import ImportLabelsDialog

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    with labeled_project(tmp_path / "source.studio", photographs) as project:
        for dialog_class in (ImportLabelsDialog, ExportLabelsDialog):
            dialog = dialog_class(project, settings)
            qtbot.addWidget(dialog)
            combo = dialog.format_combo
            choices = {
                combo.itemData(index): combo.itemText(index) for index in range(combo.count())
            }
            assert choices["json_sidecar"] == "JSON sidecar (one .json per image)"
            dialog.close()


def test_the_plugin_imports_only_studios_public_api() -> None:
    tree = ast.parse(Path(studio_json_sidecar.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    studio_modules = {name for name in imported if name and name.split(".")[0] == "studio"}
    assert studio_modules
    assert all(name.startswith(("studio.api", "studio.plugins")) for name in studio_modules)
    assert studio_json_sidecar.STUDIO_PLUGIN_API == 1
