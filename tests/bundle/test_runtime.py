"""Bundle.load / run / predict / predict_many / selftest on hand-built bundles, and integrity."""

from __future__ import annotations

import ast
import json
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.bundle import Bundle, BundleError, postprocess, preprocess
from studio.bundle.preprocess import ImageTooLargeError
from studio.bundle.safe_zip import UnsafeZipError
from tests.bundle.builders import BUNDLE_SOURCE, BuiltBundle, torch_outputs, write_manifest

ALLOWED_IMPORTS = {"numpy", "PIL", "onnxruntime"}


def _reference(built: BuiltBundle, image: Path) -> dict:
    """The result the torch module gives through the same pre- and post-processing."""
    array, size = preprocess(image, built.manifest["preprocess"])
    return postprocess(
        torch_outputs(built.module, array, built.manifest["task"]), built.manifest, size
    )


def test_the_runtime_imports_only_the_standard_library_numpy_pillow_onnxruntime() -> None:
    for source in BUNDLE_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in ALLOWED_IMPORTS, (source, name)


def test_a_classifier_bundle_predicts_like_the_torch_module(
    classification_bundle: BuiltBundle,
) -> None:
    bundle = Bundle.load(classification_bundle.folder)
    image = classification_bundle.inputs[1]

    result = bundle.predict(image)

    expected = _reference(classification_bundle, image)
    assert bundle.task == "classification"
    assert bundle.classes == ["cat", "dog", "bird"]
    assert result["image"] == str(image)
    assert (result["width"], result["height"]) == (24, 21)
    assert result["label"] == expected["label"]
    assert result["score"] == pytest.approx(expected["score"], abs=1e-5)
    assert [t["class"] for t in result["top"]] == [t["class"] for t in expected["top"]]


def test_predict_many_batches_a_classifier_and_matches_one_by_one(
    classification_bundle: BuiltBundle,
) -> None:
    bundle = Bundle.load(classification_bundle.folder)
    images = classification_bundle.inputs * 3
    calls = []
    run = bundle.run
    bundle.run = lambda array: calls.append(array.shape) or run(array)  # type: ignore[method-assign]

    results = bundle.predict_many(images, batch_size=4)

    assert calls == [(4, 3, 16, 16), (4, 3, 16, 16), (1, 3, 16, 16)]
    singles = [Bundle.load(classification_bundle.folder).predict(image) for image in images]
    assert [r["image"] for r in results] == [str(image) for image in images]
    for batched, single in zip(results, singles, strict=True):
        assert batched["label"] == single["label"]
        assert batched["score"] == pytest.approx(single["score"], abs=1e-6)


def test_predict_many_reports_bad_images_to_on_error_or_raises(
    classification_bundle: BuiltBundle, tmp_path: Path
) -> None:
    bundle = Bundle.load(classification_bundle.folder)
    missing = tmp_path / "gone.jpg"
    images = [classification_bundle.inputs[0], missing, classification_bundle.inputs[1]]
    errors = []

    results = bundle.predict_many(
        images, on_error=lambda image, error: errors.append((image, str(error)))
    )

    assert [r["image"] for r in results] == [str(images[0]), str(images[2])]
    assert errors == [(missing, f"{missing}: no such file")]
    with pytest.raises(BundleError, match=r"gone\.jpg"):
        bundle.predict_many(images)


def test_a_detector_bundle_applies_manifest_nms(detection_bundle: BuiltBundle) -> None:
    bundle = Bundle.load(detection_bundle.folder)
    image = detection_bundle.inputs[0]

    result = bundle.predict(image)
    raw = bundle.run(preprocess(image, bundle.manifest["preprocess"])[0])

    expected = _reference(detection_bundle, image)
    assert len(raw["boxes"]) == 4
    assert [d["class"] for d in result["detections"]] == ["circle", "square"]  # 1 suppressed, 1 low
    for found, wanted in zip(result["detections"], expected["detections"], strict=True):
        assert found["box"] == pytest.approx(wanted["box"], abs=1e-4)
        assert found["score"] == pytest.approx(wanted["score"], abs=1e-5)
    assert bundle.predict_many(detection_bundle.inputs)[0] == result


def test_a_segmentation_bundle_gives_masks_of_the_image_size(
    segmentation_bundle: BuiltBundle,
) -> None:
    bundle = Bundle.load(segmentation_bundle.folder)

    result = bundle.predict(segmentation_bundle.inputs[2])

    assert result["detections"]
    for detection in result["detections"]:
        assert detection["mask"]["size"] == [result["height"], result["width"]]
        assert sum(detection["mask"]["counts"]) == result["height"] * result["width"]


@pytest.mark.parametrize(
    "fixture", ["classification_bundle", "detection_bundle", "segmentation_bundle"]
)
def test_the_selftest_passes_on_an_intact_bundle(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    built: BuiltBundle = request.getfixturevalue(fixture)

    report = Bundle.load(built.folder).selftest()

    assert report["passed"] is True
    assert [case["input"] for case in report["cases"]] == [
        f"selftest/inputs/{index:03d}.png" for index in range(3)
    ]


def test_the_selftest_fails_when_the_expected_outputs_differ(
    classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(classification_bundle)
    expected_path = folder / "selftest" / "expected.json"
    expected = json.loads(expected_path.read_text())
    expected["cases"][1]["outputs"]["logits"][0][0] += 0.01
    expected_path.write_text(json.dumps(expected))
    write_manifest(folder, json.loads((folder / "manifest.json").read_text()))

    report = Bundle.load(folder).selftest()

    assert report["passed"] is False
    assert [case["passed"] for case in report["cases"]] == [True, False, True]
    assert "differs by 0.01" in report["cases"][1]["message"]


def test_load_refuses_a_model_altered_by_one_byte(
    classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(classification_bundle)
    model = folder / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))

    with pytest.raises(BundleError, match=r"^model\.onnx: altered or damaged .*re-export"):
        Bundle.load(folder)


@pytest.mark.parametrize(
    "name", ["studio_bundle/compare.py", "selftest/inputs/001.png", "README.md"]
)
def test_load_refuses_a_bundle_with_a_missing_file(
    name: str, classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(classification_bundle)
    (folder / name).unlink()

    with pytest.raises(BundleError, match=f"^{name}: missing from the bundle"):
        Bundle.load(folder)


def test_load_refuses_a_missing_manifest_a_newer_schema_and_an_unlisted_model(
    classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(classification_bundle)
    manifest = json.loads((folder / "manifest.json").read_text())

    (folder / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 2}))
    with pytest.raises(BundleError, match="schema_version 2 is not supported"):
        Bundle.load(folder)
    unlisted = {
        **manifest,
        "files": {k: v for k, v in manifest["files"].items() if k != "model.onnx"},
    }
    (folder / "manifest.json").write_text(json.dumps(unlisted))
    with pytest.raises(BundleError, match=r"model file model\.onnx is not listed"):
        Bundle.load(folder)
    climbing = {**manifest, "files": {**manifest["files"], "../outside.txt": "0" * 64}}
    (folder / "manifest.json").write_text(json.dumps(climbing))
    with pytest.raises(BundleError, match="not a path inside the bundle"):
        Bundle.load(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(BundleError, match=r"manifest\.json: missing"):
        Bundle.load(folder)


def test_a_zipped_bundle_loads_from_its_single_folder(
    classification_bundle: BuiltBundle, tmp_path: Path
) -> None:
    archive = Path(
        shutil.make_archive(
            str(tmp_path / "classifier"), "zip", classification_bundle.folder.parent, "classifier"
        )
    )
    assert zipfile.is_zipfile(archive)

    with Bundle.load(archive) as bundle:
        unpacked = bundle.folder
        assert bundle.selftest()["passed"]
    assert not unpacked.exists()


def test_predict_refuses_an_image_over_max_pixels_before_decoding_it(
    classification_bundle: BuiltBundle,
) -> None:
    image = classification_bundle.inputs[0]  # 20×18

    with Bundle.load(classification_bundle.folder, max_pixels=359) as bundle:
        with pytest.raises(ImageTooLargeError) as refused:
            bundle.predict(image)
        assert bundle.predict_many([image], on_error=lambda *_: None) == []

    assert (refused.value.pixels, refused.value.max_pixels) == (360, 359)
    assert str(refused.value).startswith(f"{image}: refused before decoding, it has 360 pixels")


def test_a_bundle_zip_with_a_path_leaving_it_is_refused_and_nothing_is_written(
    classification_bundle: BuiltBundle, tmp_path: Path
) -> None:
    archive = tmp_path / "incoming" / "classifier.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(classification_bundle.folder.rglob("*")):
            if path.is_file():
                zipped.write(path, f"classifier/{path.relative_to(classification_bundle.folder)}")
        zipped.writestr("classifier/../../evil.txt", b"x")

    with pytest.raises(UnsafeZipError, match="a path leading outside the archive") as refused:
        Bundle.load(archive)

    assert isinstance(refused.value, BundleError)
    assert str(refused.value).startswith(str(archive))
    assert not list(tmp_path.rglob("evil.txt"))
