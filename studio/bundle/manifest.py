"""The bundle's `manifest.json`: reading and checking it, and the error every module raises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST_SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
TASKS = ("classification", "multilabel", "detection", "segmentation")
DETECTION_TASKS = ("detection", "segmentation")
_REQUIRED = ("schema_version", "task", "classes", "model", "preprocess", "postprocess", "files")


class BundleError(Exception):
    """A bundle, image or request cannot be used; the message names the file and the problem."""


def read_manifest(folder: Path) -> dict[str, Any]:
    """The checked manifest of the bundle in `folder`."""
    path = Path(folder) / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{path}: missing (is {folder} a Studio bundle?)") from None
    except OSError as error:
        raise BundleError(f"{path}: cannot be read ({error})") from None
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise BundleError(f"{path}: not valid JSON ({error})") from None
    check_manifest(manifest, path)
    return manifest


def check_manifest(manifest: Any, source: Path | str = MANIFEST_NAME) -> None:
    """Refuse a manifest this runtime cannot run, saying which field is wrong."""
    if not isinstance(manifest, dict):
        raise BundleError(f"{source}: the manifest is not a JSON object")
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        raise BundleError(f"{source}: missing field(s) {', '.join(missing)}")
    version = manifest["schema_version"]
    if not isinstance(version, int) or not 1 <= version <= MANIFEST_SCHEMA_VERSION:
        raise BundleError(
            f"{source}: schema_version {version!r} is not supported by this runtime "
            f"(it reads 1 to {MANIFEST_SCHEMA_VERSION}); use the runtime shipped with the bundle"
        )
    if manifest["task"] not in TASKS:
        known = ", ".join(TASKS)
        raise BundleError(f"{source}: unknown task {manifest['task']!r} (one of {known})")
    if not isinstance(manifest["files"], dict):
        raise BundleError(f"{source}: 'files' must map file names to sha256 digests")
    model_file = model_file_name(manifest)
    if model_file not in manifest["files"]:
        raise BundleError(f"{source}: the model file {model_file} is not listed in 'files'")
    class_names(manifest, source)


def model_file_name(manifest: dict[str, Any]) -> str:
    return str(manifest["model"].get("file", "model.onnx"))


def class_names(manifest: dict[str, Any], source: Path | str = MANIFEST_NAME) -> list[str]:
    """The class names in model-output order (the `index` of each class)."""
    classes = manifest["classes"]
    if not isinstance(classes, list) or not classes:
        raise BundleError(f"{source}: 'classes' must be a non-empty list")
    ordered = sorted(classes, key=lambda entry: entry.get("index", 0))
    if [entry.get("index") for entry in ordered] != list(range(len(ordered))):
        raise BundleError(f"{source}: class indexes must be 0 to {len(ordered) - 1}, each once")
    return [str(entry["name"]) for entry in ordered]


def resize_size(steps: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The (height, width) the last resize step produces, None when the image is not resized."""
    sizes = [step["size"] for step in steps if step.get("op") == "resize"]
    if not sizes:
        return None
    height, width = sizes[-1]
    return int(height), int(width)
