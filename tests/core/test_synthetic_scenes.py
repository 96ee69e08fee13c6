"""Synthetic scenes: seeded, with boxes, polygons and masks exactly matching the pixels."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as coco_mask

from studio.api import Project
from studio.core.geometry import decode_mask
from studio.core.synthetic_scenes import (
    BASE_COLORS,
    SCENE_CLASSES,
    create_scene_project,
    write_scenes,
)


def pixel_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(mask)
    return (
        int(columns.min()),
        int(rows.min()),
        int(columns.max() + 1 - columns.min()),
        int(rows.max() + 1 - rows.min()),
    )


def test_the_same_seed_gives_the_same_scenes(tmp_path: Path) -> None:
    first = write_scenes(tmp_path / "a", 6, seed=3)
    again = write_scenes(tmp_path / "b", 6, seed=3)
    other = write_scenes(tmp_path / "c", 6, seed=4)

    assert [s.objects for s in first] == [s.objects for s in again]
    assert [s.path.read_bytes() for s in first] == [s.path.read_bytes() for s in again]
    assert [s.objects for s in first] != [s.objects for s in other]


def test_every_object_is_exactly_its_drawn_pixels(tmp_path: Path) -> None:
    scenes = write_scenes(tmp_path, 40, seed=1, size=96, max_objects=3)

    labels = set()
    for scene in scenes:
        with Image.open(scene.path) as image:
            assert image.size == (scene.width, scene.height) == (96, 96)
            pixels = np.asarray(image.convert("RGB")).astype(int)
        assert 1 <= len(scene.objects) <= 3
        for scene_object in scene.objects:
            labels.add(scene_object.label)
            mask = decode_mask(scene_object.mask)
            x, y, w, h = scene_object.box
            assert pixel_box(mask) == (x, y, w, h)
            xs, ys = scene_object.polygon[0::2], scene_object.polygon[1::2]
            assert x <= min(xs)
            assert max(xs) <= x + w
            assert y <= min(ys)
            assert max(ys) <= y + h
            assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx((x, y, x + w, y + h))
            polygon_pixels = coco_mask.decode(coco_mask.frPyObjects([scene_object.polygon], 96, 96))
            assert (polygon_pixels[:, :, 0].astype(bool) == mask).all()
            colour = np.array(BASE_COLORS[scene_object.label])
            drawn = np.abs(pixels[mask] - colour).max(axis=1)
            assert (drawn <= 45).all(), "the object's pixels carry its class colour"
        masks = [decode_mask(o.mask) for o in scene.objects]
        assert sum(m.sum() for m in masks) == np.logical_or.reduce(masks).sum(), "no overlap"
    assert labels == set(SCENE_CLASSES)


def test_a_circle_is_a_32_gon_and_triangles_and_squares_have_3_and_4_corners(
    tmp_path: Path,
) -> None:
    corners = {}
    for scene in write_scenes(tmp_path, 20, seed=2):
        for scene_object in scene.objects:
            corners[scene_object.label] = len(scene_object.polygon) // 2
    assert corners == {"circle": 32, "square": 4, "triangle": 3}


@pytest.mark.parametrize(
    ("geometry", "kind"), [("box", "box"), ("polygon", "polygon"), ("mask", "mask")]
)
def test_a_scene_project_has_done_items_with_one_annotation_per_object(
    tmp_path: Path, geometry: str, kind: str
) -> None:
    started = time.perf_counter()
    path = create_scene_project(tmp_path / "scenes.studio", count=12, seed=5, geometry=geometry)
    elapsed = time.perf_counter() - started

    scenes = write_scenes(tmp_path / "expected", 12, seed=5)
    with Project.open(path) as project:
        items = project.items(sort="name")
        assert [item.status for item in items] == ["done"] * 12
        assert [c.name for c in project.classes()] == list(SCENE_CLASSES)
        for item, scene in zip(items, scenes, strict=True):
            assert Path(item.path).name == scene.path.name
            annotations = project.annotations(item.id)
            assert [(a.kind, a.label) for a in annotations] == [
                (kind, o.label) for o in scene.objects
            ]
            if geometry == "box":
                assert [a.geometry for a in annotations] == [list(o.box) for o in scene.objects]
            if geometry == "polygon":
                expected = [[o.polygon] for o in scene.objects]
                assert [a.geometry for a in annotations] == expected
            if geometry == "mask":
                assert [a.geometry for a in annotations] == [o.mask for o in scene.objects]
    assert elapsed < 3, f"creating a 12-scene project took {elapsed:.1f} s"


def test_an_unknown_geometry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="geometry 'keypoints'"):
        create_scene_project(tmp_path / "scenes.studio", geometry="keypoints")
    assert list(tmp_path.iterdir()) == []
