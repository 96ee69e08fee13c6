"""Decoding for display: reduced JPEG decodes, the display cap, pixel formats, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage

from studio.gui.canvas.image_loader import (
    ImageLoadError,
    decode_full,
    decode_levels,
    decode_preview,
    reduction_for,
    to_display,
)
from tests.gui.canvas.conftest import write_photo


@pytest.mark.parametrize(
    ("side", "target", "factor"),
    [(4000, 1024, 4), (8000, 4096, 2), (900, 1024, 1), (20000, 1024, 8)],
)
def test_the_smallest_sufficient_dct_reduction(side: int, target: int, factor: int) -> None:
    assert reduction_for(side, target) == factor


def test_previews_only_for_large_jpegs(tmp_path: Path) -> None:
    large = write_photo(tmp_path / "large.jpg", (2400, 1600))
    small = write_photo(tmp_path / "small.jpg", (800, 600))
    png = tmp_path / "large.png"
    Image.open(large).save(png)

    preview = decode_preview(large, 1024)
    assert preview is not None
    assert preview.size == (600, 400)  # libjpeg at 1/4
    assert decode_preview(small, 1024) is None
    assert decode_preview(png, 1024) is None


def test_a_png_above_the_cap_is_reduced_and_gets_a_small_level(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("RGB", (3000, 500), (10, 200, 30)).save(path)
    image = decode_full(path, 1000)
    assert image.size == (1000, 167)
    assert image.getpixel((500, 80)) == (10, 200, 30)
    small, full = decode_levels(path, 1000, 200)
    assert (small.size, full.size) == ((200, 34), (1000, 167))
    assert len(decode_levels(path, 1000, 500)) == 1  # the full picture is small enough


def test_display_formats_keep_the_pixels() -> None:
    rgb = Image.fromarray(np.array([[[255, 0, 0], [0, 128, 255]]], dtype=np.uint8))
    grey = Image.fromarray(np.array([[0, 77]], dtype=np.uint8))
    rgba = Image.new("RGBA", (2, 1), (10, 20, 30, 128))
    deep = Image.fromarray(np.array([[0, 1000, 4000]], dtype=np.uint16))

    shown = to_display(rgb).image
    assert shown.pixelColor(1, 0).getRgb()[:3] == (0, 128, 255)
    assert to_display(grey).image.format() == QImage.Format.Format_Grayscale8
    assert to_display(grey).image.pixelColor(1, 0).red() == 77
    assert to_display(rgba).image.pixelColor(0, 0).getRgb() == (10, 20, 30, 128)
    deep_shown = to_display(deep).image
    assert [deep_shown.pixelColor(x, 0).red() for x in range(3)] == [0, 63, 255]


def test_unreadable_and_missing_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ImageLoadError, match=r"Cannot read .*broken\.png: unreadable or corrupt"):
        decode_full(broken)
    with pytest.raises(ImageLoadError, match=r"Image file missing: .*gone\.jpg"):
        decode_full(tmp_path / "gone.jpg")
