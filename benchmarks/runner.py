"""Running a selection of benchmarks in one temporary folder and collecting their rows."""

from __future__ import annotations

import gc
import importlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import Measurement, Session

Benchmark = Callable[[Session], list[Measurement]]

# Name -> module, imported only when chosen: a headless GPU machine can run the training
# benchmarks without Qt, which the GUI benchmarks need. In the order of the issues.
BENCHMARKS: dict[str, str] = {
    "import": "bench_import",
    "annotations": "bench_annotations",
    "edit": "bench_edit_latency",
    "open": "bench_open_gallery",
    "gallery": "bench_gallery",
    "switch": "bench_image_switch",
    "formats": "bench_formats",  # interchange formats (#4)
    "training": "bench_training",  # training loop against a hand-written one (#5)
    "digits": "bench_digits",  # digits classifier to 95 % test accuracy (#5)
    "bundle": "bench_bundle",  # ONNX Runtime bundle against torch eager (#6)
    "presets": "bench_presets",  # the no-option train command on the demo (#11)
    "embeddings": "bench_embedding_cache",  # loading a cached SAM embedding (#13)
    "wand": "bench_magic_wand",  # a magic-wand click against a bare flood fill (#13)
    "sam": "bench_sam",  # SAM clicks, hover preview, encoders and look-ahead (#13)
    "duplicates": "bench_duplicates",  # near-duplicate search and hashing (#14)
    "prelabel": "bench_prelabel",  # pre-labeling throughput against the bare bundle (#14)
    "map": "bench_data_map",  # the map of the data: embeddings and layout (#14)
    "label-errors": "bench_label_errors",  # label-error recall at k, flipped digits (#14)
    "queue": "bench_queue",  # the active-learning queue against random order (#14)
    "status-jobs": "bench_status_jobs",  # the window's stall starting pre-labeling (#14)
}


def benchmark(name: str) -> Benchmark:
    """The `run(session)` function of the benchmark called `name`."""
    return importlib.import_module(f"benchmarks.{BENCHMARKS[name]}").run


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
                result.measurements.extend(benchmark(name)(session))
    result.seconds = time.perf_counter() - start
    result.session = session
    return result
