"""`studio queue`: the ordered items with their uncertainty, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import assert_user_error, run_cli
from tests.queue_projects import UNLABELED, copy_of, shared_queue_project  # noqa: F401


def test_queue_prints_the_items_least_sure_first(queue_project: Path, tmp_path: Path) -> None:
    project_path = copy_of(queue_project, tmp_path)
    result = run_cli("queue", project_path, "--json", "--no-diversity")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["model"] == "1"
    assert printed["strategy"] == "margin"
    assert printed["scored"] == printed["unlabeled"] == UNLABELED
    values = [entry["uncertainty"] for entry in printed["items"]]
    assert len(values) == UNLABELED
    assert values == sorted(values, reverse=True)
    text = run_cli("queue", project_path, "--limit", "3", "--no-diversity")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == f"3 of {UNLABELED} unlabeled items by margin uncertainty (run resnet18-1)"
    for rank, line in enumerate(lines[1:], start=1):
        entry = printed["items"][rank - 1]
        assert line.split() == [
            str(rank),
            f"{entry['uncertainty']:.4f}",
            str(entry["item_id"]),
            entry["path"],
        ]
    assert len(lines) == 4


def test_an_unknown_model_is_one_line(queue_project: Path, tmp_path: Path) -> None:
    project_path = copy_of(queue_project, tmp_path)
    result = run_cli("queue", project_path, "--model", "nosuch")
    assert_user_error(result, "'nosuch' is neither a run (id or name) nor a registered model")
