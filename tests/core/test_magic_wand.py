"""The magic wand on scikit-image's astronaut photograph, with regions painted in that a test
can predict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data, draw

from studio.core.geometry import mask_to_polygons
from studio.core.magic_wand import (
    WandError,
    WandImage,
    fill_pinholes,
    region_from_box,
    region_from_click,
    region_from_prompts,
)
from studio.core.prompts import Point, PromptError, Prompts

PATCH = (slice(100, 160), slice(300, 380))  # rows, columns of a uniform patch
PATCH_COLOR = (20, 200, 60)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """The astronaut with a uniform green patch and, apart from it, a second one."""
    pixels = data.astronaut().copy()
    pixels[PATCH] = PATCH_COLOR
    pixels[400:430, 20:60] = PATCH_COLOR
    return pixels


@pytest.fixture(scope="module")
def wand_photo(photo: np.ndarray) -> WandImage:
    return WandImage(photo)


def patch_mask(shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=bool)
    mask[PATCH] = True
    return mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_click_on_a_uniform_patch_selects_exactly_the_patch(wand_photo: WandImage) -> None:
    mask = region_from_click(wand_photo, 330.5, 120.2, tolerance=5)
    assert np.array_equal(mask, patch_mask(mask.shape))


def test_click_takes_a_plain_array_as_well(photo: np.ndarray) -> None:
    assert np.array_equal(region_from_click(photo, 310, 110, 5), patch_mask(photo.shape))


def test_a_wider_tolerance_grows_the_region(wand_photo: WandImage) -> None:
    narrow = region_from_click(wand_photo, 200, 20, tolerance=3)
    wide = region_from_click(wand_photo, 200, 20, tolerance=30)
    assert narrow.sum() < wide.sum()
    assert not (narrow & ~wide).any()


def test_shift_click_adds_the_second_patch(wand_photo: WandImage) -> None:
    both = Prompts(points=(Point(330, 120), Point(30, 410)))
    mask = region_from_prompts(wand_photo, both, tolerance=5)
    assert mask.sum() == 60 * 80 + 30 * 40


def test_negative_click_cuts_its_region_out() -> None:
    pixels = data.astronaut().copy()
    pixels[20:60, :256] = np.arange(256, dtype=np.uint8)[None, :, None]  # a grey ramp
    wide = region_from_click(pixels, 128, 40, tolerance=20)
    cut = region_from_prompts(
        pixels, Prompts(points=(Point(128, 40), Point(100, 40, positive=False))), tolerance=20
    )
    background = region_from_click(pixels, 100, 40, tolerance=20)
    assert np.array_equal(cut, fill_pinholes(wide & ~background))
    assert 0 < cut.sum() < wide.sum()


def disk_scene() -> tuple[np.ndarray, np.ndarray]:
    """A dark disk on a light, slightly noisy card pasted into the photograph."""
    pixels = data.astronaut().copy()
    noise = np.random.default_rng(0).integers(-8, 9, size=(200, 200, 3))
    pixels[250:450, 250:450] = np.clip(225 + noise, 0, 255)
    disk = np.zeros(pixels.shape[:2], dtype=bool)
    disk[draw.disk((350, 345), 60)] = True
    pixels[disk] = (40, 30, 50)
    return pixels, disk


def test_box_around_a_dark_disk_recovers_the_disk() -> None:
    pixels, disk = disk_scene()
    mask = region_from_box(pixels, (270, 275, 150, 150))
    assert iou(mask, disk) > 0.9
    assert not mask[:275].any()  # nothing outside the box
    assert not mask[:, :270].any()


def test_a_negative_click_in_a_box_keeps_that_part_out() -> None:
    pixels, _ = disk_scene()
    pixels[300:320, 380:400] = (225, 225, 225)  # a light bite out of the disk, still enclosed
    outside = Prompts(points=(Point(390, 310, positive=False),), box=(270, 275, 150, 150))
    mask = region_from_prompts(pixels, outside)
    assert not mask[305:315, 385:395].any()


def test_a_box_on_the_image_edge_stays_inside_the_image(wand_photo: WandImage) -> None:
    mask = region_from_box(wand_photo, (400, 400, 112, 112))
    assert mask.shape == (512, 512)
    assert mask[400:, 400:].any()


def test_prompts_outside_the_image_are_refused(wand_photo: WandImage) -> None:
    with pytest.raises(PromptError, match=r"point \(600, 10\) lies outside the 512×512 image"):
        region_from_click(wand_photo, 600, 10)
    with pytest.raises(PromptError, match="box"):
        region_from_box(wand_photo, (500, 500, 40, 40))
    with pytest.raises(PromptError, match="at least one positive point"):
        region_from_prompts(wand_photo, Prompts(points=(Point(5, 5, positive=False),)))


def test_open_reads_the_upright_image_and_names_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.fromarray(data.astronaut()[:40, :60]).save(path)
    image = WandImage.open(path)
    assert (image.width, image.height, image.factor) == (60, 40, 1)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    with pytest.raises(WandError, match=r"broken\.jpg: unreadable or corrupt image"):
        WandImage.open(broken)


def test_a_large_photograph_is_worked_on_reduced_in_full_image_pixels(tmp_path: Path) -> None:
    pixels = np.repeat(np.repeat(data.astronaut()[:200, :300], 3, axis=0), 3, axis=1)
    pixels[300:480, 600:840] = PATCH_COLOR  # 180×240, at a multiple of the factor
    pixels[30:31, 30:33] = PATCH_COLOR  # 1×3: smaller than a worked pixel
    Image.fromarray(pixels).save(tmp_path / "large.png")
    image = WandImage.open(tmp_path / "large.png", max_side=300)
    assert (image.factor, image.width, image.height) == (3, 900, 600)
    mask = region_from_click(image, 700.5, 400.2, tolerance=5)
    expected = np.zeros((600, 900), dtype=bool)
    expected[300:480, 600:840] = True
    assert np.array_equal(mask, expected)
    boxed = region_from_prompts(image, Prompts(box=(590, 290, 262, 202)))
    assert iou(boxed, expected) > 0.95
    assert not boxed[:290].any()


def test_pinholes_are_filled_and_real_holes_kept() -> None:
    mask = np.ones((40, 40), dtype=bool)
    mask[5:8, 5:8] = False  # 9 pixels: grain
    mask[20:30, 20:30] = False  # 100 pixels: a hole
    filled = fill_pinholes(mask.copy())
    assert filled[5:8, 5:8].all()
    assert not filled[20:30, 20:30].any()


def test_patch_outline_polygon_covers_the_patch(wand_photo: WandImage) -> None:
    mask = region_from_click(wand_photo, 330, 120, tolerance=5)
    rings = mask_to_polygons(mask, tolerance=1.0)
    assert len(rings) == 1
    xs, ys = rings[0][0::2], rings[0][1::2]
    extent = (min(xs), max(xs), min(ys), max(ys))
    assert extent == pytest.approx((300, 380, 100, 160), abs=0.5)  # corners are cut by ≤ ½ px


def test_mask_to_polygons_keeps_holes_as_inner_rings() -> None:
    mask = np.zeros((40, 40), dtype=bool)
    mask[5:35, 5:35] = True
    mask[15:25, 15:25] = False
    outer, hole = mask_to_polygons(mask, tolerance=0.5)
    assert max(outer[0::2]) - min(outer[0::2]) == 30
    assert max(hole[0::2]) - min(hole[0::2]) == 10
    assert mask_to_polygons(mask, holes=False) == mask_to_polygons(mask)[:1]


def test_a_coarser_polygon_tolerance_gives_fewer_points(wand_photo: WandImage) -> None:
    mask = region_from_click(wand_photo, 200, 20, tolerance=20)
    fine, coarse = mask_to_polygons(mask, 0.5), mask_to_polygons(mask, 4.0)
    assert sum(map(len, coarse)) < sum(map(len, fine))
