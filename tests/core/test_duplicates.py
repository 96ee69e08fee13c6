"""Exact and near duplicates: hashing, the cache, grouping and groups across splits."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from studio.core.duplicates import (
    DuplicateError,
    DuplicateGroup,
    DuplicateOptions,
    PerceptualHashCache,
    ProjectImage,
    find_duplicates,
    is_dismissed,
    near_pairs,
    split_leaks,
)
from tests.duplicate_photos import COPIED, PHOTOGRAPHS, write_photographs


@pytest.fixture(scope="module")
def photographs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_photographs(tmp_path_factory.mktemp("photographs"))


def images_of(paths: dict[str, Path]) -> list[ProjectImage]:
    return [
        ProjectImage(item_id, hashlib.sha256(path.read_bytes()).hexdigest(), path)
        for item_id, path in enumerate(paths.values(), start=1)
    ]


def grouped_names(paths: dict[str, Path], groups: tuple[DuplicateGroup, ...]) -> set[frozenset]:
    names = list(paths)
    return {frozenset(names[item_id - 1] for item_id in group.item_ids) for group in groups}


def test_resized_and_reencoded_copies_are_grouped_with_their_originals(
    photographs: dict[str, Path], tmp_path: Path
) -> None:
    report = find_duplicates(images_of(photographs), cache=PerceptualHashCache(tmp_path / "h"))
    expected = {frozenset({name, f"{name}_copy"}) for name in COPIED}
    assert grouped_names(photographs, report.groups) == expected
    assert all(not group.exact for group in report.groups)
    assert report.images == len(PHOTOGRAPHS) + len(COPIED)


def test_unrelated_photographs_are_not_grouped_even_at_a_loose_threshold(
    photographs: dict[str, Path], tmp_path: Path
) -> None:
    originals = {name: photographs[name] for name in PHOTOGRAPHS}
    for kind in ("phash", "dhash"):
        options = DuplicateOptions(threshold=12, hash_kind=kind)
        report = find_duplicates(images_of(originals), options, cache=PerceptualHashCache(tmp_path))
        assert report.groups == ()


def test_items_of_one_content_are_one_exact_group_even_when_the_file_is_missing(
    tmp_path: Path,
) -> None:
    content = "ab" * 32
    images = [ProjectImage(item_id, content, tmp_path / "gone.png") for item_id in (4, 9)]
    report = find_duplicates(images, cache=PerceptualHashCache(tmp_path / "h"))
    assert report.groups == (DuplicateGroup((4, 9), (content,), exact=True, distance=0),)
    assert report.unreadable == (f"{tmp_path / 'gone.png'}: missing or unreadable image",)


def test_a_second_search_reads_hashes_from_the_cache_not_the_files(
    photographs: dict[str, Path], tmp_path: Path
) -> None:
    copies = {name: tmp_path / path.name for name, path in photographs.items()}
    for name, path in copies.items():
        path.write_bytes(photographs[name].read_bytes())
    images = images_of(copies)
    cache = PerceptualHashCache(tmp_path / "hashes.sqlite")
    first = find_duplicates(images, cache=cache)
    for path in copies.values():
        path.unlink()
    second = find_duplicates(images, cache=cache)
    assert second.groups == first.groups
    assert second.unreadable == ()


def test_dismissed_groups_are_left_out_until_an_image_joins_them() -> None:
    group = DuplicateGroup((1, 2), ("a" * 64, "b" * 64), exact=False, distance=3)
    grown = DuplicateGroup((1, 2, 3), ("a" * 64, "b" * 64, "c" * 64), exact=False, distance=3)
    dismissed = [["a" * 64, "b" * 64]]
    assert is_dismissed(group, dismissed)
    assert not is_dismissed(grown, dismissed)


def test_near_pairs_match_a_brute_force_comparison() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**63, size=300, dtype=np.uint64)
    flips = np.uint64(1) << rng.integers(0, 64, size=300).astype(np.uint64)
    hashes = np.concatenate([base, base[:40] ^ flips[:40]])
    expected = {
        (i, j)
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
        if int(hashes[i] ^ hashes[j]).bit_count() <= 4
    }
    assert {(i, j) for i, j, _ in near_pairs(hashes, 4)} == expected
    assert len(expected) >= 40


def test_groups_straddling_train_and_test_are_leaks_and_others_are_not() -> None:
    straddling = DuplicateGroup((1, 2), ("a" * 64, "b" * 64), exact=False, distance=2)
    held_out = DuplicateGroup((3, 4), ("c" * 64, "d" * 64), exact=False, distance=2)
    splits = {1: "train", 2: "test", 3: "val", 4: "test"}
    leaks = split_leaks([straddling, held_out], splits, {1: "a.jpg", 2: "b.jpg"})
    assert [leak.group for leak in leaks] == [straddling]
    assert leaks[0].describe() == "near-duplicate images a.jpg (train), b.jpg (test)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": -1}, "outside 0 to 32 bits"),
        ({"threshold": 2.5}, "is not a whole number"),
        ({"hash_kind": "ahash2"}, "'ahash2' is not one of phash, dhash"),
    ],
)
def test_unusable_options_are_refused_with_a_clear_message(options: dict, message: str) -> None:
    with pytest.raises(DuplicateError, match=message):
        DuplicateOptions(**options)
