"""The photographs demo: scikit-image's photographs with hand-drawn labels, synthetic scenes."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import ProjectFileError
from studio.core.photo_demo import (
    PHOTO_DEMO_FILE_NAME,
    SCENE_COUNT,
    UNLABELED_PHOTOS,
    create_photo_demo,
    traced_photos,
)

BUILD_SECONDS = 5  # about 0.5 s on the 2-core machine


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    folder = tmp_path_factory.mktemp("photo-demo")
    started = time.perf_counter()
    path = create_photo_demo(folder)
    return path, time.perf_counter() - started


def shapes_by_folder(project: Project) -> dict[str, Counter[str]]:
    """Shape kinds per image folder ("photographs", "scenes", "unlabeled")."""
    kinds: dict[str, Counter[str]] = {}
    for item in project.items():
        folder = Path(item.path).parent.name
        counts = kinds.setdefault(folder, Counter())
        counts.update(annotation.kind for annotation in project.annotations(item.id))
    return kinds


def test_the_photo_demo_is_built_in_a_few_seconds(demo: tuple[Path, float]) -> None:
    path, seconds = demo
    assert path.name == PHOTO_DEMO_FILE_NAME
    assert path.is_file()
    assert seconds < BUILD_SECONDS


def test_the_photographs_carry_every_hand_drawn_box_and_polygon(
    demo: tuple[Path, float],
) -> None:
    traced = traced_photos()
    expected = Counter(
        "polygon" if "polygon" in shape else "box" for photo in traced for shape in photo.shapes
    )
    with Project.open(demo[0]) as project:
        kinds = shapes_by_folder(project)
        photographs = project.items(status="done")
    assert kinds["photographs"] == expected
    assert expected["box"] >= 30
    assert expected["polygon"] >= 10
    assert sum(Path(item.path).parent.name == "photographs" for item in photographs) == len(traced)


def test_the_scenes_have_boxes_polygons_and_masks_and_three_photos_wait_unlabeled(
    demo: tuple[Path, float],
) -> None:
    with Project.open(demo[0]) as project:
        kinds = shapes_by_folder(project)
        scenes = [item for item in project.items() if Path(item.path).parent.name == "scenes"]
        new_items = project.items(status="new")
    assert set(kinds["scenes"]) == {"box", "polygon", "mask"}
    assert len(scenes) == SCENE_COUNT
    assert sorted(Path(item.path).name for item in new_items) == sorted(UNLABELED_PHOTOS.values())


def test_the_first_images_of_the_photo_demo_are_labeled_photographs(
    demo: tuple[Path, float],
) -> None:
    with Project.open(demo[0]) as project:
        first = project.items(limit=3)
        assert all(project.annotations(item.id) for item in first)
    assert all(Path(item.path).parent.name == "photographs" for item in first)


def test_the_traced_shapes_stay_inside_their_photographs(demo: tuple[Path, float]) -> None:
    with Project.open(demo[0]) as project:
        for item in project.items():
            boxes = [a.geometry for a in project.annotations(item.id) if a.kind == "box"]
            for x, y, width, height in boxes:
                assert min(x, y) >= 0, item.path
                assert x + width <= item.width, item.path
                assert y + height <= item.height, item.path


def test_the_photo_demo_is_created_only_once(demo: tuple[Path, float]) -> None:
    with pytest.raises(ProjectFileError, match="already exists"):
        create_photo_demo(demo[0].parent)
