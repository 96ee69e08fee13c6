"""The on-disk embedding cache: round trips, keys, crash safety, several processes, LRU limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from studio.core.embedding_cache import (
    DEFAULT_LIMIT_BYTES,
    LIMIT_ENV,
    LIMIT_FILE,
    EmbeddingCache,
    EmbeddingCacheError,
    EmbeddingKey,
    EmbeddingMeta,
    embedding_cache_limit,
    parse_size,
    set_embedding_cache_limit,
)
from studio.core.thumbnails import cache_dir
from tests.core import embedding_cache_child as child
from tests.unprivileged import read_only, run_python

REPOSITORY = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 60
META = EmbeddingMeta(original_size=(480, 640), resized_size=(768, 1024), model_kind="vit_b")
SMALL_SHAPE = (1, 8, 16, 16)  # 4 KiB as float16


def key(image: str = "1", checkpoint: str = "2", input_size: int = 1024) -> EmbeddingKey:
    return EmbeddingKey(image * 64, checkpoint * 64, input_size)


def embedding(seed: int, shape: tuple[int, ...] = SMALL_SHAPE) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def spawn_child(*args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, child.__file__, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        text=True,
    )


def partial_files(cache: EmbeddingCache) -> list[Path]:
    return sorted(cache.directory.glob("??/.*.partial"))


def test_a_round_trip_keeps_float16_values_shape_and_meta(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    array = embedding(0)
    cache.put(key(), array, META)
    found = cache.get(key())
    assert found is not None
    assert found.array.dtype == np.float16
    assert found.array.shape == SMALL_SHAPE
    np.testing.assert_array_equal(found.array, array.astype(np.float16))
    assert found.meta == META
    assert found.extra_arrays == {}


def test_extra_arrays_come_back_by_name_as_float16(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    features = {"high_res_0": embedding(1, (1, 4, 32, 32)), "high_res_1": embedding(2, (1, 8, 8))}
    cache.put(key(), embedding(0), META, extra_arrays=features)
    found = cache.get(key())
    assert found is not None
    assert list(found.extra_arrays) == ["high_res_0", "high_res_1"]
    for name, array in features.items():
        np.testing.assert_array_equal(found.extra_arrays[name], array.astype(np.float16))


def test_a_second_get_from_another_cache_object_is_a_hit(tmp_path: Path) -> None:
    EmbeddingCache(tmp_path, limit_bytes=1 << 20).put(key(), embedding(0), META)
    reopened = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    first, second = reopened.get(key()), reopened.get(key())
    assert first is not None
    assert second is not None
    np.testing.assert_array_equal(first.array, second.array)
    assert reopened.contains(key())


def test_the_default_folder_is_in_the_user_cache_folder() -> None:
    cache = EmbeddingCache(limit_bytes=1 << 20)
    cache.put(key(), embedding(0), META)
    assert cache.path_of(key()).is_relative_to(cache_dir() / "embeddings")
    assert cache.path_of(key()).is_file()


@pytest.mark.parametrize(
    "other",
    [key(image="3"), key(checkpoint="4"), key(input_size=512)],
    ids=["image", "checkpoint", "input size"],
)
def test_keys_differing_in_one_field_are_separate_entries(
    tmp_path: Path, other: EmbeddingKey
) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    cache.put(key(), embedding(0), META)
    assert cache.get(other) is None
    assert not cache.contains(other)
    cache.put(other, embedding(1), META)
    mine, theirs = cache.get(key()), cache.get(other)
    assert mine is not None
    assert theirs is not None
    assert not np.array_equal(mine.array, theirs.array)


def test_a_key_must_hold_sha256_digests_and_a_positive_size() -> None:
    with pytest.raises(ValueError, match="image_sha256"):
        EmbeddingKey("not-a-hash", "2" * 64, 1024)
    with pytest.raises(ValueError, match="input_size"):
        EmbeddingKey("1" * 64, "2" * 64, 0)


def test_an_array_not_finite_as_float16_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    with pytest.raises(EmbeddingCacheError, match="not finite as float16"):
        cache.put(key(), np.full(SMALL_SHAPE, 1e6, dtype=np.float32), META)
    assert cache.get(key()) is None
    assert not list(tmp_path.rglob("*.*"))


READ_ONLY_CHILD = """
import sys
from pathlib import Path
from studio.core.embedding_cache import EmbeddingCache, EmbeddingCacheError
from tests.core.embedding_cache_child import KEY, META, SHAPE
import numpy as np

cache = EmbeddingCache(Path(sys.argv[1]), limit_bytes=1 << 30)
print("hit" if cache.get(KEY) is not None else "miss")
try:
    cache.put(KEY, np.zeros(SHAPE), META)
except EmbeddingCacheError as error:
    print(error)
"""


def test_a_read_only_cache_folder_still_answers_and_refuses_writes_in_one_line(
    tmp_path: Path,
) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 30)
    entry = cache.put(child.KEY, np.ones(child.SHAPE), child.META)
    before = entry.read_bytes()
    with read_only(entry.parent):
        finished = run_python("-c", READ_ONLY_CHILD, tmp_path)
    assert finished.returncode == 0, finished.stderr
    hit, refusal = finished.stdout.splitlines()
    assert hit == "hit"
    assert refusal.startswith(f"cannot write the embedding {entry}: [Errno 13] Permission denied")
    assert entry.read_bytes() == before
    assert partial_files(cache) == []


def test_a_truncated_entry_is_a_miss_until_put_replaces_it(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    path = cache.put(key(), embedding(0), META)
    path.write_bytes(path.read_bytes()[:-100])
    assert cache.get(key()) is None
    cache.put(key(), embedding(1), META)
    found = cache.get(key())
    assert found is not None
    np.testing.assert_array_equal(found.array, embedding(1).astype(np.float16))


def test_a_writer_killed_mid_write_leaves_the_old_entry_whole(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 30)
    cache.put(child.KEY, np.full(child.SHAPE, 1.0, dtype=np.float32), child.META)
    writer = spawn_child(tmp_path, "half-write", 2.0)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "half-written\n", writer.stderr
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(CHILD_TIMEOUT_S)
    assert writer.returncode == -signal.SIGKILL
    [leftover] = partial_files(cache)
    assert 0 < leftover.stat().st_size < cache.path_of(child.KEY).stat().st_size
    found = cache.get(child.KEY)
    assert found is not None
    assert (found.array == 1.0).all()
    assert found.meta == child.META


def test_a_killed_writers_leftover_is_deleted_by_the_next_eviction(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    target = cache.path_of(key())
    target.parent.mkdir(parents=True)
    leftover = target.parent / f".{target.name}.{dead_pid}.0123abcd.partial"
    leftover.write_bytes(b"STUDIO-EMBEDDING 1\n half of a header")
    assert cache.get(key()) is None
    assert cache.size_bytes() == 0
    cache.evict_to(1 << 20)
    assert not leftover.exists()


def test_a_live_writers_temporary_file_survives_eviction(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    target = cache.path_of(key())
    target.parent.mkdir(parents=True)
    in_flight = target.parent / f".{target.name}.{os.getpid()}.0123abcd.partial"
    in_flight.write_bytes(b"being written")
    cache.clear()
    assert in_flight.exists()


def test_the_cache_stays_under_its_limit_and_evicts_the_least_recently_used(
    tmp_path: Path,
) -> None:
    probe = EmbeddingCache(tmp_path / "probe", limit_bytes=1 << 20)
    entry_size = probe.put(key(), embedding(0), META).stat().st_size
    cache = EmbeddingCache(tmp_path / "cache", limit_bytes=3 * entry_size)
    keys = [key(image=digit) for digit in "abc"]
    for number, each in enumerate(keys):
        cache.put(each, embedding(number), META)
    assert cache.get(keys[0]) is not None  # a is now the most recently used; b the least
    cache.put(key(image="d"), embedding(3), META)
    assert cache.size_bytes() <= cache.limit_bytes
    assert not cache.contains(keys[1])
    assert all(cache.contains(each) for each in (keys[0], keys[2], key(image="d")))


def test_evict_to_deletes_oldest_first_by_use_time(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    keys = [key(image=digit) for digit in "abcd"]
    for number, each in enumerate(keys):
        cache.put(each, embedding(number), META)
    entry_size = cache.path_of(keys[0]).stat().st_size
    for age, each in zip((40, 10, 30, 20), keys, strict=True):  # c and a are the oldest
        used = time.time() - age
        os.utime(cache.path_of(each), (used, used))
    freed = cache.evict_to(2 * entry_size)
    assert freed == 2 * entry_size
    assert [cache.contains(each) for each in keys] == [False, True, False, True]


def test_clear_empties_the_cache(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 20)
    cache.put(key(), embedding(0), META)
    cache.clear()
    assert cache.size_bytes() == 0
    assert cache.get(key()) is None


def test_concurrent_puts_of_one_key_end_with_one_valid_entry(tmp_path: Path) -> None:
    go = tmp_path / "go"
    writers = [spawn_child(tmp_path, "put-many", value, go) for value in (1.0, 2.0)]
    cache = EmbeddingCache(tmp_path, limit_bytes=1 << 30)
    go.touch()
    seen: set[float] = set()
    while any(writer.poll() is None for writer in writers):
        found = cache.get(child.KEY)  # a reader never sees half an entry
        if found is not None:
            assert found.array.shape == child.SHAPE
            assert len(np.unique(found.array)) == 1
            seen.add(float(found.array.flat[0]))
    for writer in writers:
        _, errors = writer.communicate(timeout=CHILD_TIMEOUT_S)
        assert writer.returncode == 0, errors
    final = cache.get(child.KEY)
    assert final is not None
    assert float(final.array.flat[0]) in {1.0, 2.0}
    assert len(np.unique(final.array)) == 1
    assert [path.name for path in tmp_path.glob("??/*")] == [cache.path_of(child.KEY).name]
    assert seen  # the reader did read while the writers wrote
    assert seen <= {1.0, 2.0}


@pytest.mark.parametrize(
    ("text", "size"),
    [("1048576", 1 << 20), ("500MB", 500_000_000), ("2GiB", 2 << 30), ("1.5 kib", 1536)],
)
def test_sizes_are_read_in_bytes_or_with_a_unit(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_the_limit_defaults_to_two_gib() -> None:
    assert embedding_cache_limit() == DEFAULT_LIMIT_BYTES == 2 << 30


def test_the_limit_is_a_remembered_user_setting() -> None:
    assert set_embedding_cache_limit("500MB") == 500_000_000
    assert embedding_cache_limit() == 500_000_000
    assert EmbeddingCache().limit_bytes == 500_000_000


def test_the_environment_overrides_the_stored_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    set_embedding_cache_limit("500MB")
    monkeypatch.setenv(LIMIT_ENV, "3MiB")
    assert embedding_cache_limit() == 3 << 20


def test_a_bad_limit_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(EmbeddingCacheError, match=rf"^\${LIMIT_ENV}: 'lots' is not a size"):
        embedding_cache_limit()


def test_a_bad_limit_file_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path))
    (tmp_path / LIMIT_FILE).write_text(json.dumps({"limit": "-5"}), encoding="utf-8")
    with pytest.raises(EmbeddingCacheError, match=f"{LIMIT_FILE}: limit '-5' is not a size"):
        embedding_cache_limit()


def test_setting_a_bad_limit_changes_nothing() -> None:
    set_embedding_cache_limit(1 << 20)
    with pytest.raises(EmbeddingCacheError, match="'half' is not a size"):
        set_embedding_cache_limit("half")
    assert embedding_cache_limit() == 1 << 20
