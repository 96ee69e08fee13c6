"""`studio duplicates`, `studio health` and the warning of `studio version create`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import assert_user_error, run_cli
from tests.duplicate_photos import copy_of, write_photo_project


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_photo_project(tmp_path_factory.mktemp("template"))


@pytest.fixture
def photo_project(template: Path, tmp_path: Path) -> Path:
    """The photographs and copies, labeled, astronaut in train and its copy in test."""
    return copy_of(template, tmp_path / "project")


def test_duplicates_json_lists_each_copy_with_its_original(photo_project: Path) -> None:
    result = run_cli("duplicates", photo_project, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert sorted(sorted(group["paths"]) for group in found["groups"]) == [
        ["photos/astronaut.png", "photos/astronaut_copy.jpg"],
        ["photos/coffee.png", "photos/coffee_copy.jpg"],
    ]
    assert found["threshold"] == 4
    assert found["images"] == 10


def test_duplicates_prints_one_row_per_group(photo_project: Path) -> None:
    result = run_cli("duplicates", photo_project, "--threshold", "0")
    assert result.exit_code == 0, result.output
    assert "2 groups of duplicates among 10 images (phash, at most 0 bits" in result.stdout
    assert "photos/astronaut.png, photos/astronaut_copy.jpg" in result.stdout
    assert "photos/coffee.png, photos/coffee_copy.jpg" in result.stdout


def test_duplicates_refuses_a_threshold_out_of_range(photo_project: Path) -> None:
    result = run_cli("duplicates", photo_project, "--threshold", "40")
    assert_user_error(result, "duplicate threshold: 40 is outside 0 to 32 bits")


def test_version_create_prints_the_duplicates_across_splits_and_freezes(
    photo_project: Path,
) -> None:
    result = run_cli("version", "create", photo_project)
    assert result.exit_code == 0, result.output
    assert "studio: warning: version v1: 1 group of duplicate images" in result.stderr
    assert "version v1 (id 1)" in result.stdout


def test_health_json_counts_the_classes_per_split(photo_project: Path) -> None:
    run_cli("version", "create", photo_project)
    result = run_cli("health", photo_project, "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["version"] == "v1"
    assert figures["class_balance"] == {"photo": {"train": 9, "val": 0, "test": 1, "none": 0}}
    assert figures["never_reviewed"] == 10
    text = run_cli("health", photo_project)
    assert "items never reviewed: 10" in text.stdout
