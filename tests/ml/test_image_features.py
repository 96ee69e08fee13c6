"""Image features for the map: a classifier's penultimate layer, a detector's backbone, and
the cached backbone that serves when no model was trained."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from studio.ml.architectures import build_model
from studio.ml.image_features import FeatureExtractor, cached_backbone


def test_a_classifiers_features_are_the_input_of_its_last_layer() -> None:
    module = build_model("resnet18", "classification", 3, 32, "never").module
    extractor = FeatureExtractor(module, "classification", 32, "cpu")
    image = Image.new("RGB", (40, 30), (200, 30, 90))

    features = extractor.features([extractor.prepare(image), extractor.prepare(image)])

    assert features.shape == (2, 512)
    assert isinstance(module.fc, torch.nn.Identity)


def test_a_detectors_features_are_its_backbone_averaged_over_the_image() -> None:
    module = build_model("fasterrcnn_mobilenet_v3_large_320_fpn", "detection", 2, 320, "never")
    extractor = FeatureExtractor(module.module, "detection", 320, "cpu")
    images = [Image.new("RGB", (64, 48), (20, 90, 200)), Image.new("RGB", (48, 64), (0, 0, 0))]

    features = extractor.features([extractor.prepare(image) for image in images])

    assert features.shape == (2, 256)  # the FPN's channels
    assert torch.isfinite(torch.from_numpy(features)).all()


def test_no_backbone_serves_when_torchs_cache_holds_no_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    assert cached_backbone() is None


def test_a_backbone_whose_weights_file_is_cached_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "mobilenet_v3_small-047dcff4.pth").write_bytes(b"weights")

    found = cached_backbone()

    assert found is not None
    assert found.architecture == "mobilenet_v3_small"
    assert found.weights_file == checkpoints / "mobilenet_v3_small-047dcff4.pth"
