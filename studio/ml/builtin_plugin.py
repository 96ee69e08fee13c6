"""Studio's own architectures and export target, registered as a default plugin through the
same hooks as any plugin's.

Imports no torch: the CLI and the window list architectures through this module, and each
entry imports torch only when it builds a model or exports one.
"""

from __future__ import annotations

from studio.ml.architectures import ArchitectureSpec, builtin_architectures
from studio.ml.export.targets import ONNX_BUNDLE, ExportTargetSpec
from studio.plugins.markers import hookimpl


@hookimpl
def studio_model_architectures() -> list[ArchitectureSpec]:
    return builtin_architectures()


@hookimpl
def studio_export_targets() -> list[ExportTargetSpec]:
    return [ONNX_BUNDLE]
