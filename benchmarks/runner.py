"""Running a selection of benchmarks in one temporary folder and collecting their rows."""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import (
    bench_annotations,
    bench_edit_latency,
    bench_formats,
    bench_gallery,
    bench_image_switch,
    bench_import,
    bench_open_gallery,
)
from benchmarks.harness import Measurement, Session

Benchmark = Callable[[Session], list[Measurement]]

# In the order of the foundation issue (#2).
BENCHMARKS: dict[str, Benchmark] = {
    "import": bench_import.run,
    "annotations": bench_annotations.run,
    "edit": bench_edit_latency.run,
    "open": bench_open_gallery.run,
    "gallery": bench_gallery.run,
    "switch": bench_image_switch.run,
    "formats": bench_formats.run,  # interchange formats (#4)
}


@dataclass
class RunResult:
    measurements: list[Measurement] = field(default_factory=list)
    seconds: float = 0.0
    session: Session | None = None


@contextmanager
def _own_garbage_collector_settings() -> Iterator[None]:
    """Give each benchmark the collector as it found it: the gallery's `settle_heap` freezes
    the heap and raises the thresholds, which would otherwise speed up every later row."""
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.collect()


def run_benchmarks(
    names: Sequence[str] = (), quick: bool = False, seed: int = 0, profile: bool = False
) -> RunResult:
    """Run the named benchmarks (all when `names` is empty) and return their rows."""
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmarks {unknown}; choose from: {', '.join(BENCHMARKS)}")
    selected = [name for name in BENCHMARKS if not names or name in names]
    result = RunResult()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as workdir:
        session = Session(Path(workdir), quick=quick, seed=seed, profile=profile)
        for name in selected:
            with _own_garbage_collector_settings():
                result.measurements.extend(BENCHMARKS[name](session))
    result.seconds = time.perf_counter() - start
    result.session = session
    return result
