"""The shared helpers of the benchmarks: ratios, quantiles and the printed table."""

from __future__ import annotations

import pytest

from benchmarks.harness import HEADERS, Measurement, format_table, percentile


def _row(**values: object) -> Measurement:
    defaults: dict[str, object] = {
        "benchmark": "b",
        "metric": "m",
        "unit": "u",
        "studio": 1.0,
        "baseline": 1.0,
        "higher_is_better": True,
    }
    return Measurement(**{**defaults, **values})  # type: ignore[arg-type]


def test_ratio_is_studios_speed_relative_to_the_baseline() -> None:
    assert _row(studio=80.0, baseline=100.0, higher_is_better=True).ratio == pytest.approx(0.8)
    assert _row(studio=4.0, baseline=1.0, higher_is_better=False).ratio == pytest.approx(0.25)


def test_meets_target_compares_the_ratio_with_its_floor() -> None:
    assert _row(studio=50.0, baseline=100.0, target=0.5).meets_target is True
    assert _row(studio=49.0, baseline=100.0, target=0.5).meets_target is False
    assert _row().meets_target is None


def test_percentile_interpolates_between_samples() -> None:
    samples = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(samples, 0.5) == 3.0
    assert percentile(samples, 0.95) == pytest.approx(4.8)
    assert percentile(samples, 1.0) == 5.0
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


def test_table_marks_missed_targets_and_lists_notes_once() -> None:
    rows = [
        _row(benchmark="fast", studio=90.0, baseline=100.0, target=0.8, note="same note"),
        _row(benchmark="slow", studio=10.0, baseline=100.0, target=0.8, note="same note"),
        _row(benchmark="latency", studio=2.0, baseline=1.0, higher_is_better=False, unit="ms"),
    ]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == list(HEADERS[:-1])
    assert lines[2].split() == ["fast", "m", "90.00", "100", "u", "0.90", "≥", "0.8", "ok"]
    assert lines[3].split() == ["slow", "m", "10.00", "100", "u", "0.10", "≥", "0.8", "MISSED"]
    assert lines[4].split() == ["latency", "m", "2.00", "1.00", "ms", "0.50", "—"]
    assert [line for line in lines if line.startswith("*")] == ["* same note"]
