"""`python -m benchmarks --quick`, run in-process: every row is complete and self-consistent.

No timing is asserted (the machine's load decides those); what must hold is that each
benchmark ran, measured both sides and reports a ratio that matches its two figures.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.runner import BENCHMARKS

EXPECTED_TARGETS = {"import": 0.8, "annotations": 0.5}
# The first word of each benchmark's row names, by registered benchmark.
ROW_PREFIXES = {
    "import": "import",
    "annotations": "insert",
    "edit": "one",
    "open": "open",
    "gallery": "gallery",
    "switch": "image",
    "formats": "label",
    "training": "training",
    "digits": "digits",
    "bundle": "bundle",
    "presets": "presets",
    "embeddings": "embedding",
    "wand": "magic",
    "sam": "SAM",
    "duplicates": "near-duplicate",
    "prelabel": "pre-labeling",
    "map": "data",
    "label-errors": "label-errors",
    "queue": "active",
    "status-jobs": "starting",
}
UNITS = {"items/s", "rows/s", "ms", "MB", "s", "images/s", "accuracy", "recall"}
LABEL_IMPORT_TARGET = 0.2  # Studio's time at most 5 × json.load's (issue #4)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """One quick run for the module; its printed table and its JSON document."""
    report = tmp_path_factory.mktemp("bench") / "results.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["--quick", "--json", str(report)]) == 0
    return printed.getvalue(), json.loads(report.read_text(encoding="utf-8"))


def _expected_ratio(row: dict) -> float:
    if row["higher_is_better"]:
        return row["studio"] / row["baseline"]
    return row["baseline"] / row["studio"]


def test_every_row_has_positive_figures_and_a_consistent_ratio(quick_run: tuple[str, dict]) -> None:
    _, document = quick_run
    rows = document["results"]
    assert len(rows) >= len(BENCHMARKS)
    for row in rows:
        assert row["studio"] > 0, row
        assert row["baseline"] > 0, row
        assert math.isfinite(row["ratio"]), row
        assert row["ratio"] == pytest.approx(_expected_ratio(row), rel=1e-9), row
        if row["target"] is not None:
            assert row["meets_target"] == (row["ratio"] >= row["target"]), row


def test_the_issue_targets_are_reported(quick_run: tuple[str, dict]) -> None:
    _, document = quick_run
    targets = {row["benchmark"].split()[0]: row["target"] for row in document["results"]}
    assert targets["import"] == EXPECTED_TARGETS["import"]
    assert targets["insert"] == EXPECTED_TARGETS["annotations"]
    label_imports = [r for r in document["results"] if r["benchmark"].startswith("label import")]
    assert len(label_imports) == 2
    assert all(row["target"] == LABEL_IMPORT_TARGET for row in label_imports)
    assert {row["unit"] for row in document["results"]} <= UNITS


def test_the_printed_table_shows_every_row_once(quick_run: tuple[str, dict]) -> None:
    printed, document = quick_run
    table_lines = printed.splitlines()
    for row in document["results"]:
        matching = [
            line
            for line in table_lines
            if line.startswith(row["benchmark"]) and f" {row['metric']} " in line
        ]
        assert len(matching) == 1, row
        assert f"{row['ratio']:.2f}" in matching[0]
    assert document["quick"] is True
    assert document["environment"]["sqlite"]


def test_only_runs_the_named_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    report = tmp_path / "edit.json"
    assert main(["--quick", "--only", "edit", "--json", str(report)]) == 0
    rows = json.loads(report.read_text(encoding="utf-8"))["results"]
    assert [row["metric"] for row in rows] == ["median", "p95"]
    assert all(row["unit"] == "ms" for row in rows)
    assert "one acknowledged edit" in capsys.readouterr().out


def test_profile_prints_studios_hot_functions(capsys: pytest.CaptureFixture) -> None:
    assert main(["--quick", "--only", "open", "--profile"]) == 0
    printed = capsys.readouterr().out
    assert "== profile of Studio's side: open + first page ==" in printed
    assert "item_ids" in printed


def test_an_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--only", "nonsense"])
    assert stopped.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err


def test_every_registered_benchmark_is_in_the_quick_run(quick_run: tuple[str, dict]) -> None:
    _, document = quick_run
    assert set(BENCHMARKS) == set(ROW_PREFIXES)
    prefixes = {row["benchmark"].split()[0] for row in document["results"]}
    assert prefixes == set(ROW_PREFIXES.values())
