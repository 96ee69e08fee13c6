"""The bundle's self-test: a few held-out images (as PNG) and the outputs they must give.

The expected outputs are the torch model's on the bundle's own pre-processing of the saved
PNG (int8 bundles: ONNX Runtime's int8 outputs, which the torch model cannot give). For
detectors, the images whose detections all have an exact twin in ONNX Runtime's are chosen
first; where a detection has none (equal scores that NMS split differently, a score at the
floor) the self-test's `min_score` is raised above it, so it checks what is reproducible.
The class names and pre-processing steps are recorded beside the cases, so that the self-test
also notices a manifest.json edited after the export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.bundle.preprocess import preprocess
from studio.ml.export import bundle_writer as writer
from studio.ml.export.onnx_export import OnnxModel
from studio.ml.export.parity import (
    TOLERANCES,
    ParityImage,
    onnx_outputs,
    onnx_session,
    torch_outputs,
    unmatched_score_floor,
)

SELFTEST_CASES = 3
SELFTEST_TRIES = 8
INT8_SELFTEST_LOGITS = 1e-2  # int8 kernels differ a little between CPUs


@dataclass(frozen=True)
class _Trial:
    path: Path
    expected: dict[str, np.ndarray]
    min_score: float | None


def _trial(
    image: ParityImage,
    target: Path,
    graph: Any,
    model: OnnxModel,
    session: Any,
    steps: list,
    int8: bool,
) -> _Trial:
    writer.selftest_image(image.path, target)
    array = preprocess(target, steps)[0]
    (actual,) = onnx_outputs(session, model, [array])
    if int8:
        expected = actual
    else:
        (expected,) = torch_outputs(
            graph, model.task, [torch.from_numpy(array)], model.graph_limits
        )
    if model.graph_limits is None:
        return _Trial(target, expected, None)
    floor = model.graph_limits.score_threshold + TOLERANCES["score"]
    return _Trial(target, expected, unmatched_score_floor(expected, actual, floor))


def write_selftest(
    staging: Path,
    graph: torch.nn.Module,
    model: OnnxModel,
    images: Sequence[ParityImage],
    steps: list[dict[str, Any]],
    int8: bool,
    class_names: Sequence[str],
) -> None:
    folder = writer.selftest_inputs_folder(staging)
    session = onnx_session(model.path)
    trials = [
        _trial(image, folder / f"trial-{number:03d}.png", graph, model, session, steps, int8)
        for number, image in enumerate(images[:SELFTEST_TRIES])
    ]
    chosen = sorted(trials, key=lambda trial: trial.min_score or 0.0)[:SELFTEST_CASES]
    cases = []
    for number, trial in enumerate(chosen):
        trial.path.rename(folder / f"{number:03d}.png")
        name = f"{writer.SELFTEST_INPUTS}/{number:03d}.png"
        cases.append(writer.SelftestCase(name, trial.expected))
    for trial in trials:
        trial.path.unlink(missing_ok=True)
    tolerances = {**TOLERANCES, "logits": INT8_SELFTEST_LOGITS} if int8 else dict(TOLERANCES)
    floors = [trial.min_score for trial in chosen if trial.min_score is not None]
    if floors:
        tolerances["min_score"] = max(floors)
    writer.write_selftest(staging, cases, tolerances, class_names, steps)
