"""The label-error finder through the API, on the digits with 5 % of their labels flipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.flipped_digits import FlippedDigits, flipped_digits_project, recall_at_k
from studio.api import Project
from studio.core.errors import InvalidEditError, StudioError
from studio.ml.label_quality import LabelQualityOptions

THREE_FOLDS = LabelQualityOptions(folds=3)


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> FlippedDigits:
    """The flipped digits, searched once with three folds (about 10 s on 2 CPUs)."""
    digits = flipped_digits_project(tmp_path_factory.mktemp("label-issues"))
    with Project.open(digits.path) as project:
        project.find_label_issues(THREE_FOLDS)
    return digits


@pytest.fixture
def copy(searched: FlippedDigits, tmp_path: Path) -> Path:
    """A copy of the searched project file beside it (its images stay where they are)."""
    path = searched.path.with_name(f"{tmp_path.name}.studio")
    shutil.copyfile(searched.path, path)
    return path


def test_the_first_k_raised_hold_at_least_80_percent_of_the_flipped_labels(
    searched: FlippedDigits,
) -> None:
    with Project.open(searched.path) as project:
        issues = project.label_issues()
    assert recall_at_k([issue.item_id for issue in issues], searched.flipped) >= 0.8
    scores = [issue.score for issue in issues]
    assert scores == sorted(scores)


def test_each_issue_gives_the_label_and_the_out_of_fold_suggestion(
    searched: FlippedDigits,
) -> None:
    with Project.open(searched.path) as project:
        issues = project.label_issues()
    flipped = [issue for issue in issues if issue.item_id in searched.flipped]
    assert all(issue.given_label == searched.given[issue.item_id] for issue in issues)
    right = [issue for issue in flipped if issue.suggested_label == searched.truth[issue.item_id]]
    assert len(right) >= 0.8 * len(flipped)


def test_a_fix_applies_the_suggestion_and_one_undo_restores_label_and_issue(copy: Path) -> None:
    with Project.open(copy) as project:
        issue = project.label_issues()[0]
        project.fix_label_issue(issue.item_id)
        (tag,) = project.annotations(issue.item_id)
        assert tag.label == issue.suggested_label
        assert issue.item_id not in [open_.item_id for open_ in project.label_issues()]
        project.undo()
        (tag,) = project.annotations(issue.item_id)
        assert tag.label == issue.given_label
        assert project.label_issues()[0].item_id == issue.item_id


def test_a_kept_label_stays_hidden_from_later_searches_until_the_label_changes(
    searched: FlippedDigits, copy: Path
) -> None:
    with Project.open(copy) as project:
        first, second = [i for i in project.label_issues() if i.item_id in searched.flipped][:2]
        project.keep_label(first.item_id)
        project.keep_label(second.item_id)
        assert {first.item_id, second.item_id}.isdisjoint(i.item_id for i in project.label_issues())
        (tag,) = project.annotations(second.item_id)
        wrong = set("0123456789") - {searched.truth[second.item_id], second.given_label}
        project.update_annotation(tag.id, label=min(wrong))
        raised = {issue.item_id: issue for issue in project.find_label_issues(THREE_FOLDS)}
    assert first.item_id not in raised
    assert raised[second.item_id].given_label == min(wrong)


def test_deciding_on_an_item_without_an_open_issue_is_refused(copy: Path) -> None:
    with Project.open(copy) as project:
        raised = {issue.item_id for issue in project.label_issues()}
        calm = next(item_id for item_id in project.item_ids() if item_id not in raised)
        with pytest.raises(InvalidEditError, match=f"item {calm} has no open label issue"):
            project.keep_label(calm)
        assert {issue.item_id for issue in project.label_issues()} == raised


def test_a_project_without_two_tagged_classes_is_refused_in_one_line(tmp_path: Path) -> None:
    with (
        Project.create(tmp_path / "empty.studio") as project,
        pytest.raises(StudioError, match="at least 2 classes"),
    ):
        project.find_label_issues(THREE_FOLDS)
