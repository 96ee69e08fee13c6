"""What a label-format plugin needs, in one public place.

A format plugin subclasses `LabelFormat`; its `read` returns a `LabelSet` of `ImageLabels`, each
holding `LabelRecord`s, and its `write` receives an `ExportSet` and an `ExportTarget`. The
careful-reading helpers are Studio's own (`load_json` refuses huge files, NaN and broken syntax
with a `LabelImportError` naming the file), so a plugin's errors read like Studio's.

These live in `studio.core.formats`; a plugin imports them from here, so the core modules can
move without breaking plugins.
"""

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    IMAGE_SUFFIXES,
    Control,
    expect,
    files_below,
    head,
    load_json,
    safe_relative_name,
)
from studio.core.formats.registry import LabelFormat

__all__ = [
    "IMAGE_SUFFIXES",
    "AnnotationKind",
    "Control",
    "ExportItem",
    "ExportSet",
    "ExportTarget",
    "ImageLabels",
    "LabelFormat",
    "LabelImportError",
    "LabelRecord",
    "LabelSet",
    "expect",
    "files_below",
    "head",
    "load_json",
    "safe_relative_name",
]
