"""Export targets from plugins: listed beside Studio's bundle, exporting the values the job
loaded, recorded and announced like a bundle; failures leave nothing behind."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch

from studio.core import runs
from studio.core.errors import ExportError
from studio.ml.export.source import ExportSource
from studio.ml.export.targets import ExportedFiles, ExportTargetSpec, export_targets
from studio.plugins import hookimpl
from studio.plugins.manager import PluginError, StudioPlugins
from tests.ml.export import torchscript_plugin
from tests.ml.export.helpers import digits, export, seeded_run


class ExportWatcher:
    STUDIO_PLUGIN_API = 1

    def __init__(self) -> None:
        self.exported: list[tuple[Path, Path, Mapping[str, Any]]] = []

    @hookimpl
    def studio_model_exported(
        self, project_path: Path, bundle: Path, manifest: Mapping[str, Any]
    ) -> None:
        self.exported.append((project_path, bundle, manifest))


def _broken(source: ExportSource, options: Any, folder: Path) -> ExportedFiles:
    (folder / "half.bin").write_bytes(b"\0")
    raise RuntimeError("the converter crashed")


class BrokenTarget:
    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_export_targets(self) -> list[ExportTargetSpec]:
        return [ExportTargetSpec("broken", "Broken", "always fails", _broken)]


def test_a_plugin_target_exports_the_model_and_is_recorded_and_announced(
    studio_plugins: StudioPlugins, tmp_path: Path
) -> None:
    studio_plugins.register(torchscript_plugin, "torchscript")
    watcher = ExportWatcher()
    studio_plugins.register(watcher, "watcher")
    assert list(export_targets()) == ["onnx-bundle", "torchscript"]
    with digits(tmp_path, 12) as project:
        run = seeded_run(project, "classification", "mobilenet_v3_small", 32)
        out = tmp_path / "scripted"
        report = export(project, run, out, target="torchscript")
        with project.context.database.read() as connection:
            artifact = runs.get_artifact(connection, run.id, "bundle:scripted")
    assert report.target == "torchscript"
    assert report.parity is None
    assert sorted(path.name for path in out.iterdir()) == ["model.pt"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated, still works
        scripted = torch.jit.load(str(out / "model.pt"))
    assert scripted(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert artifact.meta["target"] == "torchscript"
    assert artifact.meta["checkpoint"] == "best.pt"
    assert [(bundle, manifest["format"]) for _, bundle, manifest in watcher.exported] == [
        (out, "torchscript")
    ]
    assert watcher.exported[0][2]["lineage"]["run"]["name"] == run.name


def test_an_unknown_target_is_refused_naming_the_known_ones(
    studio_plugins: StudioPlugins, tmp_path: Path
) -> None:
    with digits(tmp_path, 12) as project:
        run = seeded_run(project, "classification", "mobilenet_v3_small", 32)
        with pytest.raises(ExportError, match=r"unknown export target 'tflite'; .*onnx-bundle"):
            export(project, run, tmp_path / "out", target="tflite")
    assert not (tmp_path / "out").exists()


def test_a_failing_target_leaves_nothing_and_is_disabled(
    studio_plugins: StudioPlugins, tmp_path: Path
) -> None:
    studio_plugins.register(BrokenTarget(), "broken-target")
    with digits(tmp_path, 12) as project:
        run = seeded_run(project, "classification", "mobilenet_v3_small", 32)
        with pytest.raises(PluginError, match=r"broken-target.*the converter crashed"):
            export(project, run, tmp_path / "out", target="broken")
        assert [artifact.kind for artifact in project.run(run.id).artifacts()] == ["checkpoint"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "digits",
        "digits.studio",
        "digits.studio.d",
    ]
    assert "broken" not in export_targets()
