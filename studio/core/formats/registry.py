"""The list of label formats Studio reads and writes, open to plugins.

A format is a `LabelFormat`: a name, a `detect` that scores how much a path looks like the
format, a `read` that returns a `LabelSet`, and a `write` that writes an `ExportSet`. The
built-in formats register themselves when first asked for; a plugin calls
`register_format` with its own.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.model import ExportSet, LabelSet
from studio.core.formats.reading import Control

if TYPE_CHECKING:
    from studio.core.formats.exporter import ExportTarget

BUILTIN_MODULES = (
    "coco",
    "yolo",
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


_formats: dict[str, LabelFormat] = {}
_builtins_loaded = False


def register_format(label_format: LabelFormat) -> None:
    """Make a format available to import, export, detection, the CLI and the GUI."""
    if not label_format.name or not label_format.name.isidentifier():
        raise ValueError(f"a label format needs a name like 'coco', got {label_format.name!r}")
    _formats[label_format.name] = label_format


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(f"studio.core.formats.{module}")


def all_formats() -> list[LabelFormat]:
    """The built-in formats in their usual order, then the plugins' by name."""
    _load_builtins()

    def rank(label_format: LabelFormat) -> tuple[int, str]:
        name = label_format.name
        return (
            BUILTIN_MODULES.index(name) if name in BUILTIN_MODULES else len(BUILTIN_MODULES),
            name,
        )

    return sorted(_formats.values(), key=rank)


def get_format(name: str) -> LabelFormat:
    _load_builtins()
    try:
        return _formats[name.lower().replace("-", "_")]
    except KeyError:
        known = ", ".join(sorted(_formats))
        raise LabelImportError(name, f"unknown label format; known formats: {known}") from None


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
