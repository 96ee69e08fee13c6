"""Annotation geometry: accepted input forms, stored forms, and every refusal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from scipy import ndimage

from studio.core.enums import AnnotationKind
from studio.core.errors import InvalidEditError
from studio.core.geometry import (
    decode_mask,
    encode_mask,
    mask_to_polygons,
    normalize_box,
    normalize_geometry,
    normalize_keypoints,
    normalize_mask,
    normalize_polygon,
    normalize_polyline,
    normalize_rotated_box,
    rotated_box_corners,
    rotated_box_from_corners,
    shape_box,
    shape_rle,
)

W, H = 64, 48
TRIANGLE = [(1, 1), (20, 1), (10, 15)]
FLAT_TRIANGLE = [1.0, 1.0, 20.0, 1.0, 10.0, 15.0]


def test_box_is_stored_as_floats_in_coco_order() -> None:
    assert normalize_box([1, 2, 3, 4], W, H) == [1.0, 2.0, 3.0, 4.0]
    assert normalize_box(np.array([0, 0, W, H]), W, H) == [0.0, 0.0, 64.0, 48.0]


@pytest.mark.parametrize(
    ("box", "words"),
    [
        ([1, 2, 3], "expected [x, y, width, height]"),
        ([math.nan, 0, 1, 1], "not a finite number"),
        ([0, 0, math.inf, 1], "not a finite number"),
        ([0, 0, -5, 5], "must be positive"),
        ([0, 0, 5, 0], "must be positive"),
        ([60, 40, 10, 5], "outside the 64×48 image"),
        ([-1, 0, 5, 5], "outside"),
        ([0, 0, "5", 5], "is not a number"),
        ([0, 0, True, 5], "is not a number"),
        (5, "expected a list"),
    ],
)
def test_invalid_boxes_are_refused(box: object, words: str) -> None:
    with pytest.raises(InvalidEditError, match=None) as raised:
        normalize_box(box, W, H)
    assert words in str(raised.value)
    assert str(raised.value).startswith("box:")


@pytest.mark.parametrize(
    "polygon",
    [TRIANGLE, FLAT_TRIANGLE, [FLAT_TRIANGLE], [TRIANGLE], np.array(TRIANGLE)],
    ids=["pairs", "flat", "one flat ring", "one ring of pairs", "numpy"],
)
def test_polygon_forms_become_flat_rings(polygon: object) -> None:
    assert normalize_polygon(polygon, W, H) == [FLAT_TRIANGLE]


def test_several_rings_are_kept_apart() -> None:
    second = [(30, 30), (40, 30), (40, 40), (30, 40)]
    rings = normalize_polygon([TRIANGLE, second], W, H)
    assert rings == [FLAT_TRIANGLE, [30.0, 30.0, 40.0, 30.0, 40.0, 40.0, 30.0, 40.0]]


@pytest.mark.parametrize(
    ("polygon", "words"),
    [
        ([], "no points"),
        ([(1, 1), (2, 2)], "at least 3 points"),
        ([1, 1, 2, 2, 3], "odd number"),
        ([(1, 1), (2, 2, 3), (4, 4)], "exactly two coordinates"),
        ([(1, 1), (2, math.nan), (4, 4)], "finite"),
        ([(1, 1), (200, 2), (4, 4)], "outside"),
        ([TRIANGLE, 7], "is not a list of points"),
        ("abc", "expected a list"),
    ],
)
def test_invalid_polygons_are_refused(polygon: object, words: str) -> None:
    with pytest.raises(InvalidEditError) as raised:
        normalize_polygon(polygon, W, H)
    assert words in str(raised.value)


def _mask() -> np.ndarray:
    mask = np.zeros((H, W), bool)
    mask[5:20, 10:40] = True
    mask[30:45, 2:6] = True
    return mask


def test_mask_array_is_stored_as_compressed_rle_that_decodes_back() -> None:
    stored = normalize_mask(_mask(), W, H)
    assert stored["size"] == [H, W]
    assert isinstance(stored["counts"], str)
    assert np.array_equal(decode_mask(stored), _mask())


def test_compressed_rle_bytes_or_text_and_uncompressed_rle_are_accepted() -> None:
    compressed = coco_mask.encode(np.asfortranarray(_mask().astype(np.uint8)))
    as_text = {"size": [H, W], "counts": compressed["counts"].decode()}
    flat = _mask().flatten(order="F")
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    runs = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    uncompressed = {"size": [H, W], "counts": runs}
    for rle in (compressed, as_text, uncompressed):
        stored = normalize_mask(rle, W, H)
        assert stored == encode_mask(_mask())


@pytest.mark.parametrize(
    ("mask", "words"),
    [
        (np.zeros((W, H), bool), "differs from the image"),
        (np.zeros((H, W, 3), bool), "2-D array"),
        ({"size": [H, W + 1], "counts": "abc"}, "differs from the image"),
        ({"size": [H, W], "counts": "zz"}, "cannot occur"),
        ({"size": [H, W], "counts": "P5:d0"}, "pixels"),
        ({"size": [H, W], "counts": [10, 20]}, "cover 30 pixels"),
        ({"size": [H, W], "counts": [H * W + 1, -1]}, "whole numbers"),
        ({"size": [H, W], "counts": 12}, "string or a list"),
        ({"counts": "abc"}, "COCO RLE"),
        ([[True, False]], "COCO RLE"),
    ],
)
def test_invalid_masks_are_refused(mask: object, words: str) -> None:
    with pytest.raises(InvalidEditError) as raised:
        normalize_mask(mask, W, H)
    assert words in str(raised.value)


def test_keypoints_get_a_visibility() -> None:
    points = normalize_keypoints([(1, 2), (3, 4, 1), (-50, 900, 0)], W, H)
    assert points == [[1.0, 2.0, 2], [3.0, 4.0, 1], [-50.0, 900.0, 0]]


@pytest.mark.parametrize(
    ("points", "words"),
    [
        ([], "no points"),
        ([(1, 2, 3)], "visibility 3"),
        ([(1, 2, math.nan)], "finite"),
        ([(1,)], "[x, y] or [x, y, visibility]"),
        ([1, 2, 3], "[x, y] or [x, y, visibility]"),
        ([(100, 2, 2)], "outside"),
        (7, "expected a list"),
    ],
)
def test_invalid_keypoints_are_refused(points: object, words: str) -> None:
    with pytest.raises(InvalidEditError) as raised:
        normalize_keypoints(points, W, H)
    assert words in str(raised.value)


def test_polyline_forms_become_one_flat_chain() -> None:
    assert normalize_polyline([(1, 2), (3, 4)], W, H) == [1.0, 2.0, 3.0, 4.0]
    assert normalize_polyline([1, 2, 3, 4, 5, 6], W, H) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


@pytest.mark.parametrize(
    ("polyline", "words"),
    [
        ([], "no points"),
        ([(1, 2)], "at least 2 points"),
        ([1, 2, 3], "odd number"),
        ([(1, 2), (3,)], "exactly two coordinates"),
        ([(1, 2), (100, 4)], "outside the 64×48 image"),
        ([1, 2, math.nan, 4], "finite"),
        ("12", "expected a list"),
    ],
)
def test_invalid_polylines_are_refused(polyline: object, words: str) -> None:
    with pytest.raises(InvalidEditError) as raised:
        normalize_geometry(AnnotationKind.POLYLINE, polyline, W, H)
    assert words in str(raised.value)
    assert str(raised.value).startswith("polyline")
    assert "\n" not in str(raised.value)


def test_rotated_box_angle_is_kept_in_0_to_360_degrees() -> None:
    assert normalize_rotated_box([10, 10, 8, 4, -30], W, H) == [10.0, 10.0, 8.0, 4.0, 330.0]
    assert normalize_rotated_box([10, 10, 8, 4, 390], W, H)[4] == 30.0


@pytest.mark.parametrize(
    ("box", "words"),
    [
        ([10, 10, 8, 4], "expected [cx, cy, width, height, angle]"),
        ([10, 10, 0, 4, 0], "must be positive"),
        ([10, 10, 8, -4, 0], "must be positive"),
        ([70, 10, 8, 4, 0], "centre: point (70, 10) lies outside"),
        ([10, 10, 8, 4, math.inf], "finite"),
        (None, "geometry is missing"),
    ],
)
def test_invalid_rotated_boxes_are_refused(box: object, words: str) -> None:
    with pytest.raises(InvalidEditError) as raised:
        normalize_geometry(AnnotationKind.ROTATED_BOX, box, W, H)
    assert words in str(raised.value)
    assert str(raised.value).startswith("rotated_box")


def test_a_rotated_box_turns_clockwise_on_screen_from_its_top_left_corner() -> None:
    corners = rotated_box_corners([20, 20, 10, 4, 90])
    # 90° clockwise with y down: the top side (left to right) now runs top to bottom.
    assert np.allclose(corners, [22, 15, 22, 25, 18, 25, 18, 15])
    assert np.allclose(rotated_box_corners([20, 20, 10, 4, 0]), [15, 18, 25, 18, 25, 22, 15, 22])


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 179.0, 200.0, 359.0])
def test_corners_give_back_the_rotated_box(angle: float) -> None:
    box = [30.0, 20.0, 12.0, 5.0, angle]
    assert np.allclose(rotated_box_from_corners(rotated_box_corners(box)), box)


def test_a_rotated_box_gives_its_bounds_and_its_filled_outline() -> None:
    turned = [20.0, 20.0, 10.0, 4.0, 90.0]
    assert np.allclose(shape_box("rotated_box", turned, W, H), [18, 15, 4, 10])
    assert coco_mask.area(shape_rle("rotated_box", turned, W, H)) == 40
    sticking_out = [1.0, 1.0, 10.0, 10.0, 45.0]
    left, top, width, height = shape_box("rotated_box", sticking_out, W, H)
    assert (left, top) == (0.0, 0.0)
    assert np.allclose([width, height], 1 + 10 / math.sqrt(2))


def test_a_polyline_has_a_box_but_no_area() -> None:
    assert shape_box("polyline", [1.0, 2.0, 9.0, 2.0, 5.0, 7.0], W, H) == [1.0, 2.0, 8.0, 5.0]
    with pytest.raises(ValueError, match="has no area"):
        shape_rle("polyline", [1.0, 2.0, 9.0, 2.0], W, H)


def test_tag_has_no_geometry_and_other_kinds_need_one() -> None:
    assert normalize_geometry(AnnotationKind.TAG, None, W, H) is None
    with pytest.raises(InvalidEditError, match="geometry is missing"):
        normalize_geometry(AnnotationKind.BOX, None, W, H)


def test_every_stored_shape_gives_its_box_and_its_pixels() -> None:
    box = [2.0, 3.0, 10.0, 5.0]
    pixels = np.zeros((H, W), dtype=bool)
    pixels[3:8, 2:12] = True
    rectangle = [2.0, 3.0, 12.0, 3.0, 12.0, 8.0, 2.0, 8.0]
    shapes = {"box": box, "polygon": [rectangle], "mask": encode_mask(pixels)}

    for kind, geometry in shapes.items():
        assert shape_box(kind, geometry, W, H) == box, kind
        assert coco_mask.area(shape_rle(kind, geometry, W, H)) == 50, kind
    assert np.array_equal(coco_mask.decode(shape_rle("mask", shapes["mask"], W, H)), pixels)


@pytest.mark.parametrize("kind", ["tag", "keypoints"])
def test_shapes_without_an_area_have_no_box_and_no_pixels(kind: str) -> None:
    with pytest.raises(ValueError, match="has no box"):
        shape_box(kind, None, W, H)
    with pytest.raises(ValueError, match="has no area"):
        shape_rle(kind, None, W, H)


def _square(left: float, top: float, side: float) -> list[float]:
    return [left, top, left + side, top, left + side, top + side, left, top + side]


def test_a_ring_inside_another_is_a_hole_in_the_shape_pixels() -> None:
    outer, hole = _square(4, 4, 30), _square(14, 14, 10)
    rle = shape_rle("polygon", [outer, hole], W, H)
    assert coco_mask.area(rle) == 30 * 30 - 10 * 10
    assert not coco_mask.decode(rle)[18, 18]


def test_rings_apart_are_parts_of_one_shape_not_holes() -> None:
    rle = shape_rle("polygon", [_square(2, 2, 10), _square(30, 20, 12)], W, H)
    assert coco_mask.area(rle) == 10 * 10 + 12 * 12


def test_an_island_in_a_hole_fills_again() -> None:
    rings = [_square(2, 2, 40), _square(10, 10, 24), _square(18, 18, 8)]
    assert coco_mask.area(shape_rle("polygon", rings, W, H)) == 40 * 40 - 24 * 24 + 8 * 8


def test_outlining_a_ragged_mask_gives_rings_whose_pixels_are_the_mask() -> None:
    noise = ndimage.gaussian_filter(np.random.default_rng(0).normal(size=(H, W)), 1.5)
    mask = noise > 0
    rings = mask_to_polygons(mask, tolerance=0, min_area=0)
    assert any(_winding(ring) < 0 for ring in rings)  # some rings are holes
    pixels = coco_mask.decode(shape_rle("polygon", rings, W, H)).astype(bool)
    np.testing.assert_array_equal(pixels, mask)


def _winding(ring: list[float]) -> float:
    xs, ys = np.asarray(ring[0::2]), np.asarray(ring[1::2])
    return float(np.sum(xs * np.roll(ys, -1) - np.roll(xs, -1) * ys))
