"""Geometry edits the tools make: clamping, box resizing, vertex moves, inserts, removals."""

from __future__ import annotations

import pytest

from studio.gui.canvas.geometry_edit import (
    box_from_corners,
    clamp_delta,
    insert_vertex,
    nearest_edge,
    nearest_vertex,
    remove_vertex,
    translate_keypoints,
    translate_rings,
)
from studio.gui.canvas.shapes.handles import box_handle_points, resize_box

RINGS = [[0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0]]


def test_corners_in_any_order_give_a_clamped_box() -> None:
    assert box_from_corners(50, 40, 10, 20, 100, 100) == [10, 20, 40, 20]
    assert box_from_corners(-5, 90, 30, 130.456, 100, 100) == [0, 90, 30, 10]
    assert box_from_corners(1.234, 2.345, 3.456, 4.567, 10, 10) == [1.23, 2.35, 2.23, 2.22]


@pytest.mark.parametrize(
    ("handle", "x", "y", "expected"),
    [
        ("bottom_right", 80, 70, [10, 20, 70, 50]),
        ("top_left", 0, 0, [0, 0, 40, 50]),
        ("right", 90, 999, [10, 20, 80, 30]),
        ("top", 999, 5, [10, 5, 30, 45]),
        ("left", 60, 0, [40, 20, 20, 30]),  # dragged past the right side: the box flips
        ("bottom_left", -50, 150, [0, 20, 40, 80]),  # clamped to the 100×100 image
    ],
)
def test_resizing_by_a_handle_keeps_the_opposite_side(
    handle: str, x: float, y: float, expected: list[float]
) -> None:
    assert resize_box([10, 20, 30, 30], handle, x, y, 100, 100) == expected


def test_handles_sit_on_corners_and_edge_middles() -> None:
    points = box_handle_points([10, 20, 30, 40])
    assert points["top_left"] == (10, 20)
    assert points["bottom_right"] == (40, 60)
    assert points["top"] == (25, 20)
    assert points["left"] == (10, 40)
    assert len(points) == 8


def test_a_move_is_limited_to_the_image() -> None:
    assert clamp_delta((10, 10, 30, 40), -50, 100, 100, 50) == (-10, 10)
    assert clamp_delta((10, 10, 30, 40), 5, -5, 100, 50) == (5, -5)


def test_vertices_and_edges_are_found_within_the_tolerance() -> None:
    assert nearest_vertex(RINGS, 9.5, 0.4, 1.0) == (0, 1)
    assert nearest_vertex(RINGS, 5, 5, 1.0) is None
    (after, x, y) = nearest_edge(RINGS, 5, 10.6, 1.0)
    assert after == (0, 2)
    assert (x, y) == (5, 10)
    assert nearest_edge(RINGS, 5, 5, 1.0) is None


def test_inserting_and_removing_vertices() -> None:
    inserted = insert_vertex(RINGS, (0, 3), 0, 5)
    assert inserted == [[0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0, 0, 5]]
    assert remove_vertex(inserted, (0, 4)) == RINGS
    triangle = [[0, 0, 10, 0, 5, 5]]
    assert remove_vertex(triangle, (0, 1)) is None
    assert RINGS == [[0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0]]  # inputs are not changed


def test_translating_rings_and_keypoints() -> None:
    assert translate_rings([[1, 2, 3, 4, 5, 6]], 10, 20) == [[11, 22, 13, 24, 15, 26]]
    assert translate_keypoints([[1, 2, 2], [0, 0, 0], [5, 5, 1]], 1, 1) == [
        [2, 3, 2],
        [0, 0, 0],
        [6, 6, 1],
    ]
