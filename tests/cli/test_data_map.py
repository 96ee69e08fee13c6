"""`studio map`: item id, x, y, class and split of every image, for scripts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from studio.api import Project
from tests.cli_helpers import assert_user_error, run_cli


def test_map_writes_one_csv_row_per_image_with_its_class_and_split(
    trained_digits: Path, tmp_path: Path
) -> None:
    out = tmp_path / "map.csv"

    result = run_cli("map", trained_digits, "--method", "tsne", "--out", out)

    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    with Project.open(trained_digits) as project:
        items = {item.id: item for item in project.items()}
    assert list(rows[0]) == ["item_id", "x", "y", "path", "sha256", "label", "split", "status"]
    assert sorted(int(row["item_id"]) for row in rows) == sorted(items)
    assert all(0 <= float(row["x"]) <= 1 and 0 <= float(row["y"]) <= 1 for row in rows)
    row = rows[0]
    assert row["path"] == items[int(row["item_id"])].path
    assert row["label"] in {str(digit) for digit in range(10)}
    assert row["split"] == ""  # the digits' items have no split of their own
    assert "150 images mapped" in result.stderr


def test_map_json_of_one_class_holds_that_classs_items_only(trained_digits: Path) -> None:
    result = run_cli("map", trained_digits, "--label", "3", "--method", "tsne", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    with Project.open(trained_digits) as project:
        threes = set(project.item_ids(label="3"))
    assert len(threes) > 5
    assert {point["item_id"] for point in document["points"]} == threes
    assert {point["label"] for point in document["points"]} == {"3"}
    assert document["method"] == "tsne"
    assert document["model"].startswith("run ")


def test_map_with_an_unknown_method_fails_in_one_line(trained_digits: Path) -> None:
    result = run_cli("map", trained_digits, "--method", "pca")

    assert_user_error(result, "unknown layout method 'pca'")
