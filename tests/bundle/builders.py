"""Bundles built by hand for the runtime's tests, independent of Studio's exporter.

A tiny torch classifier (conv + linear on 16×16) and a tiny "detector" (fixed boxes moved and
scored by the image's channel means, optionally with masks) are exported to ONNX with the
TorchScript exporter and laid out as docs/bundle.md specifies: manifest.json, model.onnx,
studio_bundle/ (a copy of studio/bundle/*.py), the launchers, self-test inputs with the torch
module's outputs on the bundle's own pre-processing, and every file's sha256.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

import studio.bundle
from studio.bundle import preprocess, sha256_file

BUNDLE_SOURCE = Path(studio.bundle.__file__).parent
TEMPLATES = BUNDLE_SOURCE / "templates"
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CLASSES = ("cat", "dog", "bird")
RUNTIME_PACKAGES = ("onnxruntime", "numpy", "pillow")


class TinyClassifier(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(4, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images).mean(dim=(2, 3)))


class TinyDetector(nn.Module):
    """Four boxes (fractions of the image, shifted by its red mean) scored by its channel means.

    Boxes 0 and 1 overlap heavily with the same label (NMS keeps one), box 2 overlaps them with
    another label (kept), box 3 scores low (below the threshold).
    """

    def __init__(self, with_masks: bool = False) -> None:
        super().__init__()
        self.with_masks = with_masks
        fractions = [[0.1, 0.1, 0.5, 0.5], [0.12, 0.1, 0.52, 0.5], [0.1, 0.12, 0.5, 0.5]]
        self.register_buffer("fractions", torch.tensor([*fractions, [0.6, 0.6, 0.9, 0.9]]))
        self.register_buffer("labels", torch.tensor([1, 1, 2, 1], dtype=torch.int64))
        self.register_buffer(
            "weights", torch.tensor([[2.0, 1, 0], [1.5, 1, 0], [1, 2, 0], [-4, -4, -4]])
        )
        self.register_buffer("bias", torch.tensor([1.0, 0.5, 1.0, -1.0]))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        shape = torch._shape_as_tensor(image)
        scale = shape[[2, 1, 2, 1]].to(torch.float32)
        means = image.mean(dim=(1, 2))
        boxes = (self.fractions + 0.05 * means[0]) * scale
        scores = torch.sigmoid(self.weights @ means + self.bias)
        if not self.with_masks:
            return boxes, self.labels, scores
        probability = torch.sigmoid((image.mean(dim=0) - 0.5) * 8.0)
        masks = probability[None, None].repeat(4, 1, 1, 1)
        return boxes, self.labels, scores, masks


@dataclass
class BuiltBundle:
    folder: Path
    module: nn.Module
    manifest: dict[str, Any]
    inputs: list[Path]


def classification_manifest(classes: tuple[str, ...] = CLASSES, size: int = 16) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "task": "classification",
        "created_at": "2026-01-01T00:00:00Z",
        "classes": [{"index": i, "id": 10 + i, "name": name} for i, name in enumerate(classes)],
        "model": {
            "file": "model.onnx",
            "opset": 17,
            "inputs": [{"name": "images", "shape": ["batch", 3, size, size], "dtype": "float32"}],
            "outputs": ["logits"],
            "dynamic_batch": True,
            "architecture": "tiny-classifier",
            "int8": False,
        },
        "input": {
            "layout": "NCHW",
            "color_order": "RGB",
            "size": [size, size],
            "resize": "stretch",
            "interpolation": "bilinear",
            "scale": 1 / 255,
            "mean": IMAGENET_MEAN,
            "std": IMAGENET_STD,
        },
        "preprocess": [
            {"op": "load_rgb", "exif_transpose": True},
            {"op": "resize", "size": [size, size], "mode": "stretch", "interpolation": "bilinear"},
            {"op": "to_float", "scale": 1 / 255},
            {"op": "normalize", "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
            {"op": "to_chw"},
        ],
        "output": {"kind": "logits"},
        "postprocess": {"op": "softmax", "top_k": 3},
        "files": {},
    }


def detection_manifest(with_masks: bool = False, nms: str = "manifest") -> dict[str, Any]:
    outputs = ["boxes", "labels", "scores"] + (["masks"] if with_masks else [])
    return {
        "schema_version": 1,
        "task": "segmentation" if with_masks else "detection",
        "created_at": "2026-01-01T00:00:00Z",
        "classes": [
            {"index": 0, "id": 1, "name": "circle"},
            {"index": 1, "id": 2, "name": "square"},
        ],
        "model": {
            "file": "model.onnx",
            "opset": 17,
            "inputs": [{"name": "image", "shape": [3, "height", "width"], "dtype": "float32"}],
            "outputs": outputs,
            "dynamic_batch": False,
            "architecture": "tiny-detector",
            "int8": False,
        },
        "input": {"layout": "CHW", "color_order": "RGB", "scale": 1 / 255},
        "preprocess": [
            {"op": "load_rgb", "exif_transpose": True},
            {"op": "to_float", "scale": 1 / 255},
            {"op": "to_chw"},
        ],
        "output": {"kind": "detections"},
        "postprocess": {
            "op": "detections",
            "score_threshold": 0.3,
            "nms": nms,
            "iou_threshold": 0.5,
            "max_detections": 100,
            "label_offset": 1,
            "mask_threshold": 0.5,
        },
        "files": {},
    }


def write_test_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """PNG photographs-like images of varied sizes (seeded noise over a colour gradient)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        width, height = 20 + 4 * index, 18 + 3 * index
        gradient = np.linspace(0, 180, width)[None, :, None] * np.array([1.0, 0.5, 0.2])
        pixels = np.clip(gradient + rng.integers(0, 75, (height, width, 3)), 0, 255)
        path = folder / f"{index:03d}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def torch_outputs(module: nn.Module, array: np.ndarray, task: str) -> dict[str, np.ndarray]:
    """The torch module's outputs, named like the ONNX graph's, for one preprocessed array."""
    with torch.no_grad():
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if task in ("classification", "multilabel"):
            return {"logits": module(tensor[None]).numpy()}
        values = module(tensor)
    names = ("boxes", "labels", "scores", "masks")
    return {name: value.numpy() for name, value in zip(names, values, strict=False)}


def build_classification_bundle(folder: Path, seed: int = 0) -> BuiltBundle:
    torch.manual_seed(seed)
    module = TinyClassifier(len(CLASSES)).eval()
    manifest = classification_manifest()
    folder.mkdir(parents=True)
    _export(
        module,
        (torch.zeros(1, 3, 16, 16),),
        str(folder / "model.onnx"),
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
    )
    return _finish(folder, module, manifest)


def build_detection_bundle(
    folder: Path, with_masks: bool = False, nms: str = "manifest"
) -> BuiltBundle:
    module = TinyDetector(with_masks).eval()
    manifest = detection_manifest(with_masks, nms)
    folder.mkdir(parents=True)
    _export(
        module,
        (torch.zeros(3, 24, 20),),
        str(folder / "model.onnx"),
        input_names=["image"],
        output_names=manifest["model"]["outputs"],
        dynamic_axes={"image": {1: "height", 2: "width"}},
    )
    return _finish(folder, module, manifest)


def _export(module: nn.Module, example: tuple, path: str, **options: Any) -> None:
    """The TorchScript exporter, as Studio's export uses it, without its deprecation notice."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, example, path, dynamo=False, opset_version=17, **options)


def _finish(folder: Path, module: nn.Module, manifest: dict[str, Any]) -> BuiltBundle:
    runtime = folder / "studio_bundle"
    runtime.mkdir()
    for source in sorted(BUNDLE_SOURCE.glob("*.py")):
        shutil.copy2(source, runtime / source.name)
    for name in ("predict.py", "serve.py", "requirements.txt"):
        shutil.copy2(TEMPLATES / name, folder / name)
    (folder / "README.md").write_text(f"# {manifest['model']['architecture']}\n", encoding="utf-8")
    inputs = write_test_images(folder / "selftest" / "inputs", 3)
    cases = []
    for path in inputs:
        array, _size = preprocess(path, manifest["preprocess"])
        outputs = torch_outputs(module, array, manifest["task"])
        outputs.pop("masks", None)
        cases.append(
            {
                "input": path.relative_to(folder).as_posix(),
                "outputs": {name: value.tolist() for name, value in outputs.items()},
            }
        )
    expected = {
        "tolerances": {"logits": 1e-4, "iou": 0.99, "score": 1e-3},
        "classes": [entry["name"] for entry in manifest["classes"]],
        "preprocess": manifest["preprocess"],
        "cases": cases,
    }
    (folder / "selftest" / "expected.json").write_text(json.dumps(expected), encoding="utf-8")
    write_manifest(folder, manifest)
    return BuiltBundle(folder, module, manifest, inputs)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Record the sha256 of every file but manifest.json, then write the manifest."""
    manifest["files"] = {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "manifest.json" and "__pycache__" not in path.parts
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def expected_cases(folder: Path) -> list[dict[str, Any]]:
    cases = json.loads((folder / "selftest" / "expected.json").read_text())["cases"]
    return [
        {
            "input": folder / case["input"],
            "outputs": {k: np.asarray(v) for k, v in case["outputs"].items()},
        }
        for case in cases
    ]


# --- bundles edited after export ------------------------------------------------------------


def edit_manifest(folder: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change manifest.json as a person would by hand (its own hash is nowhere)."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def rename_second_class(manifest: dict[str, Any]) -> None:
    manifest["classes"][1]["name"] = "wolf"


def change_mean_and_std(manifest: dict[str, Any]) -> None:
    manifest["preprocess"][3].update(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])


def make_older(folder: Path) -> None:
    """Rewrite the bundle as if exported before expected.json recorded classes and preprocess."""
    expected_path = folder / "selftest" / "expected.json"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    del expected["classes"], expected["preprocess"]
    expected_path.write_text(json.dumps(expected), encoding="utf-8")
    write_manifest(folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8")))


# --- a fresh virtual environment holding only the bundle's three dependencies ---------------


def clean_environment() -> dict[str, str]:
    """os.environ without anything that would let a child Python find Studio or this venv."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    environment["PYTHONNOUSERSITE"] = "1"
    return environment


def create_fresh_venv(root: Path) -> Path:
    """A `venv --without-pip` whose only third-party packages are onnxruntime, numpy, pillow
    (symlinked from this environment through a .pth file) plus what onnxruntime needs to import.
    Returns its python executable."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages = Path(_ask(python, "import sysconfig; print(sysconfig.get_path('purelib'))"))
    linked = root / "linked"
    linked.mkdir()
    (site_packages / "bundle_deps.pth").write_text(f"{linked}\n", encoding="utf-8")
    for distribution in RUNTIME_PACKAGES:
        _link_distribution(distribution, linked)
    _add_missing_imports(python, linked)
    return python


def _ask(python: Path, code: str) -> str:
    done = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=python.parent,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.strip()


def _link_distribution(name: str, linked: Path) -> None:
    """Symlink every top-level entry of an installed distribution (package, .libs, dist-info)."""
    distribution = importlib.metadata.distribution(name)
    base = Path(distribution.locate_file(""))
    tops = {Path(str(file)).parts[0] for file in distribution.files or []}
    for top in sorted(tops):
        source = base / top
        if top in ("..", "bin", "__pycache__") or not source.exists() or (linked / top).exists():
            continue
        (linked / top).symlink_to(source, target_is_directory=source.is_dir())


def _add_missing_imports(python: Path, linked: Path) -> None:
    """Import the runtime in the new venv; link each module it says is missing, until it imports."""
    check = "import onnxruntime, numpy, PIL.Image; onnxruntime.InferenceSession"
    providers = importlib.metadata.packages_distributions()
    for _attempt in range(10):
        done = subprocess.run(
            [str(python), "-c", check],
            capture_output=True,
            text=True,
            env=clean_environment(),
            cwd=linked,
        )
        if done.returncode == 0:
            return
        missing = re.search(r"No module named '([^'.]+)", done.stderr)
        if missing is None or missing.group(1) not in providers:
            raise RuntimeError(f"the runtime does not import in the fresh venv:\n{done.stderr}")
        for distribution in providers[missing.group(1)]:
            _link_distribution(distribution, linked)
    raise RuntimeError("the runtime's dependencies did not resolve in 10 tries")


# --- images whose header claims more pixels than the file holds -----------------------------


def image_claiming(width: int, height: int, image_format: str) -> bytes:
    """A tiny PNG or JPEG made by Pillow (8×8) whose header then claims `width`×`height`.

    Decoding it would allocate the claimed size; a server must refuse it from the header.
    """
    stream = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 160, 40)).save(stream, format=image_format)
    data = bytearray(stream.getvalue())
    size = struct.pack(">II", width, height)
    if image_format == "PNG":  # IHDR: length, type, width, height, ..., CRC of type + data
        data[16:24] = size
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    else:  # JPEG: walk the marker segments to the start of frame (height, then width)
        offset = 2
        while data[offset + 1] not in (0xC0, 0xC1, 0xC2):
            offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
        data[offset + 5 : offset + 9] = struct.pack(">HH", height, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(bytes(data))) as claimed:
            assert claimed.size == (width, height), "the header edit did not take"
    return bytes(data)
