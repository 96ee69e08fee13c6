"""Suggestions: a review state apart from the source, and what each state lets through."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from studio.core import versions
from studio.core.annotations import FINAL_REVIEWS, annotations_of_items
from studio.core.database import Database
from studio.core.errors import InvalidEditError
from studio.core.queries import ItemQuery, item_badges, item_ids
from tests.conftest import write_images

TRIANGLE = [(1, 1), (20, 1), (20, 20)]
PROMPTS = {"sam": {"points": [[10, 5, 1]], "box": None}}


@pytest.fixture
def item(project: Project, tmp_path: Path) -> int:
    project.add_classes(["cat", "dog"])
    (item_id,) = project.import_media(write_images(tmp_path / "images", 1, size=(40, 30))).added
    return item_id


def suggest(project: Project, item_id: int, **extra: object) -> int:
    spec = {"item_id": item_id, "label": "dog", "polygon": TRIANGLE, "source": "sam", **extra}
    (annotation_id,) = project.suggest_annotations([spec])
    return annotation_id


def review_of(project: Project, annotation_id: int, item_id: int) -> str | None:
    (record,) = [
        a for a in project.annotations(item_id, include_rejected=True) if a.id == annotation_id
    ]
    return record.review


def test_a_new_suggestion_is_pending_and_a_human_shape_has_no_review(
    project: Project, item: int
) -> None:
    suggestion = suggest(project, item)
    human = project.annotate(item, "cat", box=[1, 1, 5, 5])
    assert review_of(project, suggestion, item) == "pending"
    assert review_of(project, human, item) is None


def test_a_sam_or_model_shape_added_without_a_review_is_pending(
    project: Project, item: int
) -> None:
    sam = project.annotate(item, "dog", polygon=TRIANGLE, source="sam")
    (model,) = project.add_annotations([{"item_id": item, "label": "cat", "source": "model"}])
    assert review_of(project, sam, item) == review_of(project, model, item) == "pending"


def test_accepting_keeps_the_prompts_and_is_one_undo_step(project: Project, item: int) -> None:
    first = suggest(project, item, attributes=PROMPTS, score=0.8)
    second = suggest(project, item)
    project.accept_suggestions([first, second])
    accepted = {a.id: a for a in project.annotations(item)}
    assert {accepted[first].review, accepted[second].review} == {"accepted"}
    assert (accepted[first].attributes, accepted[first].source) == (PROMPTS, "sam")
    assert accepted[first].score == 0.8
    assert project.undo().description == "Accept 2 suggestions"
    assert review_of(project, first, item) == review_of(project, second, item) == "pending"


def test_rejected_suggestions_are_kept_but_hidden(project: Project, item: int) -> None:
    suggestion = suggest(project, item)
    project.reject_suggestions([suggestion])
    assert project.annotations(item) == []
    assert review_of(project, suggestion, item) == "rejected"
    assert project.item_badges([item]) == {item: (0, [])}
    assert project.stats().annotations_by_class == {"cat": 0, "dog": 0}
    project.undo()
    assert [a.id for a in project.annotations(item)] == [suggestion]


def test_reviewing_an_ordinary_shape_or_an_unknown_id_changes_nothing(
    project: Project, item: int
) -> None:
    suggestion = suggest(project, item)
    human = project.annotate(item, "cat", box=[1, 1, 5, 5])
    with pytest.raises(InvalidEditError, match=rf"annotations \[{human}\] are not suggestions"):
        project.accept_suggestions([suggestion, human])
    with pytest.raises(InvalidEditError, match=r"unknown annotation ids: \[999\]"):
        project.reject_suggestions([suggestion, 999])
    assert review_of(project, suggestion, item) == "pending"


def test_a_suggestion_needs_a_machine_source_and_no_review_of_its_own(
    project: Project, item: int
) -> None:
    with pytest.raises(InvalidEditError, match=r"suggestion #0: give the machine source"):
        project.suggest_annotations([{"item_id": item, "label": "dog"}])
    with pytest.raises(InvalidEditError, match=r"suggestion #0: a new suggestion is always"):
        suggest(project, item, review="accepted")
    with pytest.raises(InvalidEditError, match=r"annotation #0: .*review"):
        project.add_annotations([{"item_id": item, "label": "dog", "review": "maybe"}])
    assert project.annotations(item) == []


def test_a_version_takes_an_accepted_suggestion_and_leaves_a_pending_one_out(
    project: Project, item: int, database: Database
) -> None:
    human = project.annotate(item, "cat", box=[1, 1, 5, 5])
    accepted, pending, rejected = (suggest(project, item) for _ in range(3))
    project.accept_suggestions([accepted])
    project.reject_suggestions([rejected])
    project.set_status(item, "done")
    record = versions.create_version(database)
    with database.read() as connection:
        (entry,) = versions.version_items(connection, record.id)
    assert [a["id"] for a in entry.annotations] == [human, accepted]
    assert pending not in [a["id"] for a in entry.annotations]


def test_exports_read_only_human_shapes_and_accepted_suggestions(
    project: Project, item: int, database: Database
) -> None:
    human = project.annotate(item, "cat", box=[1, 1, 5, 5])
    accepted, _pending, rejected = (suggest(project, item) for _ in range(3))
    project.accept_suggestions([accepted])
    project.reject_suggestions([rejected])
    with database.read() as connection:
        final = annotations_of_items(connection, [item], FINAL_REVIEWS)
    assert [a.id for a in final[item]] == [human, accepted]


def test_the_gallery_query_filters_by_review_state(
    project: Project, item: int, database: Database, tmp_path: Path
) -> None:
    other = project.import_media(write_images(tmp_path / "more", 1, seed=3)).added[0]
    suggest(project, item)
    project.reject_suggestions([suggest(project, other)])
    with database.read() as connection:
        assert item_ids(connection, ItemQuery(review="pending")) == [item]
        assert item_ids(connection, ItemQuery(review=["rejected"])) == [other]
        assert item_ids(connection, ItemQuery(source="sam")) == [item]  # rejected: no match
        assert item_badges(connection, [other]) == {other: (0, [])}
    with pytest.raises(ValueError, match="review"):
        ItemQuery(review="maybe")


def suggest_tag(project: Project, item_id: int, label: str) -> int:
    spec = {"item_id": item_id, "label": label, "source": "model", "score": 0.9}
    (annotation_id,) = project.suggest_annotations([spec])
    return annotation_id


def test_counts_keep_pending_suggestions_apart_from_the_annotations(
    project: Project, item: int
) -> None:
    project.annotate(item, "cat", box=[1, 1, 5, 5])
    suggest(project, item)
    stats = project.stats()
    assert (stats.annotations, stats.pending_suggestions) == (1, 1)
    assert stats.annotations_by_class == {"cat": 1, "dog": 0}
    assert stats.items_by_class == {"cat": 1, "dog": 0}


def test_choosing_the_suggested_tag_accepts_it_and_keeps_its_score(
    project: Project, item: int
) -> None:
    suggestion = suggest_tag(project, item, "dog")
    assert project.set_image_tags(item, ["dog"]) == [suggestion]
    (tag,) = project.annotations(item)
    assert (tag.id, tag.review, tag.source, tag.score) == (suggestion, "accepted", "model", 0.9)
    project.undo()
    assert review_of(project, suggestion, item) == "pending"


def test_choosing_another_tag_rejects_the_suggestion_instead_of_deleting_it(
    project: Project, item: int
) -> None:
    suggestion = suggest_tag(project, item, "dog")
    (cat,) = project.set_image_tags(item, ["cat"])
    assert [(a.id, a.label, a.review) for a in project.annotations(item)] == [(cat, "cat", None)]
    assert review_of(project, suggestion, item) == "rejected"


def test_choosing_a_rejected_suggestions_class_after_all_accepts_it(
    project: Project, item: int
) -> None:
    suggestion = suggest_tag(project, item, "dog")
    project.reject_suggestions([suggestion])
    project.set_image_tags(item, ["cat"])
    project.set_image_tags(item, ["dog"])
    assert [(a.id, a.review) for a in project.annotations(item)] == [(suggestion, "accepted")]


def test_a_person_adding_the_suggested_tag_accepts_the_suggestion(
    project: Project, item: int
) -> None:
    suggestion = suggest_tag(project, item, "dog")
    assert project.annotate(item, "dog") == suggestion
    assert review_of(project, suggestion, item) == "accepted"
