"""What every benchmark shares: the run's settings, timing, results and the printed table.

A benchmark measures Studio and a hand-written baseline doing the same work in the same run,
on the same machine, and reports both figures with their ratio. Ratios are always "Studio's
speed as a fraction of the baseline's": figures where more is better (items/s) divide
Studio by the baseline, figures where less is better (milliseconds) divide the baseline by
Studio. So 1.0 means "as fast as the bare baseline" and a target is a floor in every row.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Measurement:
    """One row of the table: Studio's figure and the baseline's, measured in the same run."""

    benchmark: str
    metric: str
    unit: str
    studio: float
    baseline: float
    higher_is_better: bool
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        """Studio's speed relative to the baseline's (above 1: Studio is faster)."""
        if self.higher_is_better:
            return self.studio / self.baseline
        return self.baseline / self.studio

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.ratio >= self.target

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "meets_target": self.meets_target}


@dataclass
class Session:
    """Settings of one run, shared by its benchmarks, and the profiles collected on the way."""

    workdir: Path
    quick: bool = False
    seed: int = 0
    profile: bool = False
    profiles: dict[str, pstats.Stats] = field(default_factory=dict)

    def folder(self, name: str) -> Path:
        """A fresh, empty folder for one benchmark's files inside the run's temporary folder."""
        path = self.workdir / name
        path.mkdir(parents=True)
        return path

    @contextmanager
    def studio_side(self, benchmark: str) -> Iterator[None]:
        """Wrap Studio's timed work: under `--profile` it runs inside cProfile."""
        if not self.profile:
            yield
            return
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
            if benchmark in self.profiles:
                self.profiles[benchmark].add(profiler)
            else:
                self.profiles[benchmark] = pstats.Stats(profiler)


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Seconds `work()` took on the monotonic high-resolution clock, and what it returned."""
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of `samples` (linear interpolation between order statistics)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


HEADERS = ("benchmark", "metric", "Studio", "baseline", "unit", "ratio", "target", "")


def _cells(row: Measurement) -> tuple[str, ...]:
    verdict = {None: "", True: "ok", False: "MISSED"}[row.meets_target]
    target = f"≥ {row.target:g}" if row.target is not None else "—"
    return (
        row.benchmark,
        row.metric,
        _number(row.studio),
        _number(row.baseline),
        row.unit,
        f"{row.ratio:.2f}",
        target,
        verdict,
    )


def format_table(rows: Sequence[Measurement]) -> str:
    """A plain-text table (pastes into issues and terminals alike), notes numbered below it."""
    cells = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in cells) for column in range(len(HEADERS))]
    numeric = {2, 3, 5}

    def render(line: tuple[str, ...]) -> str:
        parts = [
            text.rjust(width) if column in numeric else text.ljust(width)
            for column, (text, width) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths).rstrip()
    lines = [render(HEADERS), rule, *(render(line) for line in cells[1:])]
    notes = list(dict.fromkeys(row.note for row in rows if row.note))
    if notes:
        lines.append("")
        lines.extend(f"* {note}" for note in notes)
    return "\n".join(lines)


def format_profiles(profiles: dict[str, pstats.Stats], top: int = 25) -> str:
    """The functions with the most cumulative time on Studio's side, per benchmark."""
    blocks = []
    for benchmark, stats in profiles.items():
        stream = io.StringIO()
        stats.stream = stream
        stats.sort_stats("cumulative").print_stats(top)
        blocks.append(f"== profile of Studio's side: {benchmark} ==\n{stream.getvalue().strip()}")
    return "\n\n".join(blocks)
