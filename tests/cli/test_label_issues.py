"""`studio label-issues`: search and print, the stored list, fix and keep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.flipped_digits import FlippedDigits, flipped_digits_project
from benchmarks.swapped_boxes import SwappedBoxes
from studio.api import Project
from tests.box_label_projects import copy_of_boxes, shared_searched_boxes  # noqa: F401
from tests.cli_helpers import assert_user_error, run_cli


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> FlippedDigits:
    """300 digits, 15 of them with a flipped label, searched once from the command line."""
    digits = flipped_digits_project(tmp_path_factory.mktemp("cli-label-issues"), count=300)
    result = run_cli("label-issues", digits.path, "--folds", "3", "--json")
    assert result.exit_code == 0, result.output
    return digits


def test_the_search_prints_the_ranked_list_as_json(digits: FlippedDigits) -> None:
    listed = json.loads(run_cli("label-issues", digits.path, "--list", "--json").stdout)
    scores = [entry["score"] for entry in listed]
    assert listed
    assert scores == sorted(scores)
    assert {entry["given_label"] for entry in listed} <= set("0123456789")
    assert len({entry["item_id"] for entry in listed} & digits.flipped) >= 10


def test_the_table_names_each_item_its_label_and_the_suggestion(digits: FlippedDigits) -> None:
    result = run_cli("label-issues", digits.path, "--list")
    first = json.loads(run_cli("label-issues", digits.path, "--list", "--json").stdout)[0]
    assert result.exit_code == 0
    assert "suspected label errors" in result.stdout
    assert first["path"] in result.stdout


def test_fix_and_keep_decide_and_leave_the_list(digits: FlippedDigits) -> None:
    listed = json.loads(run_cli("label-issues", digits.path, "--list", "--json").stdout)
    fixed, kept = listed[0], listed[1]
    result = run_cli(
        "label-issues", digits.path, "--fix", str(fixed["item_id"]), "--keep", str(kept["item_id"])
    )
    assert result.exit_code == 0, result.output
    assert f"item {fixed['item_id']}" in result.stdout
    with Project.open(digits.path) as project:
        (tag,) = project.annotations(fixed["item_id"])
        left = {issue.item_id for issue in project.label_issues()}
    assert tag.label == fixed["suggested_label"]
    assert {fixed["item_id"], kept["item_id"]}.isdisjoint(left)


def test_deciding_on_an_item_without_an_issue_is_a_one_line_error(digits: FlippedDigits) -> None:
    assert_user_error(
        run_cli("label-issues", digits.path, "--keep", "999999"), "item 999999 has no open label"
    )


def test_an_empty_project_is_refused_in_one_line(tmp_path: Path) -> None:
    Project.create(tmp_path / "empty.studio").close()
    assert_user_error(run_cli("label-issues", tmp_path / "empty.studio"), "at least 2 classes")


def test_box_issues_are_listed_with_their_box_and_fixed_by_item_and_box(
    searched_boxes: SwappedBoxes, tmp_path: Path
) -> None:
    boxes = copy_of_boxes(searched_boxes, tmp_path)
    listed = json.loads(run_cli("label-issues", boxes.path, "--list", "--json").stdout)
    issue = next(entry for entry in listed if entry["kind"] == "box")
    assert len(issue["box"]) == 4
    target = f"{issue['item_id']}:{issue['annotation_id']}"
    result = run_cli("label-issues", boxes.path, "--fix", target)
    assert result.exit_code == 0, result.output
    assert f"box {issue['annotation_id']}" in result.stdout
    with Project.open(boxes.path) as project:
        labels = {a.id: a.label for a in project.annotations(issue["item_id"])}
    assert labels[issue["annotation_id"]] == issue["suggested_label"]


def test_a_target_that_is_not_item_or_item_and_box_is_a_one_line_error(
    searched_boxes: SwappedBoxes,
) -> None:
    assert_user_error(
        run_cli("label-issues", searched_boxes.path, "--keep", "3:box"), "is not ITEM or ITEM:BOX"
    )
