"""int8 weights for classifiers (onnxruntime dynamic quantization), accepted only when the
quantized model still agrees with the float one.

Quantization changes the numbers by design, so its gate is looser than the parity gate: the
top-1 class (multilabel: every thresholded decision) must agree with the float model on at
least `MIN_AGREEMENT` of the parity images; the largest logit change is reported, not gated.
Accuracy against the labels is measured before and after on the same images.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.enums import OBJECT_TASKS, Task
from studio.core.errors import ExportError
from studio.ml.export.onnx_export import OnnxModel
from studio.ml.export.parity import ParityImage, onnx_outputs, onnx_session

MIN_AGREEMENT = 0.9
MULTILABEL_THRESHOLD = 0.5


@dataclass(frozen=True)
class QuantizedModel:
    model: OnnxModel
    report: dict[str, Any]


class _DropQuantizerAdvice(logging.Filter):
    """onnxruntime's quantizer logs advice on the root logger for every call."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    root = logging.getLogger()
    quiet = _DropQuantizerAdvice()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)


def check_int8(task: str) -> None:
    if task in OBJECT_TASKS:
        raise ExportError(
            f"int8 export is offered for classification and multilabel models, not {task}: "
            "onnxruntime's dynamic quantization does not fit torchvision detectors"
        )


def decisions(task: str, logits: np.ndarray) -> np.ndarray:
    """Top-1 index per image (classification) or the thresholded multi-hot rows."""
    if task == Task.MULTILABEL.value:
        return (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))) >= MULTILABEL_THRESHOLD
    return np.argmax(logits, axis=-1)


def accuracy(task: str, logits: np.ndarray, images: Sequence[ParityImage]) -> float | None:
    """Top-1 accuracy (multilabel: share of correct per-class decisions) against the labels."""
    truths = [image.truth for image in images]
    if not truths or any(truth is None for truth in truths):
        return None
    guessed = decisions(task, logits)
    if task == Task.MULTILABEL.value:
        return float(np.mean(guessed == np.asarray(truths, dtype=bool)))
    return float(np.mean(guessed == np.asarray(truths)))


def _agreement(task: str, before: np.ndarray, after: np.ndarray) -> float:
    same = decisions(task, before) == decisions(task, after)
    return float(np.mean(same.all(axis=-1) if same.ndim > 1 else same))


def _stacked(outputs: Sequence[dict[str, np.ndarray]]) -> np.ndarray:
    return np.concatenate([output["logits"] for output in outputs]) if outputs else np.zeros(0)


def quantize_classifier(
    model: OnnxModel,
    images: Sequence[ParityImage],
    arrays: Sequence[np.ndarray],
    float_outputs: Sequence[dict[str, np.ndarray]],
    target: Path,
) -> QuantizedModel:
    """Write int8 weights of `model` to `target`; ExportError when its gate fails."""
    check_int8(model.task)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    try:
        with _quiet_quantizer():
            quantize_dynamic(str(model.path), str(target), weight_type=QuantType.QUInt8)
    except Exception as error:
        raise ExportError(f"int8 quantization of {model.path.name} failed: {error}") from error
    quantized = OnnxModel(**{**model.__dict__, "path": target})
    before = _stacked(float_outputs)
    after = _stacked(onnx_outputs(onnx_session(target), quantized, arrays))
    report = _report(model, target, images, before, after)
    if not report["passed"]:
        target.unlink(missing_ok=True)
        raise ExportError(
            f"int8 gate failed: the quantized model agrees with the float model on "
            f"{report['agreement']:.0%} of {len(images)} images (needs {MIN_AGREEMENT:.0%}); "
            "export without int8"
        )
    return QuantizedModel(quantized, report)


def _report(
    model: OnnxModel,
    target: Path,
    images: Sequence[ParityImage],
    before: np.ndarray,
    after: np.ndarray,
) -> dict[str, Any]:
    agreement = _agreement(model.task, before, after) if len(images) else 0.0
    return {
        "method": "onnxruntime dynamic quantization (uint8 weights)",
        "passed": bool(len(images)) and agreement >= MIN_AGREEMENT,
        "images": len(images),
        "agreement": agreement,
        "min_agreement": MIN_AGREEMENT,
        "max_abs_logit_diff": float(np.max(np.abs(before - after))) if len(images) else None,
        "accuracy_before": accuracy(model.task, before, images),
        "accuracy_after": accuracy(model.task, after, images),
        "size_before": model.path.stat().st_size,
        "size_after": target.stat().st_size,
    }
