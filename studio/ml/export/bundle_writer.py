"""Writing a bundle folder: built complete in a staging folder beside the target, then
renamed into place, so the target is either the whole verified bundle or untouched (see
`studio.core.staging`, which also cleans up after an export that was killed).

Layout: model.onnx, manifest.json, studio_bundle/ (the runtime, copied from studio/bundle),
predict.py, serve.py, requirements.txt (from studio/bundle/templates), selftest/inputs/*.png
with selftest/expected.json, README.md.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

import studio.bundle
from studio.core.errors import ExportError
from studio.core.object_store import file_sha256, fsync_directory
from studio.core.staging import StagedOutput, staged_output

RUNTIME_FOLDER = "studio_bundle"
MANIFEST_NAME = "manifest.json"
SELFTEST_INPUTS = "selftest/inputs"
SELFTEST_EXPECTED = "selftest/expected.json"
SELFTEST_SIDE = 640  # selftest images are stored at most this many pixels a side


def runtime_source() -> Path:
    return Path(studio.bundle.__file__).resolve().parent


def check_target(out: Path, overwrite: bool) -> None:
    """Refuse a target that holds something (a file, a non-empty folder) unless `overwrite`."""
    if out.is_file() or out.is_symlink():
        if not overwrite:
            raise ExportError(f"{out}: a file is in the way of the bundle folder (use overwrite)")
    elif out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ExportError(
            f"{out}: the folder is not empty; choose another or overwrite it (--overwrite)"
        )
    if not out.parent.is_dir():
        raise ExportError(f"{out.parent}: the folder to export into does not exist")


def copy_runtime(folder: Path) -> None:
    """The runtime package and the entry-point templates (predict.py, serve.py, ...)."""
    source = runtime_source()
    runtime = folder / RUNTIME_FOLDER
    runtime.mkdir()
    for module in sorted(source.glob("*.py")):
        shutil.copyfile(module, runtime / module.name)
    templates = source / "templates"
    if not templates.is_dir():
        raise ExportError(f"{templates}: the bundle templates are missing from this Studio")
    for template in sorted(templates.iterdir()):
        if template.is_file() and template.suffix != ".pyc":
            shutil.copyfile(template, folder / template.name)


def selftest_image(source: Path, target: Path) -> None:
    """The image upright, in RGB, no larger than SELFTEST_SIDE a side, as a PNG."""
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((SELFTEST_SIDE, SELFTEST_SIDE), Image.Resampling.BILINEAR)
    image.save(target, format="PNG")


def selftest_inputs_folder(folder: Path) -> Path:
    path = folder / SELFTEST_INPUTS
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class SelftestCase:
    input: str  # path inside the bundle
    outputs: Mapping[str, np.ndarray]


def write_selftest(
    folder: Path,
    cases: Sequence[SelftestCase],
    tolerances: Mapping,
    class_names: Sequence[str],
    steps: Sequence[Mapping[str, Any]],
) -> None:
    """selftest/expected.json: the cases, and the class names and pre-processing steps the
    model was exported with, which the self-test compares with manifest.json."""
    expected = {
        "tolerances": dict(tolerances),
        "classes": list(class_names),
        "preprocess": [dict(step) for step in steps],
        "cases": [
            {"input": case.input, "outputs": {k: v.tolist() for k, v in case.outputs.items()}}
            for case in cases
        ],
    }
    write_json(folder / SELFTEST_EXPECTED, expected)


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _bundle_files(folder: Path) -> list[tuple[Path, str]]:
    """(file, POSIX path inside `folder`) of every file but Python's caches, sorted."""
    return [
        (path, path.relative_to(folder).as_posix())
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of the bundle but the manifest, by POSIX path inside it."""
    return {
        name: file_sha256(path) for path, name in _bundle_files(folder) if name != MANIFEST_NAME
    }


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _sync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as stream:
                os.fsync(stream.fileno())
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        fsync_directory(path)


def publish(staged: StagedOutput, overwrite: bool) -> None:
    """Move the finished bundle to its target; an old target goes only once it is there."""
    _sync_tree(staged.output)
    check_target(staged.destination, overwrite)
    staged.publish()


def zip_path_of(out: Path) -> Path:
    return out.with_name(out.name + ".zip")


def write_zip(folder: Path, target: Path) -> Path:
    """`target` (OUT.zip) holding the bundle in a top-level folder named like it."""
    with staged_output(target) as staged:
        with zipfile.ZipFile(staged.output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, relative in _bundle_files(folder):
                archive.write(path, f"{folder.name}/{relative}")
        with open(staged.output, "rb") as stream:
            os.fsync(stream.fileno())
        staged.publish()
    return target
