"""Fuzzing every parser: a mutated label file either imports valid objects or raises Studio's
own LabelImportError, never anything else (no KeyError, TypeError, database error, crash).

Each dataset in tests/data/formats/ is copied, one of its label files is mutated by
hypothesis (structure-aware for JSON, XML, and line-based text; byte-level for anything),
and the copy is imported into a fresh project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.api import AnnotationKind, LabelImportError, Project
from studio.core.formats.reading import is_image_name
from studio.core.geometry import normalize_geometry
from tests.core.formats.helpers import FORMAT_FIXTURES

FIXTURES = sorted(folder for folder in FORMAT_FIXTURES.iterdir() if folder.is_dir())
FORMAT_OF_FIXTURE = {"yolo_seg": "yolo"}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["../x.jpg", "/etc/passwd", "a.jpg", "", "cat", "rectangle", "polygon"]),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
tokens = st.sampled_from(
    ["", "-1", "0", "1e309", "nan", "inf", "99999999", "0.5", "x", "../", "<", "&e;", '"', ",", " "]
)


def _label_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not is_image_name(p.name))


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) to a value inside a JSON document."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(document: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    container = document
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = new
    return document


def _mutate_json(data: st.DataObject, text: str) -> bytes:
    try:
        document = json.loads(text)
    except ValueError:
        return text.encode()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(_paths(document)), label="json path")
        document = _replace(document, path, data.draw(json_values, label="new value"))
    return json.dumps(document).encode()


def _mutate_text(data: st.DataObject, text: str) -> bytes:
    """Replace some whitespace- or comma-separated tokens (YOLO lines, CSV cells, XML values)."""
    pieces = text.replace(",", " , ").replace('"', ' " ').split(" ")
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        index = data.draw(st.integers(0, len(pieces) - 1), label="token")
        pieces[index] = data.draw(tokens, label="new token")
    return " ".join(pieces).replace(" , ", ",").replace(' " ', '"').encode()


def _mutate_bytes(data: st.DataObject, raw: bytes) -> bytes:
    choice = data.draw(st.sampled_from(["truncate", "flip", "insert", "replace"]), label="how")
    if choice == "replace" or not raw:
        return data.draw(st.binary(max_size=200), label="bytes")
    position = data.draw(st.integers(0, len(raw) - 1), label="position")
    if choice == "truncate":
        return raw[:position]
    if choice == "flip":
        return raw[:position] + bytes([raw[position] ^ 0xFF]) + raw[position + 1 :]
    return raw[:position] + data.draw(st.binary(min_size=1, max_size=20)) + raw[position:]


def _mutated(data: st.DataObject, file: Path) -> bytes:
    raw = file.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    way = data.draw(st.sampled_from(["structure", "text", "bytes"]), label="strategy")
    if way == "structure" and file.suffix == ".json":
        return _mutate_json(data, text)
    if way in ("structure", "text"):
        return _mutate_text(data, text)
    return _mutate_bytes(data, raw)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[folder.name for folder in FIXTURES])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_files_import_or_raise_import_error(
    fixture: Path, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    dataset = work / fixture.name
    shutil.copytree(fixture, dataset)
    # Class folders hold no label file: their images are what gets damaged.
    candidates = _label_files(dataset) or sorted(p for p in dataset.rglob("*") if p.is_file())
    victim = data.draw(st.sampled_from(candidates), label="file")
    victim.write_bytes(_mutated(data, victim))
    label_format = FORMAT_OF_FIXTURE.get(fixture.name, fixture.name)
    with Project.create(work / "fuzz.studio") as project:
        try:
            project.import_labels(dataset, format=label_format)
        except LabelImportError:
            return
        names = {label_class.name for label_class in project.classes()}
        for item in project.items():
            for annotation in project.annotations(item.id):
                assert annotation.label in names
                kind = AnnotationKind(annotation.kind)
                stored = normalize_geometry(kind, annotation.geometry, item.width, item.height)
                assert stored == annotation.geometry
