"""The bundle's pre-processing steps produce exactly the arrays the spec describes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.bundle import BundleError, preprocess
from studio.bundle.preprocess import DEFAULT_MAX_PIXELS
from tests.bundle.builders import IMAGENET_MEAN, IMAGENET_STD, classification_manifest

STEPS = classification_manifest(size=16)["preprocess"]
ORIENTATION = 0x0112


def _photo(path: Path, size: tuple[int, int] = (30, 20), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


def _expected(image: Image.Image, size: tuple[int, int] = (16, 16)) -> np.ndarray:
    resized = image.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    floats = np.asarray(resized, dtype=np.float32) * np.float32(1 / 255)
    mean = np.asarray(IMAGENET_MEAN, dtype=np.float32)
    std = np.asarray(IMAGENET_STD, dtype=np.float32)
    return ((floats - mean) / std).transpose(2, 0, 1)


def test_classification_steps_are_pil_bilinear_resize_scale_normalize_chw(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    _photo(path)

    array, original = preprocess(path, STEPS)

    assert original == (30, 20)
    assert array.dtype == np.float32
    assert array.shape == (3, 16, 16)
    assert array.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(array, _expected(Image.open(path)))


def test_non_square_resize_size_is_height_then_width(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    _photo(path)
    steps = [{"op": "load_rgb"}, {"op": "resize", "size": [8, 12]}, {"op": "to_float"}]

    array, _original = preprocess(path, steps)

    assert array.shape == (8, 12, 3)


def test_detection_steps_keep_the_pixels_as_chw_in_0_1(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    pixels = _photo(path, (21, 13))
    steps = [{"op": "load_rgb"}, {"op": "to_float", "scale": 1 / 255}, {"op": "to_chw"}]

    array, original = preprocess(path, steps)

    assert original == (21, 13)
    expected = (pixels.astype(np.float32) * np.float32(1 / 255)).transpose(2, 0, 1)
    np.testing.assert_array_equal(array, expected)


def test_exif_orientation_is_applied_and_the_original_size_is_the_upright_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rotated.jpg"
    pixels = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: display rotated 90° clockwise
    Image.fromarray(pixels).save(path, quality=95, exif=exif)
    with Image.open(path) as stored:
        upright = stored.convert("RGB").transpose(Image.Transpose.ROTATE_270)

    array, original = preprocess(path, STEPS)

    assert original == (20, 30)
    np.testing.assert_array_equal(array, _expected(upright))


def test_exif_transpose_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    Image.new("RGB", (30, 20), "red").save(path, exif=exif)
    steps = [{"op": "load_rgb", "exif_transpose": False}, {"op": "to_float"}, {"op": "to_chw"}]

    array, original = preprocess(path, steps)

    assert original == (30, 20)
    assert array.shape == (3, 20, 30)


def test_a_pil_image_and_a_grey_or_rgba_image_become_rgb(tmp_path: Path) -> None:
    grey = Image.fromarray((np.arange(300).reshape(15, 20) % 256).astype(np.uint8))
    rgba = grey.convert("RGBA")

    grey_array, original = preprocess(grey, STEPS)
    rgba_array, _ = preprocess(rgba, STEPS)

    assert original == (20, 15)
    assert grey_array.shape == (3, 16, 16)
    np.testing.assert_array_equal(grey_array, _expected(grey))
    np.testing.assert_array_equal(rgba_array, grey_array)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.png"
    with pytest.raises(BundleError, match=r"nowhere\.png: no such file"):
        preprocess(missing, STEPS)


def test_a_file_that_is_not_an_image_is_named(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not pixels")
    with pytest.raises(BundleError, match=r"notes\.png: not an image"):
        preprocess(text, STEPS)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"op": "load_rgb"}, {"op": "sharpen"}], "unknown preprocess op 'sharpen'"),
        ([{"op": "load_rgb"}, {"op": "to_chw"}], "needs to_float"),
        ([{"op": "load_rgb"}, {"op": "to_float"}, {"op": "resize", "size": [4, 4]}], "before"),
        ([{"op": "load_rgb"}, {"op": "resize", "size": [4, 4], "mode": "letterbox"}], "letterbox"),
        ([{"op": "load_rgb"}], "never reach to_float"),
    ],
)
def test_bad_steps_are_refused_naming_the_op(steps: list, message: str, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    _photo(path)
    with pytest.raises(BundleError, match=message):
        preprocess(path, steps)


def test_the_default_pixel_limit_is_the_one_studio_import_applies() -> None:
    """studio import refuses images over Pillow's Image.MAX_IMAGE_PIXELS (core/image_probe)."""
    assert DEFAULT_MAX_PIXELS == Image.MAX_IMAGE_PIXELS == 89_478_485
