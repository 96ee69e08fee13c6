"""Exporting detectors and Mask R-CNN: NMS in the graph or in the manifest, the gate on boxes."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from studio.bundle.runtime import Bundle
from studio.core.errors import ExportError
from studio.ml.export.manifest_builder import preprocess_steps
from tests.ml.export.helpers import (
    DETECTOR,
    SEGMENTER,
    export,
    export_with_preprocessing,
    scene_project,
    seeded_run,
)


@pytest.mark.parametrize("nms", ["graph", "manifest"])
def test_a_detector_exports_with_nms_where_asked(tmp_path: Path, nms: str) -> None:
    with scene_project(tmp_path, "box") as project:
        run = seeded_run(project, "detection", DETECTOR, 96)
        out = tmp_path / "detector"
        report = export(project, run, out, nms=nms, parity_images=4)
        assert report.parity.passed
        assert report.parity.details["matched"] > 0
        assert report.parity.details["unmatched"] == 0
        assert report.parity.details["worst_iou"] >= 0.99
        assert report.parity.message.startswith("parity gate passed on 4 images: ")
        manifest = json.loads((out / "manifest.json").read_text())
        post = manifest["postprocess"]
        assert post["op"] == "detections"
        assert post["nms"] == nms
        assert post["graph_iou_threshold"] == (0.5 if nms == "graph" else 1.0)
        assert manifest["model"]["outputs"] == ["boxes", "labels", "scores"]
        assert manifest["model"]["inputs"][0]["shape"] == [3, "height", "width"]
        assert [step["op"] for step in manifest["preprocess"]] == ["load_rgb", "to_float", "to_chw"]
        onnx.checker.check_model(str(out / "model.onnx"))
        with Bundle.load(out) as bundle:
            selftest = bundle.selftest()
            assert selftest["passed"]
            assert (selftest["manifest"], selftest["unchecked"]) == ([], [])
            result = bundle.predict(out / "selftest" / "inputs" / "000.png")
            assert isinstance(result["detections"], list)


def test_a_detector_fed_resized_images_fails_the_gate_and_writes_nothing(tmp_path: Path) -> None:
    halved = {"op": "resize", "size": [48, 48], "mode": "stretch", "interpolation": "bilinear"}
    steps = preprocess_steps("detection", 96)
    steps.insert(1, halved)
    with scene_project(tmp_path, "box") as project:
        run = seeded_run(project, "detection", DETECTOR, 96)
        with pytest.raises(
            ExportError, match=r"^parity gate failed on \d+ of 4 images: .*unmatched"
        ):
            export_with_preprocessing(project, run, tmp_path / "out", steps, parity_images=4)
    assert not (tmp_path / "out").exists()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".out-")]


def test_int8_is_refused_for_a_detector(tmp_path: Path) -> None:
    with scene_project(tmp_path, "box") as project:
        run = seeded_run(project, "detection", DETECTOR, 96)
        with pytest.raises(ExportError, match="int8 export is offered for classification"):
            export(project, run, tmp_path / "out", parity_images=2, int8=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_mask_rcnn_exports_masks_and_passes_the_gate(tmp_path: Path) -> None:
    with scene_project(tmp_path, "polygon", count=8) as project:
        run = seeded_run(project, "segmentation", SEGMENTER, 64)
        out = tmp_path / "masks"
        report = export(project, run, out, parity_images=3)
        assert report.parity.passed
        assert report.parity.details["matched"] > 0
        manifest = report.manifest
        assert manifest["model"]["outputs"] == ["boxes", "labels", "scores", "masks"]
        assert manifest["postprocess"]["mask_threshold"] == 0.5
        with Bundle.load(out) as bundle:
            assert bundle.selftest()["passed"]
            outputs = bundle.run(bundle_input(out, manifest))
            assert outputs["masks"].shape[1:] == (1, 96, 96)


def bundle_input(out: Path, manifest: dict):
    from studio.bundle.preprocess import preprocess

    array, _ = preprocess(out / "selftest" / "inputs" / "000.png", manifest["preprocess"])
    return array
