"""`studio class-schema`: a class's attributes and keypoints set from a JSON file and shown;
a bad file or schema fails with one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from studio.api import Project
from tests.cli_helpers import assert_user_error, run_cli

SCHEMA = {
    "attributes": [{"name": "colour", "type": "choice", "values": ["red", "blue"]}],
    "keypoints": ["front", "back"],
    "skeleton": [[1, 2]],
}


def car_project(tmp_path: Path) -> Path:
    path = tmp_path / "cars.studio"
    with Project.create(path) as project:
        project.add_classes(["car"])
    return path


def test_a_schema_file_sets_the_class_schema_and_it_is_printed(tmp_path: Path) -> None:
    project = car_project(tmp_path)
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))

    result = run_cli("class-schema", project, "car", "--set", tmp_path / "schema.json")

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["attributes"] == [
        {"name": "colour", "type": "choice", "default": "red", "values": ["red", "blue"]}
    ]
    assert (shown["keypoints"], shown["skeleton"]) == (["front", "back"], [[1, 2]])
    assert json.loads(run_cli("class-schema", project, "car").stdout) == shown


def test_a_bad_attribute_fails_with_one_line_and_changes_nothing(tmp_path: Path) -> None:
    project = car_project(tmp_path)
    bad = {"attributes": [{"name": "doors", "type": "number", "min": 5, "max": 2}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))

    result = run_cli("class-schema", project, "car", "--set", tmp_path / "bad.json")

    assert_user_error(result, "attribute 'doors': min 5 is above max 2")
    assert json.loads(run_cli("class-schema", project, "car").stdout) == {}


def test_a_file_that_is_not_json_fails_naming_it(tmp_path: Path) -> None:
    project = car_project(tmp_path)
    (tmp_path / "schema.json").write_text("attributes: colour")

    result = run_cli("class-schema", project, "car", "--set", tmp_path / "schema.json")

    assert_user_error(result, "schema.json: not valid JSON")
