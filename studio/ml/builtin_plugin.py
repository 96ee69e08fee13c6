"""Studio's own architectures, export target and augmentations, registered as a default
plugin through the same hooks as any plugin's.

Imports no torch: the CLI and the window list architectures through this module, and each
entry imports torch only when it builds a model, a transform or an export.
"""

from __future__ import annotations

from studio.ml.architectures import ArchitectureSpec, builtin_architectures
from studio.plugins.markers import hookimpl


@hookimpl
def studio_model_architectures() -> list[ArchitectureSpec]:
    return builtin_architectures()
