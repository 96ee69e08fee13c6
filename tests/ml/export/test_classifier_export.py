"""Exporting classifiers: the parity gate, the bundle's files, int8, refusals, lineage."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image

from studio.api import Project
from studio.bundle.integrity import sha256_file
from studio.bundle.preprocess import preprocess
from studio.bundle.runtime import Bundle
from studio.core import model_registry, runs
from studio.core.errors import ExportError
from studio.core.runs import RunRecord
from studio.ml.augment import build_transforms
from studio.ml.export.manifest_builder import preprocess_steps
from tests.conftest import modes
from tests.jobs.projects import copy_of
from tests.ml.export.helpers import (
    digits,
    export,
    export_with_preprocessing,
    seeded_run,
)


@pytest.fixture(scope="module")
def trained(
    registered_digits: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Project, RunRecord]]:
    """A digits project whose resnet18 (32 px), run "tiny", trained one epoch."""
    project = Project.open(copy_of(registered_digits, tmp_path_factory.mktemp("digits")))
    yield project, project.run("tiny").record
    project.close()


def leftovers(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if path.name.startswith(".")]


def test_the_evaluation_transform_is_exactly_the_bundle_preprocessing(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for width, height, size in ((37, 53, 32), (301, 97, 64), (640, 480, 224)):
        image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        path = tmp_path / f"{width}x{height}.png"
        image.save(path)
        studio = build_transforms("classification", size, [], train=False)(image)
        bundle, original = preprocess(path, preprocess_steps("classification", size))
        assert original == (width, height)
        assert np.abs(studio.numpy() - bundle).max() < 1e-6


@pytest.mark.usefixtures("umask_022")
def test_a_trained_classifier_becomes_a_verified_bundle(
    trained: tuple[Project, RunRecord], tmp_path: Path
) -> None:
    project, run = trained
    out = tmp_path / "digits-bundle"
    events: list[dict] = []
    report = export(project, run, out, zip=True, emit=events.append)
    assert report.parity.passed
    assert report.parity.message.startswith("parity gate passed on 16 images: max |logit diff|")
    assert report.parity.details["max_abs_diff"] <= 1e-4
    assert report.folder == out
    assert report.zip_path == tmp_path / "digits-bundle.zip"
    assert leftovers(tmp_path) == []
    assert modes(out) == {("dir", 0o755), ("file", 0o644)}  # readable by a service account
    assert report.zip_path.stat().st_mode & 0o777 == 0o644
    assert any("parity gate passed" in event.get("message", "") for event in events)

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == json.loads(json.dumps(report.manifest))
    on_disk = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()} - {
        "manifest.json"
    }
    assert set(manifest["files"]) == on_disk
    assert all(sha256_file(out / name) == digest for name, digest in manifest["files"].items())
    assert {"model.onnx", "predict.py", "serve.py", "README.md", "requirements.txt"} <= on_disk
    assert {
        "studio_bundle/runtime.py",
        "selftest/expected.json",
        "selftest/inputs/000.png",
    } <= on_disk
    assert manifest["model"]["opset"] == 17
    assert manifest["model"]["dynamic_batch"]
    assert manifest["model"]["inputs"][0]["shape"] == ["batch", 3, 32, 32]
    assert [entry["name"] for entry in manifest["classes"]] == [str(d) for d in range(10)]
    assert manifest["lineage"]["run"]["id"] == run.id
    assert manifest["lineage"]["checkpoint"] == "best.pt"
    assert manifest["metrics"]["accuracy"] == run.summary["test"]["accuracy"]
    assert manifest["parity"]["passed"]
    assert manifest["quantization"] is None
    onnx.checker.check_model(str(out / "model.onnx"), full_check=True)
    assert "onnxruntime" in (out / "requirements.txt").read_text()
    assert "resnet18" in (out / "README.md").read_text()

    expected = json.loads((out / "selftest" / "expected.json").read_text(encoding="utf-8"))
    assert expected["classes"] == [entry["name"] for entry in manifest["classes"]]
    assert expected["preprocess"] == manifest["preprocess"]
    with Bundle.load(out) as bundle:
        selftest = bundle.selftest()
        assert selftest["passed"]
        assert (selftest["manifest"], selftest["unchecked"]) == ([], [])
        result = bundle.predict(out / "selftest" / "inputs" / "000.png")
        assert result["label"] in bundle.classes
    with zipfile.ZipFile(report.zip_path) as archive:
        assert "digits-bundle/manifest.json" in archive.namelist()
    with Bundle.load(report.zip_path) as zipped:
        assert zipped.selftest()["passed"]

    with project.context.database.read() as connection:
        artifact = runs.get_artifact(connection, run.id, "bundle:digits-bundle")
    assert artifact.kind == "bundle"
    assert artifact.meta["path"] == str(out.resolve())
    assert artifact.meta["parity"]["passed"] is True
    assert artifact.sha256 == sha256_file(out / "manifest.json")


@pytest.mark.parametrize(
    ("broken", "what"),
    [
        ({"op": "normalize", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}, "mean/std"),
        (
            {"op": "normalize", "mean": [0.406, 0.456, 0.485], "std": [0.225, 0.224, 0.229]},
            "mean/std in BGR order",
        ),
    ],
)
def test_a_broken_preprocessing_fails_the_gate_and_writes_nothing(
    trained: tuple[Project, RunRecord], tmp_path: Path, broken: dict, what: str
) -> None:
    project, run = trained
    steps = [
        broken if step["op"] == "normalize" else step
        for step in preprocess_steps("classification", 32)
    ]
    out = tmp_path / "broken"
    with pytest.raises(ExportError) as failed:
        export_with_preprocessing(project, run, out, steps, zip=True)
    message = str(failed.value)
    assert message.startswith("parity gate failed on "), what
    assert "max |logit diff|" in message
    assert "(limit 0.0001)" in message
    assert not out.exists()
    assert not (tmp_path / "broken.zip").exists()
    assert leftovers(tmp_path) == []


def test_int8_weights_report_accuracy_before_and_after(
    trained: tuple[Project, RunRecord], tmp_path: Path
) -> None:
    project, run = trained
    report = export(project, run, tmp_path / "int8", int8=True, parity_images=12)
    quantization = report.quantization
    assert quantization is not None
    assert quantization["passed"]
    assert 0.0 <= quantization["accuracy_before"] <= 1.0
    assert 0.0 <= quantization["accuracy_after"] <= 1.0
    assert quantization["size_after"] < quantization["size_before"] / 2
    assert quantization["agreement"] >= quantization["min_agreement"]
    assert report.manifest["model"]["int8"] is True
    assert report.manifest["quantization"]["accuracy_before"] == quantization["accuracy_before"]
    with Bundle.load(tmp_path / "int8") as bundle:
        assert bundle.selftest()["passed"]


def test_a_non_empty_folder_is_kept_unless_overwrite_is_asked(
    trained: tuple[Project, RunRecord], tmp_path: Path
) -> None:
    project, run = trained
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match=r"taken: the folder is not empty"):
        export(project, run, out)
    assert (out / "notes.txt").read_text() == "mine"
    export(project, run, out, overwrite=True, dynamic_batch=False, parity_images=4)
    assert not (out / "notes.txt").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["inputs"][0]["shape"] == [1, 3, 32, 32]
    assert manifest["parity"]["images"] == 4
    assert leftovers(tmp_path) == []
    with Bundle.load(out) as bundle:
        images = sorted((out / "selftest" / "inputs").glob("*.png"))
        assert len(bundle.predict_many(images, batch_size=2)) == len(images)


def test_a_registered_model_exports_with_its_lineage_and_refuses_a_changed_checkpoint(
    tmp_path: Path,
) -> None:
    with digits(tmp_path, 24) as project:
        run = seeded_run(project, "classification", "mobilenet_v3_small", 32)
        registered = model_registry.register_model(project.context.database, run.id, name="digits")
        report = export(project, registered, tmp_path / "model", parity_images=4)
        assert report.manifest["lineage"]["model_version"] == {"name": "digits", "version": 1}
        checkpoint = project.store_dir / runs.run_folder(run.id) / "best.pt"
        checkpoint.write_bytes(checkpoint.read_bytes() + b"\0")
        with pytest.raises(ExportError, match=r"digits:1: checkpoint .*best\.pt changed"):
            export(project, registered, tmp_path / "again")
        assert not (tmp_path / "again").exists()


def test_a_multilabel_model_exports_with_sigmoid_outputs(tmp_path: Path) -> None:
    with digits(tmp_path, 24) as project:
        run = seeded_run(project, "multilabel", "mobilenet_v3_small", 32)
        report = export(project, run, tmp_path / "tags", parity_images=6)
        assert report.parity.passed
        assert report.manifest["postprocess"]["op"] == "sigmoid"
        with Bundle.load(tmp_path / "tags") as bundle:
            assert bundle.selftest()["passed"]
            result = bundle.predict(tmp_path / "tags" / "selftest" / "inputs" / "000.png")
            assert set(result["scores"]) == set(bundle.classes)


def test_opencv_dnn_runs_the_exported_classifier_with_the_same_top1(
    trained: tuple[Project, RunRecord], tmp_path: Path
) -> None:
    cv2 = pytest.importorskip("cv2")
    project, run = trained
    out = tmp_path / "cv"
    export(project, run, out, parity_images=4)
    manifest = json.loads((out / "manifest.json").read_text())
    net = cv2.dnn.readNetFromONNX(str(out / "model.onnx"))
    with Bundle.load(out) as bundle:
        for image in sorted((out / "selftest" / "inputs").glob("*.png")):
            array, _ = preprocess(image, manifest["preprocess"])
            net.setInput(array[None])
            opencv = net.forward()
            expected = bundle.run(array)["logits"]
            assert int(np.argmax(opencv)) == int(np.argmax(expected))
            assert np.abs(opencv - expected).max() < 1e-3
