"""Overlay pictures: the ground truth drawn solid, the prediction dashed, masks by outline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QColor, QImage

from studio.core.geometry import encode_mask
from studio.core.object_store import file_sha256
from studio.core.thumbnails import ThumbnailCache
from studio.gui.analysis.overlays import OverlayRequest, render_overlay, shape_path
from tests.conftest import write_images

RED, BLUE = "#ff0000", "#0000ff"


def square_mask(width: int, height: int, box: tuple[int, int, int, int]) -> dict:
    pixels = np.zeros((height, width), dtype=bool)
    x, y, w, h = box
    pixels[y : y + h, x : x + w] = True
    return encode_mask(pixels)


def test_a_mask_path_follows_the_mask_outline() -> None:
    bounds = shape_path("mask", square_mask(40, 30, (5, 6, 10, 8))).boundingRect()
    assert (bounds.left(), bounds.top()) == (5.0, 6.0)
    assert (bounds.width(), bounds.height()) == (10.0, 8.0)


def test_a_polygon_path_has_its_rings() -> None:
    bounds = shape_path("polygon", [[2, 2, 12, 2, 12, 9]]).boundingRect()
    assert (bounds.left(), bounds.top(), bounds.right(), bounds.bottom()) == (2, 2, 12, 9)


def colored_pixels(image: QImage, color: str) -> int:
    wanted = QColor(color)
    found = 0
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            close = all(
                abs(a - b) < 40
                for a, b in zip(pixel.getRgb()[:3], wanted.getRgb()[:3], strict=True)
            )
            found += close
    return found


def test_truth_and_prediction_are_drawn_over_the_picture(tmp_path: Path) -> None:
    path = write_images(tmp_path / "images", 1, size=(64, 48))[0]
    width, height = Image.open(path).size
    request = OverlayRequest(
        key=0,
        path=path,
        sha256=file_sha256(path),
        width=width,
        height=height,
        side=128,
        truth=("mask", square_mask(width, height, (8, 8, 20, 16)), RED),
        prediction=("box", [30, 10, 20, 20], BLUE),
    )

    image = render_overlay(request, ThumbnailCache(tmp_path / "cache"))

    assert (image.width(), image.height()) == (128, 96)  # scaled up to the side asked
    assert colored_pixels(image, RED) > 100
    assert colored_pixels(image, BLUE) > 50
    plain = render_overlay(
        OverlayRequest(0, path, request.sha256, width, height, 128), ThumbnailCache(tmp_path / "c")
    )
    assert colored_pixels(plain, RED) < colored_pixels(image, RED) // 4


def test_an_unreadable_image_gives_a_grey_square(tmp_path: Path) -> None:
    missing = OverlayRequest(0, tmp_path / "gone.png", "0" * 64, 10, 10, 64)
    image = render_overlay(missing, ThumbnailCache(tmp_path / "cache"))
    assert (image.width(), image.height()) == (64, 64)
    assert image.pixelColor(10, 10) == QColor(128, 128, 128)
