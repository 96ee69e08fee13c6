"""Studio's ONNX deployment bundle: checkpoint → ONNX → parity gate → (int8) → bundle files.

`write_bundle` writes into a fresh folder that `studio.ml.export.targets.export_to` renames
into place only once the parity gate passed and the finished bundle loaded and passed its own
self-test with the bundle runtime; any failure leaves the destination as it was. It receives
the model, its classes, its pre-processing and the options as values (`ExportSource`,
`ExportOptions`); the export job loads them from the project and records the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.core.enums import OBJECT_TASKS
from studio.core.errors import ExportError
from studio.core.export_options import ExportOptions
from studio.ml.architectures import get_architecture
from studio.ml.augment import build_transforms
from studio.ml.data import VersionDataset
from studio.ml.export import bundle_writer as writer
from studio.ml.export.manifest_builder import ManifestParts, build_manifest
from studio.ml.export.model_card import model_card
from studio.ml.export.onnx_export import (
    GRAPH_CANDIDATE_SCORE,
    IOU_THRESHOLD,
    MAX_DETECTIONS,
    DetectionLimits,
    OnnxModel,
    effective_nms,
    export_onnx,
    graph_limits,
    graph_module,
)
from studio.ml.export.parity import (
    Comparison,
    ParityImage,
    ParityReport,
    bundle_arrays,
    compare_all,
    nms_as_torchvision,
    onnx_outputs,
    onnx_session,
    torch_outputs,
)
from studio.ml.export.quantize import check_int8, quantize_classifier
from studio.ml.export.selftest_writer import write_selftest
from studio.ml.export.source import ExportSource
from studio.ml.export.targets import ExportedFiles, log


@dataclass
class GateResult:
    """The gate's report and what the later stages reuse."""

    report: ParityReport
    images: list[ParityImage]
    arrays: list[np.ndarray]
    candidates: list[dict[str, np.ndarray]]


def write_bundle(source: ExportSource, options: ExportOptions, folder: Path) -> ExportedFiles:
    """Write the bundle of `source` into the empty `folder`; ExportError when the parity gate
    or the bundle's own self-test fails."""
    task = source.task
    if options.int8:
        check_int8(task)
    nms = effective_nms(options.nms, task)
    settings = get_architecture(source.architecture).detection_settings
    graph = graph_module(source.load_module(), task, settings)
    limits = graph_limits(nms) if task in OBJECT_TASKS else None
    model = export_onnx(
        graph,
        task,
        folder / "model.onnx",
        input_size=source.input_size,
        opset=options.opset,
        dynamic_batch=options.dynamic_batch,
        limits=limits,
    )
    log.info("ONNX model written (opset %s); checking parity", options.opset)
    gate = _parity_gate(source, graph, model, nms)
    log.info("%s", gate.report.message)
    if not gate.report.passed:
        raise ExportError(gate.report.message)
    quantization = None
    if options.int8:
        model, quantization = _quantize(model, gate, folder)
        log.info("int8 accepted: agreement %.0f%%", quantization["agreement"] * 100)
    steps = list(source.preprocess)
    names = source.class_index.names
    write_selftest(folder, graph, model, gate.images, steps, quantization is not None, names)
    manifest = _write_manifest(folder, source, model, nms, gate, quantization)
    _verify(folder)
    return ExportedFiles(manifest, gate.report, quantization)


# -- the parity gate ---------------------------------------------------------------------------


def _studio_inputs(source: ExportSource) -> list[torch.Tensor]:
    """Each parity image as Studio's evaluation transform gives it to the model."""
    transforms = build_transforms(source.task, source.input_size, [], train=False)
    dataset = VersionDataset(
        source.parity_items, source.image_root, source.task, source.class_index, transforms
    )
    return [dataset[index][0].as_subclass(torch.Tensor) for index in range(len(dataset))]


def _parity_gate(
    source: ExportSource, graph: torch.nn.Module, model: OnnxModel, nms: str
) -> GateResult:
    if not source.parity_items:
        raise ExportError(
            f"{source.description} has no usable image for {source.task} in its dataset "
            "version: the parity gate needs at least one"
        )
    images = source.parity_images()
    task = model.task
    arrays = bundle_arrays(images, list(source.preprocess))
    raw = onnx_outputs(onnx_session(model.path), model, arrays)
    inputs = _studio_inputs(source)
    if nms == "manifest":
        gate_limits = DetectionLimits(GRAPH_CANDIDATE_SCORE, IOU_THRESHOLD, MAX_DETECTIONS)
        candidates = nms_as_torchvision(raw)
    else:
        gate_limits = model.graph_limits
        candidates = raw
    references = torch_outputs(graph, task, inputs, gate_limits)
    comparison = Comparison(images, candidates=candidates)
    report = compare_all(task, comparison, references, gate_limits)
    return GateResult(report, images, arrays, raw)


def _quantize(
    model: OnnxModel, gate: GateResult, staging: Path
) -> tuple[OnnxModel, dict[str, Any]]:
    target = staging / "model.int8.onnx"
    quantized = quantize_classifier(model, gate.images, gate.arrays, gate.candidates, target)
    final = staging / "model.onnx"
    target.replace(final)
    return OnnxModel(**{**quantized.model.__dict__, "path": final}), quantized.report


# -- the bundle's files ------------------------------------------------------------------------


def _classes(source: ExportSource) -> list[dict[str, Any]]:
    index = source.class_index
    return [
        {"index": position, "id": class_id, "name": name}
        for position, (class_id, name) in enumerate(zip(index.class_ids, index.names, strict=True))
    ]


def _write_manifest(
    folder: Path,
    source: ExportSource,
    model: OnnxModel,
    nms: str,
    gate: GateResult,
    quantization: dict[str, Any] | None,
) -> dict[str, Any]:
    parts = ManifestParts(
        model=model,
        architecture=source.architecture,
        input_size=source.input_size,
        nms=nms,
        int8=quantization is not None,
        steps=list(source.preprocess),
        classes=_classes(source),
        metrics=dict(source.metrics),
        parity=gate.report.as_dict(),
        quantization=quantization,
        lineage=dict(source.lineage),
    )
    writer.copy_runtime(folder)
    draft = build_manifest(parts, {})
    (folder / "README.md").write_text(model_card(draft), encoding="utf-8")
    manifest = {**draft, "files": writer.file_hashes(folder)}
    writer.write_json(folder / writer.MANIFEST_NAME, manifest)
    return manifest


def _verify(staging: Path) -> None:
    """Load the finished bundle with its own runtime and run its self-test."""
    from studio.bundle.manifest import BundleError
    from studio.bundle.runtime import Bundle

    try:
        with Bundle.load(staging) as bundle:
            result = bundle.selftest()
    except BundleError as error:
        raise ExportError(f"the exported bundle does not load: {error}") from error
    if not result["passed"]:
        failed = [case for case in result["cases"] if not case["passed"]]
        raise ExportError(
            f"the exported bundle fails its self-test on {len(failed)} of {len(result['cases'])} "
            f"inputs: {failed[0]['message']}"
        )
