"""Export targets: the ways a trained model leaves Studio. Studio's ONNX deployment bundle is
the built-in target; plugins add others through the `studio_export_targets` hook.

A target's `export(source, options, folder)` writes into `folder`, an empty folder beside
OUT, and returns what it wrote (`ExportedFiles`). `export_to` calls it: the folder is renamed
to OUT only when `export` returned, so a failing target leaves OUT as it was, then OUT.zip is
written when asked. Messages a target logs on the `studio.export` logger reach the user as
the worker's log events.

Imports no torch (the CLI lists the targets); targets import it when they export.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import ExportError
from studio.core.export_options import ONNX_BUNDLE_TARGET, ExportOptions
from studio.plugins.manager import plugins

if TYPE_CHECKING:
    from studio.ml.export.parity import ParityReport
    from studio.ml.export.source import ExportSource

log = logging.getLogger("studio.export")


@dataclass(frozen=True)
class ExportedFiles:
    """What a target wrote: `manifest` describes it (recorded with the export's artifact and
    given to `studio_model_exported`); the ONNX bundle adds its parity gate's report and its
    quantisation report."""

    manifest: Mapping[str, Any]
    parity: ParityReport | None = None
    quantization: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ExportReport:
    """A finished export: where it is, what it holds, and how long it took."""

    folder: Path
    zip_path: Path | None
    manifest: Mapping[str, Any]
    parity: ParityReport | None
    quantization: Mapping[str, Any] | None
    seconds: float
    target: str = ONNX_BUNDLE_TARGET


@dataclass(frozen=True)
class ExportTargetSpec:
    """One export target: `name` as typed after `--target`, a `title` and a `description`
    for the export dialog, and `export(source, options, folder) -> ExportedFiles`."""

    name: str
    title: str
    description: str
    export: Callable[[ExportSource, ExportOptions, Path], ExportedFiles]


def _export_onnx_bundle(
    source: ExportSource, options: ExportOptions, folder: Path
) -> ExportedFiles:
    from studio.ml.export.pipeline import write_bundle

    return write_bundle(source, options, folder)


ONNX_BUNDLE = ExportTargetSpec(
    name=ONNX_BUNDLE_TARGET,
    title="ONNX deployment bundle",
    description="model.onnx checked against torch on held-out images, with a runtime, "
    "predict.py, serve.py and a self-test (runs with onnxruntime, without Studio)",
    export=_export_onnx_bundle,
)


def export_targets() -> dict[str, ExportTargetSpec]:
    """Every target of the active plugins by name, Studio's bundle first; an entry with a
    taken name is left out and logged."""
    found: dict[str, ExportTargetSpec] = {}
    for target in plugins().collect("studio_export_targets"):
        if not isinstance(target, ExportTargetSpec) or target.name in found:
            log.warning(
                "export target %r (from plugin %s) is not an ExportTargetSpec or its name is "
                "taken; left out",
                getattr(target, "name", target),
                plugins().owner(target),
            )
            continue
        found[target.name] = target
    return found


def get_target(name: str) -> ExportTargetSpec:
    targets = export_targets()
    try:
        return targets[name]
    except KeyError:
        raise ExportError(
            f"unknown export target {name!r}; known targets: {', '.join(targets)}"
        ) from None


def export_to(source: ExportSource, options: ExportOptions, out: Path) -> ExportReport:
    """Export `source` with the target `options.target` to the folder OUT (and OUT.zip)."""
    from studio.core.staging import recover_leftovers, staged_output
    from studio.ml.export import bundle_writer as writer

    started = time.perf_counter()
    target = get_target(options.target)
    out = Path(out).absolute()
    zip_path = writer.zip_path_of(out)
    recover_leftovers(out)
    recover_leftovers(zip_path)
    writer.check_target(out, options.overwrite)
    if options.zip and zip_path.exists() and not options.overwrite:
        raise ExportError(f"{zip_path}: exists; choose another name or overwrite it (--overwrite)")
    log.info(
        "exporting %s (%s, %s) as %s",
        source.description,
        source.checkpoint_name,
        source.task,
        target.title,
    )
    with staged_output(out) as staged:
        with plugins().guard(target, "export"):
            written = target.export(source, options, staged.make_folder())
        writer.publish(staged, options.overwrite)
    written_zip = writer.write_zip(out, zip_path) if options.zip else None
    log.info("%s written to %s", target.title, out)
    seconds = round(time.perf_counter() - started, 3)
    return ExportReport(
        out,
        written_zip,
        written.manifest,
        written.parity,
        written.quantization,
        seconds,
        target.name,
    )
