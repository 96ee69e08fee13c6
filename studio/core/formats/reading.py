"""Careful reading of label files, shared by every format.

Label files come from other tools and from strangers, so each helper here turns whatever can
go wrong (broken syntax, NaN, entity bombs, paths escaping the dataset folder, huge files)
into a `LabelImportError` that names the file, the record and the problem.
"""

from __future__ import annotations

import gc
import json
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from studio.core.errors import LabelImportError, OperationCancelledError
from studio.core.formats.model import Progress

MAX_LABEL_FILE_BYTES = 2 * 1024**3
MAX_TEXT_FILE_BYTES = 256 * 1024**2
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
SPLIT_NAMES = ("train", "val", "test")
SPLIT_ALIASES = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
}


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a label file becomes (or is made from) millions of
    small objects.

    Reading or writing a 100,000-annotation file allocates far more containers than the
    collector's thresholds, so it would run hundreds of times over a heap that only grows and
    holds no cycles; pausing it made the COCO benchmark rows markedly faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Control:
    """Progress reports and cancellation for one long operation.

    `check()` raises `OperationCancelledError` once the cancel event is set; readers, the importer
    and writers call it in their loops so a cancel takes effect within one record.
    """

    def __init__(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> None:
        self._progress = progress
        self._cancel = cancel

    def check(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise OperationCancelledError("cancelled: nothing was changed")

    def step(self, done: int, total: int) -> None:
        """Report progress (at most every 256 steps and at the end) and honour a cancel."""
        if done % 256 and done != total:
            return
        self.check()
        if self._progress is not None:
            self._progress(done, total)


class LeftOut:
    """What a reader does not import, counted so that the report names it: nothing a reader
    leaves out is dropped silently.

    Each `heading` says what was left out ("CVAT group_id on shapes other than polygons was
    left out"); its warning lists the names counted under it, as COCO's left-out fields are
    listed: "heading: box ×2, mask ×1".
    """

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}

    def add(self, heading: str, name: str) -> None:
        self._counts.setdefault(heading, Counter())[name] += 1

    def warnings(self) -> list[str]:
        return [
            f"{heading}: " + ", ".join(f"{name} ×{n:,}" for name, n in sorted(counts.items()))
            for heading, counts in self._counts.items()
        ]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid number")


def _size_checked(path: Path, limit: int) -> int:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise LabelImportError(path, f"cannot read the file ({error.strerror or error})") from None
    if size > limit:
        raise LabelImportError(path, f"the file is {size:,} bytes, more than {limit:,}")
    return size


def read_bytes(path: Path, limit: int = MAX_LABEL_FILE_BYTES) -> bytes:
    _size_checked(path, limit)
    try:
        return path.read_bytes()
    except OSError as error:
        raise LabelImportError(path, f"cannot read the file ({error.strerror or error})") from None


def read_text(path: Path, limit: int = MAX_TEXT_FILE_BYTES) -> str:
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LabelImportError(path, "the text is not UTF-8", f"line {line}") from None


def load_json(path: Path, limit: int = MAX_LABEL_FILE_BYTES) -> Any:
    """Parse a JSON file; NaN and Infinity are refused, errors name the line."""
    data = read_bytes(path, limit)
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise LabelImportError(
            path, f"not valid JSON ({error.msg})", f"line {error.lineno} column {error.colno}"
        ) from None
    except UnicodeDecodeError:
        raise LabelImportError(path, "not valid JSON (the text is not UTF-8)") from None
    except ValueError as error:  # a refused constant
        raise LabelImportError(path, f"not valid JSON ({error})") from None
    except RecursionError:
        raise LabelImportError(path, "not valid JSON (nested too deeply)") from None


def load_xml(path: Path, limit: int = MAX_TEXT_FILE_BYTES) -> Any:
    """Parse an XML file with defusedxml: DTDs, entities and external references are refused."""
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeTree

    data = read_bytes(path, limit)
    try:
        return SafeTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise LabelImportError(path, f"refused unsafe XML ({type(error).__name__})") from None
    except SafeTree.ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise LabelImportError(
            path, f"not valid XML ({error})", f"line {line} column {column + 1}"
        ) from None
    except LookupError as error:  # an unknown encoding in the XML declaration
        raise LabelImportError(path, f"not valid XML ({error})") from None


def number(value: Any, file: Path, where: str, what: str) -> float:
    """A finite number from a label file (bools and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LabelImportError(file, f"{what} {value!r} is not a number", where)
    result = float(value)
    if not math.isfinite(result):
        raise LabelImportError(file, f"{what} {value!r} is not a finite number", where)
    return result


def text_number(value: str, file: Path, where: str, what: str) -> float:
    """A finite number written as text (XML, YOLO, CSV)."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise LabelImportError(file, f"{what} {value!r} is not a number", where) from None
    if not math.isfinite(result):
        raise LabelImportError(file, f"{what} {value!r} is not a finite number", where)
    return result


def whole_number(value: Any, file: Path, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise LabelImportError(file, f"{what} {value!r} is not a whole number", where)
    return value


def expect(value: Any, kind: type | tuple[type, ...], file: Path, where: str, what: str) -> Any:
    """`value` if it is of `kind`, else a clear error (JSON objects, lists, strings)."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = {dict: "an object", list: "a list", str: "a string"}
        wanted = names.get(kind, getattr(kind, "__name__", str(kind)))
        raise LabelImportError(file, f"{what} should be {wanted}, got {value!r:.80}", where)
    return value


def safe_relative_name(name: str, file: Path, where: str) -> PurePosixPath:
    """A file name from a label file as a relative path that stays inside its dataset.

    Absolute paths, drive letters and `..` parts are refused: a label file must not make
    Studio read (or, on export, write) files outside the folder it came with.
    """
    if not isinstance(name, str) or not name.strip():
        raise LabelImportError(file, f"the image file name {name!r} is empty or not text", where)
    if "\x00" in name:
        raise LabelImportError(file, f"the image file name {name!r} contains a NUL byte", where)
    posix = name.replace("\\", "/")
    if posix.startswith("/") or PureWindowsPath(name).drive:
        raise LabelImportError(
            file, f"the image file name {name!r} is an absolute path; it must be relative", where
        )
    path = PurePosixPath(posix)
    if ".." in path.parts:
        raise LabelImportError(
            file, f"the image file name {name!r} points outside the dataset folder", where
        )
    return path


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path` lies in the folder `root` (or is it), both resolved."""
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def find_image(relative: PurePosixPath, roots: Iterable[Path]) -> Path | None:
    """The first existing file `root/relative` (then `root/basename`) over `roots`."""
    roots = list(dict.fromkeys(roots))
    for candidate in (relative, PurePosixPath(relative.name)):
        for root in roots:
            path = root.joinpath(*candidate.parts)
            try:
                if path.is_file():
                    return path
            except OSError:  # a name too long for the file system, a permission error
                continue
    return None


def split_of_name(name: str) -> str | None:
    """The split a file or folder name stands for: "instances_val2017.json" → "val"."""
    stem = name.lower().split(".")[0]
    for token in stem.replace("-", "_").split("_"):
        word = token.rstrip("0123456789")
        if word in SPLIT_ALIASES:
            return SPLIT_ALIASES[word]
    return None


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES


def files_below(folder: Path, wanted: Callable[[str], bool]) -> list[Path]:
    """Every visible file below `folder` whose name is `wanted`, in sorted order."""
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        found.extend(
            Path(directory, name)
            for name in sorted(names)
            if not name.startswith(".") and wanted(name)
        )
    return found


def images_below(folder: Path) -> list[Path]:
    """Every visible image file below `folder`, in sorted order."""
    return files_below(folder, is_image_name)


def flat_points(points: Sequence[Any], file: Path, where: str) -> list[float]:
    """`[[x, y], ...]` as a flat `[x1, y1, x2, y2, ...]`, every value a finite number."""
    flat: list[float] = []
    for point in expect(points, list, file, where, "points"):
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise LabelImportError(file, f"a point should be [x, y], got {point!r:.80}", where)
        flat.extend(number(value, file, where, "coordinate") for value in point)
    return flat


def head(path: Path, size: int = 65536) -> str:
    """The start of a file as text, for format detection ("" if unreadable)."""
    try:
        with open(path, "rb") as stream:
            return stream.read(size).decode("utf-8-sig", errors="replace")
    except OSError:
        return ""
