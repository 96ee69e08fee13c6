"""Image pre-processing: the manifest's steps, applied in order, from a file to the model's array.

Each step is a dict with an `op`; the image travels as a PIL image until `to_float` turns it
into an HWC float32 array, and `to_chw` puts the channels first. The original size reported is
the size after EXIF orientation, the frame every output box is expressed in.

An image is refused from its header, before its pixels are decoded, when it has more than
`max_pixels` pixels (default Pillow's own limit, the one `studio import` applies): a 17 KB
PNG can claim 12000×12000 pixels and would take 432 MB to decode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps

from .manifest import BundleError

ImageInput = Image.Image | str | Path
# Pillow's Image.MAX_IMAGE_PIXELS, the limit `studio import` applies.
DEFAULT_MAX_PIXELS = 89_478_485

_INTERPOLATIONS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


class _State:
    """The image between steps: a PIL image first, an array after `to_float`."""

    def __init__(self, image: Image.Image, source: str) -> None:
        self.image = image
        self.array: np.ndarray | None = None
        self.channels_first = False
        self.source = source
        self.original_size: tuple[int, int] | None = None

    def pil(self, op: str) -> Image.Image:
        if self.array is not None:
            raise BundleError(f"manifest.json: preprocess op {op!r} must come before to_float")
        return self.image

    def floats(self, op: str) -> np.ndarray:
        if self.array is None:
            raise BundleError(f"manifest.json: preprocess op {op!r} needs to_float before it")
        return self.array


class ImageTooLargeError(BundleError):
    """An image refused from its header for having more than `max_pixels` pixels.

    `pixels` is None when Pillow refused it first, before its size could be read.
    """

    def __init__(self, source: str, pixels: int | None, max_pixels: int) -> None:
        self.pixels = pixels
        self.max_pixels = max_pixels
        count = f"{pixels:,} pixels" if pixels is not None else "more pixels than Pillow allows"
        super().__init__(
            f"{source}: refused before decoding, it has {count}; the limit is {max_pixels:,} "
            "(--max-pixels)"
        )


def open_image(
    source: Path | str | IO[bytes], name: str, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image.Image:
    """The image decoded (first frame) once its header shows at most `max_pixels` pixels.

    `name` is how errors call it (a path, "the uploaded image"). BundleError when it cannot be
    read, ImageTooLargeError when it has too many pixels.
    """
    try:
        with Image.open(source) as opened:
            pixels = opened.width * opened.height
            if pixels > max_pixels:
                raise ImageTooLargeError(name, pixels, max_pixels)
            opened.load()
        return opened
    except FileNotFoundError:
        raise BundleError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise BundleError(f"{name}: is a folder, not an image") from None
    except Image.DecompressionBombError:
        raise ImageTooLargeError(name, None, max_pixels) from None
    except (OSError, ValueError, SyntaxError) as error:
        raise BundleError(f"{name}: not an image Pillow can read ({error})") from None


def load_image(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The image at `path`, decoded (first frame); BundleError naming the file when it cannot be."""
    return open_image(path, str(path), max_pixels)


@contextmanager
def pixel_limit_from_header_only() -> Iterator[None]:
    """Lift Pillow's process-wide pixel limit while a command applies its own `max_pixels`.

    Pillow refuses images over twice its limit inside `Image.open`, before their size can be
    reported, and warns over it; `open_image` checks every header itself, so a command (not a
    library caller) turns Pillow's check off for as long as it runs.
    """
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def preprocess(
    image: ImageInput, steps: list[dict[str, Any]], max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[np.ndarray, tuple[int, int]]:
    """Apply `steps` to `image` (path or PIL image): (float32 array, original (width, height)).

    A path over `max_pixels` is refused from its header (ImageTooLargeError).
    """
    if isinstance(image, Image.Image):
        state = _State(image, getattr(image, "filename", "") or "image")
    else:
        state = _State(load_image(image, max_pixels), str(image))
    for step in steps:
        operation = _OPS.get(step.get("op", ""))
        if operation is None:
            raise BundleError(f"manifest.json: unknown preprocess op {step.get('op')!r}")
        operation(state, step)
    if state.array is None:
        raise BundleError("manifest.json: the preprocess steps never reach to_float")
    if state.original_size is None:
        state.original_size = (state.array.shape[-1], state.array.shape[-2])
    return np.ascontiguousarray(state.array, dtype=np.float32), state.original_size


def _load_rgb(state: _State, step: dict[str, Any]) -> None:
    image = state.pil("load_rgb")
    try:
        if step.get("exif_transpose", True):
            image = ImageOps.exif_transpose(image)
        state.image = image.convert("RGB")
    except (OSError, ValueError) as error:
        raise BundleError(f"{state.source}: cannot be decoded as RGB ({error})") from None
    state.original_size = state.image.size


def _resize(state: _State, step: dict[str, Any]) -> None:
    image = state.pil("resize")
    if state.original_size is None:
        state.original_size = image.size
    mode = step.get("mode", "stretch")
    if mode != "stretch":
        raise BundleError(f"manifest.json: resize mode {mode!r} is not supported (use 'stretch')")
    interpolation = step.get("interpolation", "bilinear")
    if interpolation not in _INTERPOLATIONS:
        raise BundleError(f"manifest.json: unknown resize interpolation {interpolation!r}")
    height, width = (int(value) for value in step["size"])
    state.image = image.resize((width, height), _INTERPOLATIONS[interpolation])


def _to_float(state: _State, step: dict[str, Any]) -> None:
    image = state.pil("to_float")
    if state.original_size is None:
        state.original_size = image.size
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    state.array = pixels * np.float32(step.get("scale", 1.0 / 255.0))


def _normalize(state: _State, step: dict[str, Any]) -> None:
    array = state.floats("normalize")
    shape = (-1, 1, 1) if state.channels_first else (1, 1, -1)
    mean = np.asarray(step["mean"], dtype=np.float32).reshape(shape)
    std = np.asarray(step["std"], dtype=np.float32).reshape(shape)
    if np.any(std == 0):
        raise BundleError("manifest.json: normalize std contains a zero")
    state.array = (array - mean) / std


def _to_chw(state: _State, step: dict[str, Any]) -> None:
    array = state.floats("to_chw")
    if not state.channels_first:
        state.array = np.transpose(array, (2, 0, 1))
        state.channels_first = True


_OPS: dict[str, Callable[[_State, dict[str, Any]], None]] = {
    "load_rgb": _load_rgb,
    "resize": _resize,
    "to_float": _to_float,
    "normalize": _normalize,
    "to_chw": _to_chw,
}
