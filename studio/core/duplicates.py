"""Exact and near-duplicate images, grouped for review, and duplicates that straddle splits.

Exact duplicates are items with the same content (`item.sha256`; ADR 0024 lets a label import
keep them). Near duplicates are images whose perceptual hashes (imagehash's 64-bit `phash` or
`dhash`) differ in at most `DuplicateOptions.threshold` bits: a resized, re-encoded or
slightly edited copy keeps almost every bit. Groups are the connected components of "is a
near duplicate of", so a chain of small edits is one group.

Hashes are cached in the user's cache folder (`cache_dir() / "perceptual-hashes.sqlite"`),
keyed by the image's sha256 and the hash kind, so a second search reads no image and a
read-only project works; a cache that cannot be written is skipped, never an error.

Pairs are found by a blocked, vectorised XOR and bit count over all hashes (numpy): about
N²/2 64-bit operations, a fraction of a second for ten thousand images, without the Python
per-pair cost of comparing `imagehash` objects (benchmarks/bench_duplicates.py).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import imagehash
import numpy as np
from sqlalchemy import Connection, select

from studio.core.enums import Split
from studio.core.errors import StudioError
from studio.core.media import resolve
from studio.core.schema import item_table as items
from studio.core.thumbnails import ThumbnailError, cache_dir, decode_for_thumbnail

HASH_KINDS = ("phash", "dhash")
HASH_BITS = 64
DEFAULT_THRESHOLD = 4  # resized and re-encoded copies: 0-2 bits; tiny images collide above 4
DECODE_SIZE = 128  # JPEGs decode at the smallest scale keeping both sides at least this
CACHE_FILE = "perceptual-hashes.sqlite"
BLOCK_ROWS = 256  # rows of the distance matrix computed at once (256 × N uint64)
_WORKERS = 4

Progress = Callable[[int, int], None]


class DuplicateError(StudioError):
    """A duplicate search was asked with unusable options; the message says which."""


@dataclass(frozen=True)
class DuplicateOptions:
    """How near is a duplicate: at most `threshold` differing bits of the 64-bit `hash_kind`
    ("phash": robust to resizing and re-encoding; "dhash": faster, a little less robust)."""

    threshold: int = DEFAULT_THRESHOLD
    hash_kind: str = "phash"

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise DuplicateError(f"duplicate threshold: {self.threshold!r} is not a whole number")
        if not 0 <= self.threshold <= HASH_BITS // 2:
            raise DuplicateError(
                f"duplicate threshold: {self.threshold} is outside 0 to {HASH_BITS // 2} bits"
            )
        if self.hash_kind not in HASH_KINDS:
            raise DuplicateError(
                f"duplicate hash: {self.hash_kind!r} is not one of {', '.join(HASH_KINDS)}"
            )


@dataclass(frozen=True)
class ProjectImage:
    """An item as the search reads it: its id, content hash and file."""

    item_id: int
    sha256: str
    path: Path


@dataclass(frozen=True)
class DuplicateGroup:
    """Items showing the same picture. `exact`: all of one content; `distance`: the largest
    number of differing hash bits between two of its contents (0 when exact)."""

    item_ids: tuple[int, ...]
    contents: tuple[str, ...]
    exact: bool
    distance: int

    def as_dict(self) -> dict[str, object]:
        return {
            "item_ids": list(self.item_ids),
            "contents": list(self.contents),
            "exact": self.exact,
            "distance": self.distance,
        }


@dataclass(frozen=True)
class DuplicateReport:
    groups: tuple[DuplicateGroup, ...]
    options: DuplicateOptions
    images: int  # items searched
    unreadable: tuple[str, ...] = ()  # "PATH: problem" of images left out of near search
    dismissed: int = 0  # groups left out because the user marked them "not duplicates"

    def as_dict(self) -> dict[str, object]:
        return {
            "threshold": self.options.threshold,
            "hash_kind": self.options.hash_kind,
            "images": self.images,
            "groups": [group.as_dict() for group in self.groups],
            "unreadable": list(self.unreadable),
            "dismissed": self.dismissed,
        }


@dataclass(frozen=True)
class SplitLeak:
    """A duplicate group whose items are in train and in val or test of one version."""

    group: DuplicateGroup
    splits: Mapping[int, str] = field(default_factory=dict)  # item id → split
    names: Mapping[int, str] = field(default_factory=dict)  # item id → its image's file name

    def describe(self) -> str:
        """ "near-duplicate images a.jpg (train), b.jpg (test)"."""
        kind = "identical" if self.group.exact else "near-duplicate"
        shown = ", ".join(
            f"{self.names.get(item_id, f'image {item_id}')} ({split})"
            for item_id, split in self.splits.items()
        )
        return f"{kind} images {shown}"


# -- perceptual hashes -----------------------------------------------------------------------


def perceptual_hash(path: Path, kind: str) -> int:
    """The 64-bit perceptual hash of the image at `path` (ThumbnailError when unreadable)."""
    image = decode_for_thumbnail(path, DECODE_SIZE)
    function = imagehash.phash if kind == "phash" else imagehash.dhash
    bits = function(image).hash.flatten()
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


class PerceptualHashCache:
    """Hashes by (sha256, kind) in one small SQLite file of the user's cache folder: one
    query reads thousands, and SQLite lets several processes share it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else cache_dir() / CACHE_FILE

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS hashes (sha256 TEXT, kind TEXT, value TEXT, "
            "PRIMARY KEY (sha256, kind))"
        )
        return connection

    def get_many(self, contents: Iterable[str], kind: str) -> dict[str, int]:
        wanted = list(contents)
        try:
            connection = self._connect()
        except (OSError, sqlite3.Error):
            return {}
        found = {}
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT sha256, value FROM hashes WHERE kind = ? AND sha256 IN ({marks})",
                    [kind, *chunk],
                )
                found.update({sha256: int(value, 16) for sha256, value in rows})
        except sqlite3.Error:
            return found
        finally:
            connection.close()
        return found

    def put_many(self, hashes: Mapping[str, int], kind: str) -> None:
        if not hashes:
            return
        rows = [(sha256, kind, f"{value:016x}") for sha256, value in hashes.items()]
        try:
            connection = self._connect()
        except (OSError, sqlite3.Error):
            return
        try:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # a read-only or busy cache only costs hashing again next time
        finally:
            connection.close()


def content_hashes(
    images: Sequence[ProjectImage],
    kind: str,
    cache: PerceptualHashCache | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, int], list[str]]:
    """sha256 → perceptual hash of each content (cached ones read, others computed and
    stored), and "PATH: problem" for each image that could not be read."""
    cache = cache or PerceptualHashCache()
    paths: dict[str, list[Path]] = defaultdict(list)
    for image in images:
        paths[image.sha256].append(image.path)
    hashes = cache.get_many(paths, kind)
    missing = [sha256 for sha256 in paths if sha256 not in hashes]
    unreadable: list[str] = []
    computed: dict[str, int] = {}

    def compute(sha256: str) -> tuple[str, int | None, str | None]:
        problem = None
        for path in paths[sha256]:  # the copies of one content: the first readable one
            try:
                return sha256, perceptual_hash(path, kind), None
            except ThumbnailError:
                problem = f"{path}: missing or unreadable image"
        return sha256, None, problem

    done = len(paths) - len(missing)
    if progress:
        progress(done, len(paths))
    with ThreadPoolExecutor(_WORKERS) as pool:
        for sha256, value, problem in pool.map(compute, missing):
            if value is None:
                unreadable.append(str(problem))
            else:
                computed[sha256] = value
            done += 1
            if progress:
                progress(done, len(paths))
    cache.put_many(computed, kind)
    return {**hashes, **computed}, sorted(unreadable)


# -- grouping --------------------------------------------------------------------------------


def near_pairs(hashes: np.ndarray, threshold: int) -> list[tuple[int, int, int]]:
    """(i, j, distance) for i < j whose 64-bit hashes differ in at most `threshold` bits."""
    values = np.asarray(hashes, dtype=np.uint64)
    pairs: list[tuple[int, int, int]] = []
    for start in range(0, len(values), BLOCK_ROWS):
        block = values[start : start + BLOCK_ROWS]
        distances = np.bitwise_count(block[:, None] ^ values[None, start:])
        rows, columns = np.nonzero(distances <= threshold)
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            if column > row:  # the block's columns start at its own first row
                pairs.append((start + row, start + column, int(distances[row, column])))
    return pairs


class _Components:
    """Union-find over indices 0…n-1."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def join(self, first: int, second: int) -> None:
        self.parent[self.find(first)] = self.find(second)


def group_duplicates(
    images: Sequence[ProjectImage], hashes: Mapping[str, int], threshold: int
) -> list[DuplicateGroup]:
    """Groups of items with one content or near-identical hashes, largest first; items of one
    content always share a group, even when their image cannot be read."""
    contents = sorted({image.sha256 for image in images})
    index_of = {sha256: index for index, sha256 in enumerate(contents)}
    components = _Components(len(contents))
    hashed = [sha256 for sha256 in contents if sha256 in hashes]
    values = np.array([hashes[sha256] for sha256 in hashed], dtype=np.uint64)
    for first, second, _ in near_pairs(values, threshold):
        components.join(index_of[hashed[first]], index_of[hashed[second]])
    members: dict[int, list[int]] = defaultdict(list)
    for image in sorted(images, key=lambda entry: entry.item_id):
        members[components.find(index_of[image.sha256])].append(image.item_id)
    content_of = {image.item_id: image.sha256 for image in images}
    groups = []
    for item_ids in members.values():
        if len(item_ids) < 2:
            continue
        group_contents = tuple(sorted({content_of[item_id] for item_id in item_ids}))
        known = [hashes[sha256] for sha256 in group_contents if sha256 in hashes]
        distance = max(
            (int(a ^ b).bit_count() for a in known for b in known),
            default=0,
        )
        groups.append(
            DuplicateGroup(tuple(item_ids), group_contents, len(group_contents) == 1, distance)
        )
    groups.sort(key=lambda group: (-len(group.item_ids), group.item_ids))
    return groups


def is_dismissed(group: DuplicateGroup, dismissed: Iterable[Iterable[str]]) -> bool:
    """True when the user marked a set of contents holding all of this group's as "not
    duplicates" (a group that gained a new image is shown again)."""
    contents = set(group.contents)
    return any(contents <= set(entry) for entry in dismissed)


def project_images(connection: Connection, root: Path) -> list[ProjectImage]:
    """Every item of the project with its content hash and absolute file path."""
    rows = connection.execute(select(items.c.id, items.c.sha256, items.c.path).order_by(items.c.id))
    return [ProjectImage(row.id, row.sha256, resolve(root, row.path)) for row in rows]


def find_duplicates(
    images: Sequence[ProjectImage],
    options: DuplicateOptions | None = None,
    dismissed: Iterable[Iterable[str]] = (),
    cache: PerceptualHashCache | None = None,
    progress: Progress | None = None,
) -> DuplicateReport:
    """The duplicate groups among `images` (hashing what the cache lacks)."""
    options = options or DuplicateOptions()
    hashes, unreadable = content_hashes(images, options.hash_kind, cache, progress)
    dismissed = [list(entry) for entry in dismissed]
    groups = group_duplicates(images, hashes, options.threshold)
    shown = tuple(group for group in groups if not is_dismissed(group, dismissed))
    return DuplicateReport(shown, options, len(images), tuple(unreadable), len(groups) - len(shown))


def split_leaks(
    groups: Iterable[DuplicateGroup],
    splits: Mapping[int, str],
    names: Mapping[int, str] | None = None,
) -> list[SplitLeak]:
    """The groups with items in train and in val or test (`splits`: item id → split; items
    without one are ignored), each with its items' splits and file `names` (item id → name)."""
    held_out = {Split.VAL.value, Split.TEST.value}
    leaks = []
    for group in groups:
        placed = {item_id: splits[item_id] for item_id in group.item_ids if item_id in splits}
        used = set(placed.values())
        if Split.TRAIN.value in used and used & held_out:
            leaks.append(SplitLeak(group, placed, dict(names or {})))
    return leaks
