"""The list of label formats Studio reads and writes, open to plugins.

A format is a `LabelFormat`: a name, a `detect` that scores how much a path looks like the
format, a `read` that returns a `LabelSet`, and a `write` that writes an `ExportSet`. Formats
come from plugins' `studio_label_formats` hook (Studio's own through its default plugin); this
module reads them from the source `studio.plugins` installs.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.model import ExportSet, LabelSet
from studio.core.formats.reading import Control

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from studio.core.formats.exporter import ExportTarget

BUILTIN_MODULES = (
    "coco",
    "yolo",
    "yolo_obb",
    "voc",
    "labelme",
    "label_studio",
    "cvat",
    "class_folders",
    "csv_labels",
    "csv_boxes",
)


class LabelFormat:
    """Base class of a label format; subclasses set the class attributes and the methods."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    # What `write` can store; other annotations are skipped and counted in the export report.
    kinds: ClassVar[frozenset[AnnotationKind]] = frozenset()
    # File suffixes the import dialog offers ("" where the format is a folder).
    suffixes: ClassVar[tuple[str, ...]] = ()

    def detect(self, path: Path) -> float:
        """How much `path` (a file or folder) looks like this format, from 0 (not) to 1."""
        return 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        raise NotImplementedError(f"the {self.title} format cannot be imported")

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        raise NotImplementedError(f"the {self.title} format cannot be exported")


FormatSource = Callable[[], Iterable[LabelFormat]]


def builtin_formats() -> list[LabelFormat]:
    """Studio's own formats, in their usual order (the default plugin returns these)."""
    return [
        importlib.import_module(f"studio.core.formats.{module}").FORMAT
        for module in BUILTIN_MODULES
    ]


_source: FormatSource = builtin_formats


def use_source(source: FormatSource) -> None:
    """Where the formats come from: the process's plugins (`studio.plugins` sets this to its
    `studio_label_formats` hook), else Studio's own formats alone."""
    global _source
    _source = source


def all_formats() -> list[LabelFormat]:
    """The built-in formats in their usual order, then the plugins' by name.

    An entry without a proper name, or with a name already taken, is left out and logged.
    """
    formats: dict[str, LabelFormat] = {}
    for label_format in _source():
        name = getattr(label_format, "name", "")
        if not isinstance(name, str) or not name.isidentifier():
            log.warning("a label format needs a name like 'coco', got %r; left out", name)
        elif name in formats:
            log.warning("two label formats are named %r; the first is kept", name)
        else:
            formats[name] = label_format

    def rank(label_format: LabelFormat) -> tuple[int, str]:
        name = label_format.name
        return (
            BUILTIN_MODULES.index(name) if name in BUILTIN_MODULES else len(BUILTIN_MODULES),
            name,
        )

    return sorted(formats.values(), key=rank)


def get_format(name: str) -> LabelFormat:
    wanted = name.lower().replace("-", "_")
    formats = all_formats()
    for label_format in formats:
        if label_format.name == wanted:
            return label_format
    known = ", ".join(sorted(f.name for f in formats))
    raise LabelImportError(name, f"unknown label format; known formats: {known}")


def detect_format(path: Path) -> LabelFormat:
    """The format `path` looks most like; a clear error when none fits."""
    scored = []
    for label_format in all_formats():
        try:
            score = label_format.detect(path)
        except (OSError, ValueError, UnicodeDecodeError):
            score = 0.0
        if score > 0:
            scored.append((score, label_format.name, label_format))
    if not scored:
        names = ", ".join(f.name for f in all_formats())
        raise LabelImportError(
            path, f"cannot tell the label format; name it with --format (one of: {names})"
        )
    return max(scored, key=lambda entry: entry[0])[2]
