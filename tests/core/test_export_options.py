"""`ExportOptions`: one frozen record of how to export, checked when it is made."""

from __future__ import annotations

import pytest

from studio.core.errors import ExportError
from studio.core.export_options import ExportOptions


def test_default_options_export_studios_onnx_bundle_and_add_no_flags() -> None:
    options = ExportOptions()
    assert options.target == "onnx-bundle"
    assert options.to_argv() == []


def test_flags_name_only_what_differs_from_the_defaults() -> None:
    options = ExportOptions(zip=True, dynamic_batch=False, nms="manifest", opset=13)
    assert options.to_argv() == ["--nms", "manifest", "--opset", "13", "--zip", "--static-batch"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"nms": "soft"}, "unknown NMS mode 'soft'"),
        ({"opset": 7}, "opset must be between 11 and 20, not 7"),
        ({"parity_images": 0}, "parity_images must be at least 1"),
        ({"target": " "}, "an export target needs a name"),
        ({"checkpoint": ""}, "checkpoint must name a checkpoint"),
    ],
)
def test_bad_options_are_refused_with_one_line(settings: dict, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        ExportOptions(**settings)


def test_changed_options_are_a_checked_copy() -> None:
    options = ExportOptions()
    assert options.changed(zip=True).zip
    assert not options.zip
    with pytest.raises(ExportError, match="unknown export option colour"):
        options.changed(colour="red")
    with pytest.raises(ExportError, match="unknown NMS mode"):
        options.changed(nms="soft")
