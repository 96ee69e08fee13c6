"""Near-duplicate search: Studio's grouping against a brute-force pairwise comparison, and
hashing photographs against a plain `imagehash.phash` loop.

Search: N seeded 64-bit hashes, 5 % of them copies of another with up to 3 bits flipped (a
resized or re-encoded copy), grouped at the default threshold. Studio: `group_duplicates`
(a blocked, vectorised XOR and bit count, then union-find into groups). The baseline: every
pair compared in Python with `(a ^ b).bit_count()` (pairs only, no grouping), the plain way
to do it. 5,000 hashes (800 with --quick).

Hashing: N JPEG photographs (scikit-image's astronaut, coffee and chelsea, shifted and
scaled to 1024 pixels wide) hashed by `content_hashes` with an empty cache (JPEG draft
decoding, a thread pool), against `imagehash.phash(Image.open(path))` one after another.
48 photographs (12 with --quick), after one untimed warm-up hash.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image
from skimage import data

from benchmarks.harness import Measurement, Session
from studio.core.duplicates import (
    DEFAULT_THRESHOLD,
    PerceptualHashCache,
    ProjectImage,
    content_hashes,
    group_duplicates,
)

FULL_HASHES, QUICK_HASHES = 5000, 800
FULL_PHOTOS, QUICK_PHOTOS = 48, 12
COPY_SHARE = 0.05
PHOTO_WIDTH = 1024


def _hashes(count: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    values = [int(value) for value in rng.integers(0, 2**63, size=count, dtype=np.uint64)]
    for index in rng.choice(count, size=int(count * COPY_SHARE), replace=False).tolist():
        source = values[int(rng.integers(0, count))]
        for bit in rng.integers(0, 64, size=int(rng.integers(0, 4))).tolist():
            source ^= 1 << bit
        values[index] = source
    return values


def _brute_force_pairs(values: list[int], threshold: int) -> list[tuple[int, int]]:
    pairs = []
    for first in range(len(values)):
        value = values[first]
        for second in range(first + 1, len(values)):
            if (value ^ values[second]).bit_count() <= threshold:
                pairs.append((first, second))
    return pairs


def _search_row(session: Session) -> Measurement:
    count = QUICK_HASHES if session.quick else FULL_HASHES
    values = _hashes(count, session.seed)
    contents = [f"{index:064x}" for index in range(count)]
    images = [ProjectImage(index, contents[index], Path()) for index in range(count)]
    hashes = dict(zip(contents, values, strict=True))
    with session.studio_side("near-duplicate search"):
        start = time.perf_counter()
        groups = group_duplicates(images, hashes, DEFAULT_THRESHOLD)
        studio_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    pairs = _brute_force_pairs(values, DEFAULT_THRESHOLD)
    baseline_ms = (time.perf_counter() - start) * 1000
    return Measurement(
        benchmark=f"near-duplicate search over {count:,} hashes",
        metric="time",
        unit="ms",
        studio=studio_ms,
        baseline=baseline_ms,
        higher_is_better=False,
        note=f"group_duplicates ({len(groups)} groups) vs Python pairwise bit counts "
        f"({len(pairs)} pairs), threshold {DEFAULT_THRESHOLD}",
    )


def _photographs(folder: Path, count: int) -> list[ProjectImage]:
    names = ("astronaut", "coffee", "chelsea")
    sources = [Image.fromarray(getattr(data, name)()) for name in names]
    images = []
    for index in range(count):
        source = sources[index % len(sources)].convert("RGB")
        shifted = np.roll(np.asarray(source), shift=index * 7, axis=1)
        image = Image.fromarray(shifted)
        image = image.resize((PHOTO_WIDTH, round(PHOTO_WIDTH * image.height / image.width)))
        path = folder / f"photo_{index:03d}.jpg"
        image.save(path, quality=90)
        images.append(ProjectImage(index, hashlib.sha256(path.read_bytes()).hexdigest(), path))
    return images


def _hashing_row(session: Session) -> Measurement:
    count = QUICK_PHOTOS if session.quick else FULL_PHOTOS
    folder = session.folder("duplicates")
    warm_up, *images = _photographs(folder, count + 1)
    with Image.open(warm_up.path) as opened:  # the first hash imports scipy's DCT: untimed
        imagehash.phash(opened)
    cache = PerceptualHashCache(folder / "hashes.sqlite")
    with session.studio_side("near-duplicate hashing"):
        start = time.perf_counter()
        content_hashes(images, "phash", cache)
        studio_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for image in images:
        with Image.open(image.path) as opened:
            imagehash.phash(opened)
    baseline_seconds = time.perf_counter() - start
    return Measurement(
        benchmark=f"near-duplicate hashing of {count} JPEG photographs {PHOTO_WIDTH} px wide",
        metric="throughput",
        unit="images/s",
        studio=count / studio_seconds,
        baseline=count / baseline_seconds,
        higher_is_better=True,
        note="content_hashes with an empty cache vs imagehash.phash(Image.open) in a loop",
    )


def run(session: Session) -> list[Measurement]:
    return [_search_row(session), _hashing_row(session)]
