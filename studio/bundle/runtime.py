"""`Bundle`: a verified bundle folder (or zip) with its ONNX Runtime session, ready to predict."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .integrity import verify_files
from .manifest import (
    DETECTION_TASKS,
    MANIFEST_NAME,
    BundleError,
    class_names,
    model_file_name,
    read_manifest,
)
from .postprocess import postprocess
from .preprocess import DEFAULT_MAX_PIXELS, ImageInput, preprocess
from .safe_zip import extract_zip, is_zip
from .selftest import run_selftest

ErrorHandler = Callable[[ImageInput, BundleError], None]


class Bundle:
    """A loaded bundle. Use `Bundle.load(folder)`; a zip is unpacked into a temporary folder.

    Image files with more than `max_pixels` pixels are refused from their header.
    """

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        session: Any,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.max_pixels = max_pixels
        self.task: str = manifest["task"]
        self.classes: list[str] = class_names(manifest)
        self.session = session
        self.input_name: str = session.get_inputs()[0].name
        self.input_rank = len(session.get_inputs()[0].shape)
        self.output_names: list[str] = [output.name for output in session.get_outputs()]
        self._unpacked: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def load(
        cls, folder: Path | str, verify: bool = True, max_pixels: int = DEFAULT_MAX_PIXELS
    ) -> Bundle:
        """Read the manifest, check each file's sha256 (unless not `verify`), open the model.

        A zip is extracted with the guarded extractor (no escaping paths, size and ratio
        limits). The self-test is not run here: call `selftest()`.
        """
        folder = Path(folder)
        if is_zip(folder):
            unpacked = tempfile.TemporaryDirectory(prefix="studio-bundle-")
            try:
                root = _bundle_root(folder, extract_zip(folder, Path(unpacked.name)))
                bundle = cls._load_folder(root, verify, max_pixels)
            except BaseException:
                unpacked.cleanup()
                raise
            bundle._unpacked = unpacked
            return bundle
        if not folder.is_dir():
            raise BundleError(f"{folder}: not a bundle folder or zip")
        return cls._load_folder(folder, verify, max_pixels)

    @classmethod
    def _load_folder(cls, folder: Path, verify: bool, max_pixels: int) -> Bundle:
        manifest = read_manifest(folder)
        if verify:
            verify_files(folder, manifest)
        session = _open_session(folder / model_file_name(manifest))
        return cls(folder, manifest, session, max_pixels)

    @property
    def dynamic_batch(self) -> bool:
        first = self.session.get_inputs()[0].shape[0] if self.input_rank == 4 else 1
        return self.input_rank == 4 and not isinstance(first, int)

    def run(self, array: np.ndarray) -> dict[str, np.ndarray]:
        """The model's raw outputs by name for a preprocessed array (CHW image or NCHW batch)."""
        array = np.ascontiguousarray(array, dtype=np.float32)
        if self.input_rank == 4 and array.ndim == 3:
            array = array[None]
        elif self.input_rank == 3 and array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        try:
            values = self.session.run(None, {self.input_name: array})
        except Exception as error:  # onnxruntime raises its own exception types
            raise BundleError(
                f"{model_file_name(self.manifest)}: inference failed on an input of shape "
                f"{list(array.shape)} ({error})"
            ) from None
        return dict(zip(self.output_names, values, strict=True))

    def predict(self, image: ImageInput) -> dict[str, Any]:
        """Pre-process, run and post-process one image (a path or a PIL image)."""
        array, original_size = preprocess(image, self.manifest["preprocess"], self.max_pixels)
        result = postprocess(self.run(array), self.manifest, original_size)
        return self._with_source(result, image, original_size)

    def predict_many(
        self,
        images: Iterable[ImageInput],
        batch_size: int = 16,
        on_error: ErrorHandler | None = None,
    ) -> list[dict[str, Any]]:
        """Results in input order; classifiers with a dynamic batch run `batch_size` at a time.

        A bad image raises BundleError, or, with `on_error`, is reported to it and left out.
        """
        images = list(images)
        if self.task in DETECTION_TASKS or not self.dynamic_batch or batch_size <= 1:
            return [
                result
                for result in (self._guarded(self.predict, image, on_error) for image in images)
                if result is not None
            ]
        results = []
        for start in range(0, len(images), batch_size):
            results += self._predict_batch(images[start : start + batch_size], on_error)
        return results

    def selftest(self) -> dict[str, Any]:
        """Run the bundle's `selftest/expected.json` cases: {"passed", "cases": [...]}."""
        return run_selftest(self)

    def close(self) -> None:
        """Remove the folder a zip was unpacked into (nothing to do for a folder bundle)."""
        if self._unpacked is not None:
            self._unpacked.cleanup()
            self._unpacked = None

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _predict_batch(
        self, images: Sequence[ImageInput], on_error: ErrorHandler | None
    ) -> list[dict[str, Any]]:
        prepared = []
        for image in images:
            loaded = self._guarded(
                preprocess, image, on_error, self.manifest["preprocess"], self.max_pixels
            )
            if loaded is not None:
                prepared.append((image, *loaded))
        if not prepared:
            return []
        outputs = self.run(np.stack([array for _image, array, _size in prepared]))
        results = []
        for row, (image, _array, original_size) in enumerate(prepared):
            single = {name: value[row : row + 1] for name, value in outputs.items()}
            result = postprocess(single, self.manifest, original_size)
            results.append(self._with_source(result, image, original_size))
        return results

    @staticmethod
    def _guarded(
        function: Callable[..., Any], image: ImageInput, on_error: ErrorHandler | None, *extra: Any
    ) -> Any:
        try:
            return function(image, *extra)
        except BundleError as error:
            if on_error is None:
                raise
            on_error(image, error)
            return None

    @staticmethod
    def _with_source(
        result: dict[str, Any], image: ImageInput, original_size: tuple[int, int]
    ) -> dict[str, Any]:
        if isinstance(image, (str, Path)):
            result["image"] = str(image)
        result["width"], result["height"] = original_size
        return result


def _open_session(model_path: Path) -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise BundleError(
            f"{model_path}: onnxruntime is not installed (pip install -r requirements.txt)"
        ) from None
    try:
        return onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        raise BundleError(f"{model_path.name}: ONNX Runtime cannot load it ({error})") from None


def _bundle_root(archive: Path, root: Path) -> Path:
    """The extracted bundle: `root` when the manifest is there (at the zip's root or in its
    single top-level folder); BundleError otherwise."""
    if (root / MANIFEST_NAME).is_file():
        return root
    raise BundleError(f"{archive}: no {MANIFEST_NAME} at its root or in its single folder")
