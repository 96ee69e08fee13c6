"""A test plugin: an export target that writes the model as a traced TorchScript file.

Registered directly in-process tests, and through an entry point where a worker process
must load it (`tests.plugin_fixtures.install_plugin`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from studio.core.export_options import ExportOptions
from studio.ml.export.source import ExportSource
from studio.ml.export.targets import ExportedFiles, ExportTargetSpec
from studio.plugins import hookimpl

STUDIO_PLUGIN_API = 1
__version__ = "1.0"


def export_torchscript(source: ExportSource, options: ExportOptions, folder: Path) -> ExportedFiles:
    import torch

    module = source.load_module()
    example = torch.zeros(1, 3, source.input_size, source.input_size)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated, still works
        torch.jit.trace(module, example).save(str(folder / "model.pt"))
    return ExportedFiles(
        {
            "format": "torchscript",
            "file": "model.pt",
            "task": source.task,
            "classes": list(source.class_index.names),
            "input_size": source.input_size,
            "lineage": dict(source.lineage),
        }
    )


@hookimpl
def studio_export_targets() -> list[ExportTargetSpec]:
    return [
        ExportTargetSpec(
            "torchscript", "TorchScript", "a traced TorchScript module", export_torchscript
        )
    ]
