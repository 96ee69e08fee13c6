"""The pure parts of pre-labeling: the class mapping (by name, never guessed), the
`--map` texts, the choice of items and turning predictions into suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import StudioError
from studio.core.prelabels import (
    ClassMappingError,
    PrelabelOptions,
    as_suggestions,
    items_to_prelabel,
    map_classes,
    parse_mapping,
    suggested_by,
)
from studio.core.queries import ItemQuery
from studio.core.suggestions import pending_at_least
from tests.core.image_files import save_image


def test_classes_map_by_name_then_ignoring_case_then_as_told() -> None:
    mapping = map_classes(["cat", "DOG", "bird"], ["cat", "dog", "fowl"], [("bird", "fowl")], "m")
    assert mapping == {"cat": "cat", "DOG": "dog", "bird": "fowl"}


def test_unmapped_classes_are_named_never_guessed() -> None:
    with pytest.raises(ClassMappingError, match=r"m: the model's classes 'owl', 'bat'") as error:
        map_classes(["cat", "owl", "bat"], ["cat", "bird"], [], "m")
    assert error.value.unmapped == ("owl", "bat")


def test_a_class_mapped_to_nothing_is_dropped_and_an_unknown_target_refused() -> None:
    assert map_classes(["cat", "owl"], ["cat"], [("owl", "")], "m") == {"cat": "cat"}
    with pytest.raises(ClassMappingError, match="'bird'"):
        map_classes(["owl"], ["cat"], [("owl", "bird")], "m")


def test_map_texts_are_model_class_equals_project_class() -> None:
    assert parse_mapping(["seven=7", " owl = "]) == (("seven", "7"), ("owl", ""))
    with pytest.raises(ClassMappingError, match="'seven': write MODEL_CLASS=PROJECT_CLASS"):
        parse_mapping(["seven"])


def test_options_refuse_a_threshold_outside_zero_to_one() -> None:
    with pytest.raises(StudioError, match=r"between 0 and 1, not 1\.5"):
        PrelabelOptions(threshold=1.5)
    assert PrelabelOptions("assistant:corner").assistant == "corner"
    assert PrelabelOptions("digits:1").assistant == ""


def test_predictions_become_mapped_model_suggestions_above_the_threshold() -> None:
    predictions = [
        {"item_id": 1, "label": "seven", "score": 0.9, "box": [0, 0, 2, 2]},
        {"item_id": 1, "label": "seven", "score": 0.1, "box": [1, 1, 2, 2]},
        {"item_id": 2, "label": "owl", "score": 0.99},
    ]
    assert as_suggestions(predictions, {"seven": "7"}, 0.5, "digits:1") == [
        {
            "item_id": 1,
            "label": "7",
            "score": 0.9,
            "box": [0, 0, 2, 2],
            "source": "model",
            "attributes": {"model": "digits:1"},
        }
    ]


def test_only_items_without_final_labels_are_chosen_unless_asked(
    project: Project, tmp_path: Path
) -> None:
    for index in range(3):
        save_image(tmp_path / f"p{index}.png", (16, 12), seed=index)
    project.import_media(sorted(tmp_path.glob("p*.png")))
    project.add_classes(["cat"])
    labeled, suggested, bare = project.item_ids()
    project.annotate(labeled, "cat", box=[1, 1, 4, 4])
    project.suggest_annotations([{"item_id": suggested, "label": "cat", "source": "model"}])
    with project.context.database.read() as connection:
        assert items_to_prelabel(connection, PrelabelOptions()) == [suggested, bare]
        everything = PrelabelOptions(include_labeled=True)
        assert items_to_prelabel(connection, everything) == [labeled, suggested, bare]
        chosen = PrelabelOptions(item_ids=(bare, labeled))
        assert items_to_prelabel(connection, chosen) == [bare]
        filtered = PrelabelOptions(filter=ItemQuery(text="p2"))
        assert items_to_prelabel(connection, filtered) == [bare]
        with pytest.raises(StudioError, match=r"unknown item ids: \[99\]"):
            items_to_prelabel(connection, PrelabelOptions(item_ids=(99,)))


def test_pending_suggestions_at_least_a_score_of_a_class_and_source(
    project: Project, tmp_path: Path
) -> None:
    save_image(tmp_path / "p.png", (16, 12), seed=1)
    project.import_media([tmp_path / "p.png"])
    project.add_classes(["cat", "dog"])
    [item] = project.item_ids()
    high_cat, _low_cat, high_dog, sam_cat = project.suggest_annotations(
        [
            {"item_id": item, "label": "cat", "box": [0, 0, 3, 3], "source": "model", "score": 0.9},
            {"item_id": item, "label": "cat", "box": [1, 0, 3, 3], "source": "model", "score": 0.2},
            {"item_id": item, "label": "dog", "box": [2, 0, 3, 3], "source": "model", "score": 0.8},
            {"item_id": item, "label": "cat", "box": [3, 0, 3, 3], "source": "sam", "score": 0.95},
        ]
    )
    cat = project.classes()[0].id
    with project.context.database.read() as connection:
        assert pending_at_least(connection, 0.5) == [high_cat, high_dog, sam_cat]
        assert pending_at_least(connection, 0.5, [cat]) == [high_cat, sam_cat]
        assert pending_at_least(connection, 0.5, [cat], ["model"]) == [high_cat]
    assert project.accept_suggestions_above(0.1, sources=["sam"]) == [sam_cat]


def test_items_a_model_already_suggested_on_are_known_by_the_models_name(
    project: Project, tmp_path: Path
) -> None:
    for index in range(4):
        save_image(tmp_path / f"p{index}.png", (16, 12), seed=index)
    project.import_media(sorted(tmp_path.glob("p*.png")))
    project.add_classes(["cat"])
    pending, rejected, other_model, bare = project.item_ids()
    made = [
        {"item_id": item, "label": "cat", "source": "model", "attributes": {"model": model}}
        for item, model in ((pending, "m:1"), (rejected, "m:1"), (other_model, "m:2"))
    ]
    ids = project.suggest_annotations(made)
    project.reject_suggestions([ids[1]])
    with project.context.database.read() as connection:
        assert suggested_by(connection, project.item_ids(), "m:1") == {pending, rejected}
        assert suggested_by(connection, [bare, other_model], "m:1") == set()
