"""A process that writes to an embedding cache, for tests/core/test_embedding_cache.py.

Usage: PYTHONPATH=REPOSITORY python embedding_cache_child.py DIRECTORY MODE VALUE [GO_FILE]

    half-write  put an embedding filled with VALUE, but stop halfway through writing its
                array: print "half-written" and sleep until killed
    put-many    wait for GO_FILE to exist, then put an embedding filled with VALUE 30 times
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import BinaryIO

import numpy as np

from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey, EmbeddingMeta

KEY = EmbeddingKey("a" * 64, "b" * 64, 1024)
META = EmbeddingMeta((480, 640), (768, 1024), "vit_b")
SHAPE = (1, 256, 64, 64)  # a ViT-B embedding, 2 MiB as float16
PUTS = 30


def write_half_then_hang(stream: BinaryIO, array: np.ndarray, allow_pickle: bool = False) -> None:
    """Stands in for `np.lib.format.write_array`: writes half the array's file, then waits."""
    whole = io.BytesIO()
    real_write_array(whole, array, allow_pickle=allow_pickle)
    stream.write(whole.getvalue()[: len(whole.getvalue()) // 2])
    stream.flush()
    print("half-written", flush=True)
    time.sleep(600)


real_write_array = np.lib.format.write_array


def main(directory: str, mode: str, value: str, go_file: str = "") -> None:
    cache = EmbeddingCache(Path(directory), limit_bytes=1 << 30)
    array = np.full(SHAPE, float(value), dtype=np.float32)
    if mode == "half-write":
        np.lib.format.write_array = write_half_then_hang
        cache.put(KEY, array, META)
    elif mode == "put-many":
        while not Path(go_file).exists():
            time.sleep(0.001)
        for _ in range(PUTS):
            cache.put(KEY, array, META)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
