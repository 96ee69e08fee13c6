"""Studio's own label formats, registered as a default plugin through the same hook as any
plugin's formats."""

from __future__ import annotations

from studio.core.formats.registry import LabelFormat, builtin_formats
from studio.plugins.markers import hookimpl


@hookimpl
def studio_label_formats() -> list[LabelFormat]:
    return builtin_formats()
