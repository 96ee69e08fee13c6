"""The demo project: scikit-learn's digits, labeled, plus scikit-image's photographs, unlabeled."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from studio.api import Project
from studio.core import versions
from studio.core.database import Database
from studio.core.demo import DEMO_FILE_NAME, create_demo_project, digit_pixels
from studio.core.errors import ProjectFileError

DIGITS = load_digits()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    """A demo built once for the module, over the leftover of an interrupted earlier run."""
    folder = tmp_path_factory.mktemp("demo")
    (folder / f".{DEMO_FILE_NAME}.incomplete").write_bytes(b"half a project from a crash")
    calls: list[tuple[int, int]] = []
    path = create_demo_project(folder, progress=lambda done, total: calls.append((done, total)))
    return path, calls


@pytest.fixture
def demo_project(demo: tuple[Path, list[tuple[int, int]]]) -> Iterator[Project]:
    with Project.open(demo[0]) as project:
        yield project


def digit_index(stored_path: str) -> int:
    """`images/digits/7/digit_0123.png` → 123."""
    return int(Path(stored_path).stem.removeprefix("digit_"))


def test_the_demo_is_one_project_file_beside_its_images(
    demo: tuple[Path, list[tuple[int, int]]],
) -> None:
    path, _ = demo
    assert path.name == DEMO_FILE_NAME
    assert sorted(entry.name for entry in path.parent.iterdir()) == ["demo.studio", "images"]


def test_every_digit_is_done_with_its_true_label(demo_project: Project) -> None:
    digits = demo_project.items(status="done")

    assert len(digits) == len(DIGITS.target) == 1797
    assert demo_project.count_items() == len(digits) + demo_project.count_items(status="new")
    for item in digits:
        true_digit = str(DIGITS.target[digit_index(item.path)])
        assert Path(item.path).parent.name == true_digit
        annotations = demo_project.annotations(item.id)
        assert [(a.kind, a.label, a.source) for a in annotations] == [("tag", true_digit, "human")]


def test_the_classes_are_the_ten_digits_with_the_datasets_counts(demo_project: Project) -> None:
    stats = demo_project.stats()

    assert [record.name for record in demo_project.classes()] == [str(d) for d in range(10)]
    expected = {str(digit): count for digit, count in sorted(Counter(DIGITS.target).items())}
    assert stats.items_by_class == expected
    assert stats.annotations_by_class == expected


@pytest.mark.parametrize("index", [0, 1, 42, 1000, 1796])
def test_a_digit_png_decodes_to_the_datasets_pixels(demo_project: Project, index: int) -> None:
    name = f"digit_{index:04d}.png"
    (item,) = demo_project.items(text=name)
    with Image.open(demo_project.media_path(item)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (32, 32))
        pixels = np.asarray(image)

    expected = np.rint(DIGITS.images[index] * 255 / 16)
    np.testing.assert_array_equal(pixels[::4, ::4], expected)
    blocks = pixels.reshape(8, 4, 8, 4)
    assert (blocks == blocks[:, :1, :, :1]).all(), "each value fills one 4×4 block"
    assert (item.width, item.height, item.format) == (32, 32, "PNG")


def test_the_photographs_are_unlabeled_jpeg_and_png(demo_project: Project) -> None:
    photos = demo_project.items(status="new")

    assert len(photos) >= 4
    assert {item.format for item in photos} == {"JPEG", "PNG"}
    for item in photos:
        assert item.path.startswith("images/photos/")
        assert demo_project.annotations(item.id) == []
        with Image.open(demo_project.media_path(item)) as image:
            assert image.size == (item.width, item.height)
            assert min(image.size) >= 256


def test_progress_rises_to_its_total(demo: tuple[Path, list[tuple[int, int]]]) -> None:
    _, calls = demo
    done = [count for count, _ in calls]
    totals = {total for _, total in calls}

    assert done == sorted(done)
    assert len(totals) == 1
    assert done[-1] == totals.pop() > 2 * 1797


def test_a_second_demo_in_the_same_folder_is_refused_and_changes_nothing(
    demo: tuple[Path, list[tuple[int, int]]],
) -> None:
    path, _ = demo
    before = path.read_bytes()

    with pytest.raises(ProjectFileError, match="already exists"):
        create_demo_project(path.parent)

    assert path.read_bytes() == before


def test_the_labeled_digits_are_frozen_as_version_v1(
    demo: tuple[Path, list[tuple[int, int]]], demo_project: Project
) -> None:
    database = Database(demo[0])
    try:
        with database.read() as connection:
            (record,) = versions.list_versions(connection)
            held = versions.version_items(connection, record.id)
    finally:
        database.close()

    assert (record.name, record.seed, record.author) == ("v1", 0, "demo")
    assert record.ratios == {"train": 0.8, "val": 0.1, "test": 0.1}
    assert [entry.name for entry in record.classes] == [str(d) for d in range(10)]
    assert {entry.item_id for entry in held} == set(demo_project.item_ids(status="done"))
    assert sum(record.counts["items"].values()) == len(held) == 1797
    for digit, count in sorted(Counter(DIGITS.target).items()):
        per_split = record.counts["classes"][str(digit)]
        assert sum(per_split.values()) == count
        assert abs(per_split["train"] - count * 0.8) <= 1
        assert abs(per_split["test"] - count * 0.1) <= 1


@pytest.mark.parametrize("step", ["_label_digits", "_freeze_first_version"])
def test_an_interrupted_demo_leaves_no_project_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def fail(*_args: object) -> None:
        raise RuntimeError("power cut while labeling")

    monkeypatch.setattr(f"studio.core.demo.{step}", fail)

    with pytest.raises(RuntimeError, match="power cut"):
        create_demo_project(tmp_path)

    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["images"]


def test_digit_pixels_scales_0_to_16_onto_0_to_255_in_4x4_blocks() -> None:
    values = np.array([[0, 8, 16, 4, 0, 0, 0, 0]] * 8, dtype=np.float64)

    pixels = digit_pixels(values)

    assert pixels.shape == (32, 32)
    assert pixels.dtype == np.uint8
    assert pixels[0].tolist() == [0] * 4 + [128] * 4 + [255] * 4 + [64] * 4 + [0] * 16


def test_the_demo_is_a_single_label_project_with_digit_hotkeys(demo_project: Project) -> None:
    assert demo_project.setting("labeling_mode") == "single_label"
    hotkeys = {c.name: c.hotkey for c in demo_project.classes()}
    assert hotkeys == {str(digit): str(digit) for digit in range(10)}
