"""`export_bundle`: checkpoint → ONNX → parity gate → (int8) → bundle folder (→ zip).

Everything is built in a staging folder beside `out` (`studio.core.staging`); the bundle is
renamed into place only once the parity gate passed and the finished bundle loaded and passed
its own self-test with the bundle runtime. Any failure removes the staging folder and leaves
`out` as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.core import runs
from studio.core.database import Database
from studio.core.enums import OBJECT_TASKS
from studio.core.errors import ExportError
from studio.core.object_store import file_sha256
from studio.core.staging import recover_leftovers, staged_output
from studio.ml.augment import build_transforms
from studio.ml.checkpoints import load_model_weights
from studio.ml.data import VersionDataset
from studio.ml.export import bundle_writer as writer
from studio.ml.export.manifest_builder import ManifestParts, build_manifest, preprocess_steps
from studio.ml.export.model_card import model_card
from studio.ml.export.onnx_export import (
    GRAPH_CANDIDATE_SCORE,
    IOU_THRESHOLD,
    MAX_DETECTIONS,
    DetectionLimits,
    OnnxModel,
    check_nms_mode,
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
from studio.ml.export.source import ExportSource, load_source, parity_images, parity_items

Emit = Callable[[dict], None]


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    zip_path: Path | None
    manifest: Mapping[str, Any]
    parity: ParityReport
    quantization: Mapping[str, Any] | None
    seconds: float


@dataclass(frozen=True)
class ExportOptions:
    nms: str
    int8: bool
    dynamic_batch: bool
    opset: int
    parity_images: int
    steps: list[dict[str, Any]]


@dataclass
class GateResult:
    """The gate's report and what the later stages reuse."""

    report: ParityReport
    images: list[ParityImage]
    arrays: list[np.ndarray]
    candidates: list[dict[str, np.ndarray]]


def _log(emit: Emit | None, message: str) -> None:
    if emit is not None:
        emit({"event": "log", "message": message})


def export_bundle(
    database: Database,
    store_dir: Path,
    project_path: Path,
    source: Any,
    out: Path,
    *,
    checkpoint: str | None = None,
    zip: bool = False,
    int8: bool = False,
    nms: str = "graph",
    dynamic_batch: bool = True,
    opset: int = 17,
    parity_images: int = 16,
    overwrite: bool = False,
    emit: Emit | None = None,
    preprocess_override: list[dict] | None = None,
) -> ExportReport:
    """Export the checkpoint of `source` (a RunRecord or a ModelVersionRecord) as a bundle."""
    started = time.perf_counter()
    database.check_writable()  # the bundle is recorded as an artifact of its run
    out = Path(out).absolute()
    recover_leftovers(out)
    recover_leftovers(writer.zip_path_of(out))
    writer.check_target(out, overwrite)
    if zip and writer.zip_path_of(out).exists() and not overwrite:
        raise ExportError(
            f"{writer.zip_path_of(out)}: exists; choose another name or overwrite it (--overwrite)"
        )
    loaded = load_source(database, Path(store_dir), source, checkpoint)
    task = loaded.run.task
    if int8:
        check_int8(task)
    options = ExportOptions(
        nms=check_nms_mode(nms, task),
        int8=int8,
        dynamic_batch=dynamic_batch,
        opset=opset,
        parity_images=parity_images,
        steps=preprocess_override or preprocess_steps(task, loaded.input_size),
    )
    _log(emit, f"exporting run {loaded.run.name} ({loaded.checkpoint.name}, {task})")
    with staged_output(out) as staged:
        manifest, gate, quantization = _build(
            database, project_path, loaded, options, staged.make_folder(), emit
        )
        writer.publish(staged, overwrite)
    zip_path = writer.write_zip(out, writer.zip_path_of(out)) if zip else None
    _record_artifact(database, Path(store_dir), loaded, out, zip_path, manifest)
    _log(emit, f"bundle written to {out}")
    seconds = round(time.perf_counter() - started, 3)
    return ExportReport(out, zip_path, manifest, gate.report, quantization, seconds)


def _build(
    database: Database,
    project_path: Path,
    loaded: ExportSource,
    options: ExportOptions,
    staging: Path,
    emit: Emit | None,
) -> tuple[dict[str, Any], GateResult, dict[str, Any] | None]:
    graph = graph_module(_load_module(loaded), loaded.run.task)
    limits = graph_limits(options.nms) if loaded.run.task in OBJECT_TASKS else None
    model = export_onnx(
        graph,
        loaded.run.task,
        staging / "model.onnx",
        input_size=loaded.input_size,
        opset=options.opset,
        dynamic_batch=options.dynamic_batch,
        limits=limits,
    )
    _log(emit, f"ONNX model written (opset {options.opset}); checking parity")
    gate = _parity_gate(database, Path(project_path).parent, loaded, graph, model, options)
    _log(emit, gate.report.message)
    if emit is not None:
        emit({"event": "parity", "parity": gate.report.as_dict()})
    if not gate.report.passed:
        raise ExportError(gate.report.message)
    quantization = None
    if options.int8:
        model, quantization = _quantize(model, gate, staging)
        _log(emit, f"int8 accepted: agreement {quantization['agreement']:.0%}")
    int8 = quantization is not None
    names = loaded.class_index.names
    write_selftest(staging, graph, model, gate.images, options.steps, int8, names)
    manifest = _write_manifest(staging, project_path, loaded, model, options, gate, quantization)
    _verify(staging)
    return manifest, gate, quantization


def _load_module(loaded: ExportSource) -> torch.nn.Module:
    from studio.ml.architectures import build_model

    run = loaded.run
    classes = len(loaded.class_index)
    module = build_model(run.model, run.task, classes, loaded.input_size, "never").module
    load_model_weights(module, loaded.checkpoint_path, f"run {run.name}'s {run.model}")
    return module.eval()


# -- the parity gate ---------------------------------------------------------------------------


def _studio_inputs(images: Sequence[Any], root: Path, loaded: ExportSource) -> list[torch.Tensor]:
    """Each image as Studio's evaluation transform gives it to the model."""
    task = loaded.run.task
    transforms = build_transforms(task, loaded.input_size, [], train=False)
    dataset = VersionDataset(images, root, task, loaded.class_index, transforms)
    return [dataset[index][0].as_subclass(torch.Tensor) for index in range(len(dataset))]


def _parity_gate(
    database: Database,
    root: Path,
    loaded: ExportSource,
    graph: torch.nn.Module,
    model: OnnxModel,
    options: ExportOptions,
) -> GateResult:
    items, splits = parity_items(database, loaded, options.parity_images)
    if not items:
        raise ExportError(
            f"version {loaded.version.name} has no usable image for {loaded.run.task}: "
            "the parity gate needs at least one"
        )
    images = parity_images(items, splits, root, loaded)
    task = model.task
    arrays = bundle_arrays(images, options.steps)
    raw = onnx_outputs(onnx_session(model.path), model, arrays)
    inputs = _studio_inputs(items, root, loaded)
    if options.nms == "manifest":
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


def _classes(loaded: ExportSource) -> list[dict[str, Any]]:
    index = loaded.class_index
    return [
        {"index": position, "id": class_id, "name": name}
        for position, (class_id, name) in enumerate(zip(index.class_ids, index.names, strict=True))
    ]


def _lineage(project_path: Path, loaded: ExportSource) -> dict[str, Any]:
    run, version, model_version = loaded.run, loaded.version, loaded.model_version
    return {
        "project": Path(project_path).name,
        "run": {
            "id": run.id,
            "name": run.name,
            "model": run.model,
            "seed": run.seed,
            "config": dict(run.config),
            "pretrained": run.pretrained,
        },
        "dataset_version": {
            "id": version.id,
            "name": version.name,
            "content_hash": version.content_hash,
        },
        "model_version": None
        if model_version is None
        else {"name": model_version.name, "version": model_version.version},
        "checkpoint": loaded.checkpoint.name,
        "checkpoint_sha256": loaded.checkpoint.sha256 or file_sha256(loaded.checkpoint_path),
        "checkpoint_epoch": loaded.checkpoint.epoch,
    }


def _write_manifest(
    staging: Path,
    project_path: Path,
    loaded: ExportSource,
    model: OnnxModel,
    options: ExportOptions,
    gate: GateResult,
    quantization: dict[str, Any] | None,
) -> dict[str, Any]:
    parts = ManifestParts(
        model=model,
        architecture=loaded.run.model,
        input_size=loaded.input_size,
        nms=options.nms,
        int8=quantization is not None,
        steps=options.steps,
        classes=_classes(loaded),
        metrics=loaded.metrics,
        parity=gate.report.as_dict(),
        quantization=quantization,
        lineage=_lineage(project_path, loaded),
    )
    writer.copy_runtime(staging)
    draft = build_manifest(parts, {})
    (staging / "README.md").write_text(model_card(draft), encoding="utf-8")
    manifest = {**draft, "files": writer.file_hashes(staging)}
    writer.write_json(staging / writer.MANIFEST_NAME, manifest)
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


def _record_artifact(
    database: Database,
    store_dir: Path,
    loaded: ExportSource,
    out: Path,
    zip_path: Path | None,
    manifest: Mapping[str, Any],
) -> None:
    try:
        path = out.resolve().relative_to(store_dir.resolve()).as_posix()
    except ValueError:
        path = str(out.resolve())
    runs.save_artifact(
        database,
        loaded.run.id,
        name=f"bundle:{out.name}",
        kind="bundle",
        path=path,
        sha256=file_sha256(out / writer.MANIFEST_NAME),
        size_bytes=writer.folder_size(out),
        epoch=loaded.checkpoint.epoch,
        meta={
            "path": str(out.resolve()),
            "zip": str(zip_path.resolve()) if zip_path else None,
            "checkpoint": loaded.checkpoint.name,
            "model_version": manifest["lineage"]["model_version"],
            "nms": manifest["postprocess"].get("nms"),
            "int8": manifest["model"]["int8"],
            "parity": {
                key: value for key, value in manifest["parity"].items() if key != "per_image"
            },
            "quantization": manifest["quantization"],
        },
    )
