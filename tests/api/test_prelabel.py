"""Pre-labels through the API: a registered model and an exported bundle fill pending
suggestions on the unlabeled items only, accepting those above a threshold is one undo step,
a model whose classes the project lacks is refused by name, and a plugin's pre-labeler goes
through the same path. Two tests start a worker (one of them imports torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from studio.api import (
    PLUGIN_API_VERSION,
    AssistantSpec,
    ClassMappingError,
    PrelabelOptions,
    Project,
    hookimpl,
)
from studio.plugins.manager import StudioPlugins
from tests.prelabel_projects import BUNDLE, LABELED, UNLABELED, trained_digits, unlabeled_ids


@pytest.fixture
def digits(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    path = trained_digits(tmp_path_factory, tmp_path / "copy")
    with Project.open(path, author="tester") as project:
        yield project


def pending(project: Project, item_ids: list[int]) -> dict[int, list[Any]]:
    return {item: project.annotations(item) for item in item_ids}


def test_a_registered_model_pre_labels_the_unlabeled_items_only(digits: Project) -> None:
    unlabeled = unlabeled_ids(digits)
    labeled = [item for item in digits.item_ids() if item not in unlabeled]
    before = {item: digits.annotations(item) for item in labeled}
    outcome = digits.prelabel(PrelabelOptions("digits:production", threshold=0.0))
    assert (outcome.model, outcome.items, outcome.suggestions) == ("digits:1", UNLABELED, UNLABELED)
    for shapes in pending(digits, unlabeled).values():
        [shape] = shapes
        assert (shape.kind, shape.source, shape.review) == ("tag", "model", "pending")
        assert 0.0 < shape.score <= 1.0
        assert shape.attributes == {"model": "digits:1"}
    assert {item: digits.annotations(item) for item in labeled} == before


def test_a_bundle_pre_labels_and_accepting_above_a_threshold_is_one_undo_step(
    digits: Project,
) -> None:
    bundle = digits.root / BUNDLE
    outcome = digits.prelabel(PrelabelOptions(str(bundle), threshold=0.0))
    assert (outcome.model, outcome.suggestions) == ("bundle digits:1", UNLABELED)
    shapes = [shape for item in unlabeled_ids(digits) for shape in digits.annotations(item)]
    threshold = float(np.median([shape.score for shape in shapes]))
    expected = sorted(shape.id for shape in shapes if shape.score >= threshold)
    assert digits.accept_suggestions_above(threshold) == expected
    accepted = [
        shape.id
        for item in unlabeled_ids(digits)
        for shape in digits.annotations(item)
        if shape.review == "accepted"
    ]
    assert sorted(accepted) == expected
    digits.undo()
    after = [shape.review for item in unlabeled_ids(digits) for shape in digits.annotations(item)]
    assert set(after) == {"pending"}


def test_a_model_whose_classes_the_project_lacks_is_refused_by_name(digits: Project) -> None:
    digits.update_class("7", name="seven")
    with pytest.raises(ClassMappingError, match=r"'7'.*--map 7=CLASS") as refused:
        digits.prelabel(PrelabelOptions("digits:1"))
    assert refused.value.unmapped == ("7",)
    assert all(not shapes for shapes in pending(digits, unlabeled_ids(digits)).values())
    mapped = PrelabelOptions("digits:1", class_mapping=(("7", "seven"),))
    assert digits.prelabels.class_mapping(mapped)["7"] == "seven"
    dropped = PrelabelOptions("digits:1", class_mapping=(("7", ""),))
    assert "7" not in digits.prelabels.class_mapping(dropped)
    with pytest.raises(ClassMappingError, match="'eight'"):
        digits.prelabels.class_mapping(PrelabelOptions("digits:1", class_mapping=(("7", "eight"),)))


def test_the_default_model_is_the_newest_finished_run(digits: Project) -> None:
    name, classes = digits.prelabels.model_classes(PrelabelOptions().source)
    assert (name, classes) == ("run tiny", [str(digit) for digit in range(10)])


def test_labeled_items_are_pre_labeled_only_when_asked(digits: Project) -> None:
    everything = PrelabelOptions(str(digits.root / BUNDLE), include_labeled=True)
    assert len(digits.prelabels.items_to_prelabel(everything)) == LABELED + UNLABELED
    chosen = PrelabelOptions("digits:1", item_ids=tuple(digits.item_ids()[:3]))
    assert digits.prelabels.items_to_prelabel(chosen) == []


class Corner:
    """A pre-labeler: a box in the image's top-left quarter, for the first class."""

    def suggest(self, image_path: Path, classes: list[str]) -> list[dict[str, Any]]:
        width, height = Image.open(image_path).size
        return [{"label": classes[0], "box": [0, 0, width // 2, height // 2], "score": 0.8}]


class CornerPlugin:
    STUDIO_PLUGIN_API = PLUGIN_API_VERSION

    @hookimpl
    def studio_assistants(self) -> list[AssistantSpec]:
        return [AssistantSpec("corner", "Corner", "pre-labeler", Corner)]


def test_a_plugins_pre_labeler_suggests_through_the_same_path(
    tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    studio_plugins.register(CornerPlugin(), "corner")
    for shade, name in enumerate(("a", "b")):
        pixels = np.full((20, 30, 3), 90 + shade, dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{name}.png")
    with Project.create(tmp_path / "boxes.studio", author="tester") as project:
        project.add_classes(["thing"])
        project.import_media([tmp_path / "a.png", tmp_path / "b.png"])
        outcome = project.prelabel(PrelabelOptions("assistant:corner", batch_size=1))
        assert (outcome.model, outcome.items, outcome.suggestions) == ("assistant corner", 2, 2)
        for item in project.item_ids():
            [shape] = project.annotations(item)
            assert (shape.kind, shape.geometry, shape.score) == ("box", [0, 0, 15, 10], 0.8)
            assert (shape.source, shape.review) == ("model", "pending")
            assert shape.attributes == {"model": "assistant corner"}
        project.undo()  # one undo step per batch: the last item's suggestion only
        assert [len(project.annotations(item)) for item in project.item_ids()] == [1, 0]
