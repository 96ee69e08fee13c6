"""Loading a cached embedding: `EmbeddingCache.get` against `np.load` of the same array's file.

The embedding is ViT-B sized, 1×256×64×64 float16 (2 MiB). Studio's side is a cache hit:
open the entry, check its header and key, read the array and mark the entry as used. The
baseline reads the same array from a bare `.npy` file with `np.load`, in the same folder;
both files were just written, so both sit in the page cache. The sides alternate load by
load, after a few warm-up loads of each; medians and p95s.
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import Measurement, Session, median, percentile, timed
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey, EmbeddingMeta

SHAPE = (1, 256, 64, 64)
FULL_LOADS = 500
QUICK_LOADS = 20
WARM_UP = 5
KEY = EmbeddingKey("1" * 64, "2" * 64, 1024)
META = EmbeddingMeta(original_size=(1200, 1600), resized_size=(768, 1024), model_kind="vit_b")


def run(session: Session) -> list[Measurement]:
    loads = QUICK_LOADS if session.quick else FULL_LOADS
    folder = session.folder("embedding-cache")
    array = np.random.default_rng(session.seed).normal(size=SHAPE).astype(np.float16)
    cache = EmbeddingCache(folder / "cache", limit_bytes=64 << 20)
    cache.put(KEY, array, META)
    raw = folder / "embedding.npy"
    np.save(raw, array)
    studio_ms: list[float] = []
    baseline_ms: list[float] = []
    for index in range(WARM_UP + loads):
        with session.studio_side("embedding cache"):
            studio_s, entry = timed(lambda: cache.get(KEY))
        baseline_s, loaded = timed(lambda: np.load(raw))
        if entry is None or not np.array_equal(entry.array, loaded):
            raise RuntimeError("the cache did not return the embedding it was given")
        if index >= WARM_UP:
            studio_ms.append(studio_s * 1000)
            baseline_ms.append(baseline_s * 1000)
    note = (
        f"embedding cache: get of a cached 1x256x64x64 fp16 embedding vs np.load of the same "
        f"array's .npy, {loads} loads per side alternating, after {WARM_UP} warm-up loads"
    )
    return [
        Measurement(
            benchmark="embedding cache load",
            metric=name,
            unit="ms",
            studio=statistic(studio_ms),
            baseline=statistic(baseline_ms),
            higher_is_better=False,
            note=note,
        )
        for name, statistic in (
            ("median", median),
            ("p95", lambda samples: percentile(samples, 0.95)),
        )
    ]
