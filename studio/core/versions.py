"""Dataset versions: frozen snapshots of the labeled items, their splits and annotations.

A version copies what it holds (paths, sizes, and its human shapes and accepted suggestions:
pending and rejected ones are left out, ADR 0030) into `dataset_version_item`, so later edits,
deletions and class renames never change it.
Versions are append-only, not undoable edits: `create_version` writes one in one
transaction, and nothing ever updates its rows.

Splits are decided per item, in this order:

1. the item's own `split`, when set (by the user or an import);
2. with `keep_test`, "test" when the item was in test in the newest earlier version, so a
   model is never evaluated on images an earlier model of the project trained on;
3. otherwise stratified by hash: items are grouped by their rarest class, each group is
   ordered by sha256(f"{seed}:{item sha256}") and cut by largest-remainder quotas of the
   ratios, the group's items already fixed by rules 1-2 counting toward its quotas.

Items with the same content (duplicates a label import kept, ADR 0024) then all take the most
held-out split any of them got (test, then val, then train), so one image never trains a
model that is measured on it; those moved count as "joined_copies".
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select

from studio.core.annotations import FINAL_REVIEWS, review_in
from studio.core.database import Database
from studio.core.enums import LABELED_STATUSES, Split
from studio.core.errors import VersionError
from studio.core.schema import annotation_table as annotations
from studio.core.schema import dataset_version_item_table as version_items_table
from studio.core.schema import dataset_version_table as versions
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes
from studio.core.schema import run_table as runs

SPLITS = tuple(split.value for split in Split)
# Why an item of a version is in its split: the rules of the module docstring, in order.
SPLIT_REASONS = ("set_on_item", "kept_in_test", "hashed", "joined_copies")
RATIO_TOLERANCE = 1e-6
NO_CLASS = -1  # the group of items without annotations


@dataclass(frozen=True)
class VersionClass:
    id: int
    name: str
    color: str


@dataclass(frozen=True)
class SplitRatios:
    """The share of items in train, val and test: each ≥ 0, summing to 1, train > 0."""

    train: float = 0.8
    val: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        values = self.as_dict()
        for split, value in values.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise VersionError(f"split ratio {split}: {value!r} is not a number")
            if not math.isfinite(value) or value < 0:
                raise VersionError(f"split ratio {split}: {value!r} must be a number ≥ 0")
        if self.train <= 0:
            raise VersionError("split ratio train: must be above 0 (a model needs training data)")
        total = sum(values.values())
        if abs(total - 1.0) > RATIO_TOLERANCE:
            shown = ", ".join(f"{split} {value:g}" for split, value in values.items())
            raise VersionError(f"split ratios must sum to 1; {shown} sum to {total:g}")

    @classmethod
    def from_mapping(cls, values: SplitRatios | Mapping[str, float] | None) -> SplitRatios:
        """Ratios from {"train", "val", "test"} (missing keys take the defaults)."""
        if values is None:
            return cls()
        if isinstance(values, SplitRatios):
            return values
        if not isinstance(values, Mapping):
            raise VersionError(
                f"split ratios: expected a mapping of split to ratio, got {values!r}"
            )
        unknown = sorted(set(values) - set(SPLITS))
        if unknown:
            raise VersionError(f"split ratios: unknown splits {unknown}; expected {list(SPLITS)}")
        numbers = {}
        for split, value in values.items():
            try:
                numbers[split] = float(value)
            except (TypeError, ValueError):
                raise VersionError(f"split ratio {split}: {value!r} is not a number") from None
        return cls(**numbers)

    def as_dict(self) -> dict[str, float]:
        return {"train": self.train, "val": self.val, "test": self.test}


@dataclass(frozen=True)
class VersionRecord:
    id: int
    name: str
    created_at: float
    author: str
    note: str
    seed: int
    ratios: Mapping[str, float]
    classes: tuple[VersionClass, ...]
    # {"items": {split: n}, "annotations": {split: n}, "classes": {name: {split: n}}}
    counts: Mapping[str, Any]
    content_hash: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> VersionRecord:
        return cls(
            id=row["id"],
            name=row["name"],
            created_at=row["created_at"],
            author=row["author"],
            note=row["note"],
            seed=row["seed"],
            ratios=dict(row["ratios"]),
            classes=tuple(VersionClass(**entry) for entry in row["classes"]),
            counts=dict(row["counts"]),
            content_hash=row["content_hash"],
        )


@dataclass(frozen=True)
class VersionItem:
    item_id: int
    path: str
    sha256: str
    width: int
    height: int
    status: str
    split: str
    # each {"id", "class_id", "kind", "geometry", "attributes"}
    annotations: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class VersionShape:
    """What training presets fit their settings to: the number of train items and the
    median width and height of their images (0 when the split is empty)."""

    train_items: int
    median_width: int
    median_height: int

    @property
    def median_side(self) -> int:
        """The shorter of the two medians: the side a square input is compared with."""
        return min(self.median_width, self.median_height)


@dataclass(frozen=True)
class SplitPlan:
    splits: Mapping[int, str]  # item id → split, for every item the version would hold
    counts: Mapping[str, Any]  # same shape as VersionRecord.counts
    reasons: Mapping[str, int]  # SPLIT_REASONS → how many items got their split that way


@dataclass(frozen=True)
class _Candidate:
    """A labeled item as read for a version (annotations only when they are to be copied)."""

    id: int
    path: str
    sha256: str
    width: int
    height: int
    status: str
    split: str | None
    class_ids: tuple[int, ...]
    annotations: tuple[dict[str, Any], ...] = ()


# -- reading the project ---------------------------------------------------------------------


def _labeled() -> Any:
    return items.c.status.in_(sorted(LABELED_STATUSES))


def _accepted_annotations_query(with_geometry: bool) -> Any:
    columns = [annotations.c.item_id, annotations.c.class_id]
    if with_geometry:
        columns += [
            annotations.c.id,
            annotations.c.kind,
            annotations.c.geometry,
            annotations.c.attributes,
        ]
    return (
        select(*columns)
        .join(items, items.c.id == annotations.c.item_id)
        .where(_labeled(), review_in(FINAL_REVIEWS))
        .order_by(annotations.c.item_id, annotations.c.id)
    )


def _read_candidates(connection: Connection, with_geometry: bool) -> list[_Candidate]:
    """The labeled items with their accepted annotations: one query each, item id order."""
    by_item: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(_accepted_annotations_query(with_geometry)):
        by_item[row.item_id].append(row)
    item_rows = connection.execute(
        select(
            items.c.id,
            items.c.path,
            items.c.sha256,
            items.c.width,
            items.c.height,
            items.c.status,
            items.c.split,
        )
        .where(_labeled())
        .order_by(items.c.id)
    )
    candidates = []
    for row in item_rows:
        found = by_item.get(row.id, ())
        copied = ()
        if with_geometry:
            copied = tuple(
                {
                    "id": entry.id,
                    "class_id": entry.class_id,
                    "kind": entry.kind,
                    "geometry": entry.geometry,
                    "attributes": dict(entry.attributes or {}),
                }
                for entry in found
            )
        candidates.append(
            _Candidate(
                id=row.id,
                path=row.path,
                sha256=row.sha256,
                width=row.width,
                height=row.height,
                status=row.status,
                split=row.split,
                class_ids=tuple(entry.class_id for entry in found),
                annotations=copied,
            )
        )
    return candidates


def _version_classes(connection: Connection, used: set[int]) -> tuple[VersionClass, ...]:
    """Every non-archived class, plus archived ones the annotations use, in panel order."""
    rows = connection.execute(
        select(classes.c.id, classes.c.name, classes.c.color, classes.c.archived).order_by(
            classes.c.position, classes.c.id
        )
    )
    return tuple(
        VersionClass(row.id, row.name, row.color)
        for row in rows
        if not row.archived or row.id in used
    )


def _previous_test_items(connection: Connection) -> tuple[set[int], set[str]]:
    """Ids and sha256 of the items in test in the newest version (empty sets when none)."""
    newest = connection.execute(select(func.max(versions.c.id))).scalar_one()
    if newest is None:
        return set(), set()
    rows = connection.execute(
        select(version_items_table.c.item_id, version_items_table.c.sha256).where(
            version_items_table.c.version_id == newest,
            version_items_table.c.split == Split.TEST.value,
        )
    ).all()
    return {row.item_id for row in rows}, {row.sha256 for row in rows}


# -- deciding splits -------------------------------------------------------------------------


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Integer shares of `total` proportional to `weights` (Hamilton's method; ties by order)."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * weight / weight_sum for weight in weights]
    shares = [math.floor(value + 1e-9) for value in exact]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda index: (-(exact[index] - shares[index]), index))
    for index in order[:left]:
        shares[index] += 1
    return shares


def _group_keys(candidates: Sequence[_Candidate]) -> dict[int, int]:
    """Item id → its rarest class id (by annotation count over the candidates), or NO_CLASS."""
    frequency = Counter(class_id for candidate in candidates for class_id in candidate.class_ids)
    return {
        candidate.id: min(candidate.class_ids, key=lambda c: (frequency[c], c))
        if candidate.class_ids
        else NO_CLASS
        for candidate in candidates
    }


def _fill_group(
    members: list[_Candidate], fixed: Mapping[int, str], ratios: SplitRatios, seed: int
) -> dict[int, str]:
    """Splits of a group's free members: quotas of the whole group, minus its fixed members."""
    quotas = _largest_remainder(len(members), list(ratios.as_dict().values()))
    taken = Counter(fixed[member.id] for member in members if member.id in fixed)
    needs = [max(0, quota - taken[split]) for quota, split in zip(quotas, SPLITS, strict=True)]
    free = [member for member in members if member.id not in fixed]
    if sum(needs) != len(free):
        needs = _largest_remainder(len(free), needs)
    free.sort(key=lambda member: _hash_order(seed, member.sha256))
    splits: dict[int, str] = {}
    position = 0
    for split, count in zip(SPLITS, needs, strict=True):
        for member in free[position : position + count]:
            splits[member.id] = split
        position += count
    return splits


def _hash_order(seed: int, sha256: str) -> str:
    return hashlib.sha256(f"{seed}:{sha256}".encode()).hexdigest()


def _decide_splits(
    candidates: Sequence[_Candidate],
    ratios: SplitRatios,
    seed: int,
    previous_test: tuple[set[int], set[str]],
) -> tuple[dict[int, str], dict[str, int]]:
    fixed: dict[int, str] = {}
    why: dict[int, str] = {}  # item id → its entry of SPLIT_REASONS
    test_ids, test_hashes = previous_test
    for candidate in candidates:
        if candidate.split in SPLITS:
            fixed[candidate.id] = candidate.split
            why[candidate.id] = "set_on_item"
        elif candidate.id in test_ids or candidate.sha256 in test_hashes:
            fixed[candidate.id] = Split.TEST.value
            why[candidate.id] = "kept_in_test"
    keys = _group_keys(candidates)
    groups: dict[int, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[keys[candidate.id]].append(candidate)
    splits = dict(fixed)
    for key in sorted(groups):
        hashed = _fill_group(groups[key], fixed, ratios, seed)
        splits.update(hashed)
        why.update(dict.fromkeys(hashed, "hashed"))
    moved = _one_split_per_content(candidates, splits)
    splits.update(moved)
    why.update(dict.fromkeys(moved, "joined_copies"))
    reasons = dict.fromkeys(SPLIT_REASONS, 0)
    reasons.update(Counter(why.values()))
    return {candidate.id: splits[candidate.id] for candidate in candidates}, reasons


def _one_split_per_content(
    candidates: Sequence[_Candidate], splits: Mapping[int, str]
) -> dict[int, str]:
    """Item id → new split, for the items whose content another item in a more held-out
    split has: each content's items all go to the latest of SPLITS any of them is in."""
    by_content: dict[str, list[int]] = defaultdict(list)
    for candidate in candidates:
        by_content[candidate.sha256].append(candidate.id)
    moves = {}
    for ids in by_content.values():
        if len(ids) > 1:
            held_out = max((splits[item_id] for item_id in ids), key=SPLITS.index)
            moves.update({item_id: held_out for item_id in ids if splits[item_id] != held_out})
    return moves


def _counts(
    candidates: Sequence[_Candidate],
    splits: Mapping[int, str],
    version_classes: Sequence[VersionClass],
) -> dict[str, Any]:
    names = {entry.id: entry.name for entry in version_classes}
    counts: dict[str, Any] = {
        "items": dict.fromkeys(SPLITS, 0),
        "annotations": dict.fromkeys(SPLITS, 0),
        "classes": {entry.name: dict.fromkeys(SPLITS, 0) for entry in version_classes},
    }
    for candidate in candidates:
        split = splits[candidate.id]
        counts["items"][split] += 1
        counts["annotations"][split] += len(candidate.class_ids)
        for class_id in candidate.class_ids:
            counts["classes"][names[class_id]][split] += 1
    return counts


def _plan(
    connection: Connection,
    candidates: Sequence[_Candidate],
    ratios: SplitRatios,
    seed: int,
    keep_test: bool,
) -> tuple[SplitPlan, tuple[VersionClass, ...]]:
    used = {class_id for candidate in candidates for class_id in candidate.class_ids}
    version_classes = _version_classes(connection, used)
    previous_test = _previous_test_items(connection) if keep_test else (set(), set())
    splits, reasons = _decide_splits(candidates, ratios, seed, previous_test)
    plan = SplitPlan(splits, _counts(candidates, splits, version_classes), reasons)
    return plan, version_classes


def plan_splits(
    connection: Connection,
    ratios: SplitRatios | None = None,
    seed: int = 0,
    keep_test: bool = True,
) -> SplitPlan:
    """The splits and counts a version made now would have (a preview; writes nothing)."""
    candidates = _read_candidates(connection, with_geometry=False)
    plan, _ = _plan(connection, candidates, SplitRatios.from_mapping(ratios), int(seed), keep_test)
    return plan


# -- writing versions ------------------------------------------------------------------------


def content_hash(
    version_classes: Sequence[VersionClass],
    candidates: Iterable[_Candidate],
    splits: Mapping[int, str],
) -> str:
    """sha256 of the label state: class names in order, and per image (by content) its split
    and annotations (class by name, without ids, in a canonical order)."""
    names = {entry.id: entry.name for entry in version_classes}
    entries = []
    for candidate in sorted(candidates, key=lambda entry: entry.sha256):
        shapes = [
            [names[shape["class_id"]], shape["kind"], shape["geometry"], shape["attributes"]]
            for shape in candidate.annotations
        ]
        shapes.sort(key=_shape_order)
        entries.append([candidate.sha256, splits[candidate.id], shapes])
    state = {"classes": [entry.name for entry in version_classes], "items": entries}
    return hashlib.sha256(_canonical(state).encode()).hexdigest()


def _shape_order(shape: list[Any]) -> tuple[str, str, str, str]:
    """A total order of annotations that ignores their ids and the order they were made."""
    name, kind, geometry, attributes = shape
    return name, kind, repr(geometry), repr(sorted(attributes.items()))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _existing_names(connection: Connection) -> set[str]:
    return set(connection.execute(select(versions.c.name)).scalars())


def _version_name(connection: Connection, name: str | None) -> str:
    """The given name (stripped, unused) or the first free "vN" from the number of versions."""
    taken = _existing_names(connection)
    if name is None:
        number = len(taken) + 1
        while f"v{number}" in taken:
            number += 1
        return f"v{number}"
    chosen = str(name).strip()
    if not chosen:
        raise VersionError("a version name cannot be empty")
    if chosen in taken:
        raise VersionError(f"a version named {chosen!r} exists already; choose another name")
    return chosen


def _version_item_rows(
    version_id: int, candidates: Iterable[_Candidate], splits: Mapping[int, str]
) -> list[dict[str, Any]]:
    return [
        {
            "version_id": version_id,
            "item_id": candidate.id,
            "path": candidate.path,
            "sha256": candidate.sha256,
            "width": candidate.width,
            "height": candidate.height,
            "status": candidate.status,
            "split": splits[candidate.id],
            "annotations": list(candidate.annotations),
        }
        for candidate in candidates
    ]


def create_version(
    database: Database,
    name: str | None = None,
    ratios: SplitRatios | None = None,
    seed: int = 0,
    keep_test: bool = True,
    note: str = "",
    author: str = "",
) -> VersionRecord:
    """Freeze the labeled items, their splits and accepted annotations, in one transaction."""
    checked = SplitRatios.from_mapping(ratios)
    with database.write() as connection:
        chosen = _version_name(connection, name)
        candidates = _read_candidates(connection, with_geometry=True)
        if not candidates:
            raise VersionError(
                f"{database.path}: no labeled items (status done, done_empty or reviewed); "
                f"label some images before freezing version {chosen!r}"
            )
        plan, version_classes = _plan(connection, candidates, checked, int(seed), keep_test)
        values = {
            "name": chosen,
            "created_at": time.time(),
            "author": author,
            "note": note,
            "seed": int(seed),
            "ratios": checked.as_dict(),
            "classes": [vars(entry) for entry in version_classes],
            "counts": dict(plan.counts),
            "content_hash": content_hash(version_classes, candidates, plan.splits),
        }
        version_id = connection.execute(insert(versions).values(values)).inserted_primary_key[0]
        connection.execute(
            insert(version_items_table), _version_item_rows(version_id, candidates, plan.splits)
        )
        return VersionRecord.from_row({"id": version_id, **values})


# -- reading versions ------------------------------------------------------------------------


def list_versions(connection: Connection) -> list[VersionRecord]:
    """Every version, oldest first."""
    rows = connection.execute(select(versions).order_by(versions.c.id)).mappings()
    return [VersionRecord.from_row(row) for row in rows]


def get_version(connection: Connection, version: int | str) -> VersionRecord:
    """The version with this id (int) or name (str; a name of digits falls back to the id)."""
    if isinstance(version, VersionRecord):
        version = version.id
    row = None
    if isinstance(version, str):
        row = (
            connection.execute(select(versions).where(versions.c.name == version))
            .mappings()
            .first()
        )
        if row is None and version.strip().isdigit():
            version = int(version)
    if row is None and isinstance(version, int):
        row = (
            connection.execute(select(versions).where(versions.c.id == version)).mappings().first()
        )
    if row is None:
        names = connection.execute(select(versions.c.name).order_by(versions.c.id)).scalars()
        known = ", ".join(names) or "none yet"
        raise VersionError(f"unknown dataset version {version!r} (versions: {known})")
    return VersionRecord.from_row(row)


def latest_version(connection: Connection) -> VersionRecord | None:
    row = connection.execute(select(versions).order_by(versions.c.id.desc()).limit(1)).mappings()
    found = row.first()
    return None if found is None else VersionRecord.from_row(found)


def version_items(
    connection: Connection, version_id: int, split: str | None = None
) -> list[VersionItem]:
    """The items of a version (of one split when given), in item id order."""
    condition = version_items_table.c.version_id == version_id
    if split is not None:
        if split not in SPLITS:
            raise VersionError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
        condition = and_(condition, version_items_table.c.split == split)
    rows = connection.execute(
        select(version_items_table).where(condition).order_by(version_items_table.c.item_id)
    )
    return [
        VersionItem(
            item_id=row.item_id,
            path=row.path,
            sha256=row.sha256,
            width=row.width,
            height=row.height,
            status=row.status,
            split=row.split,
            annotations=tuple(row.annotations),
        )
        for row in rows
    ]


def item_ids_by_split(connection: Connection, version_id: int) -> dict[str, list[int]]:
    """The item ids of each split of a version (every split, in item id order), without
    reading the annotations `version_items` copies."""
    by_split: dict[str, list[int]] = {split: [] for split in SPLITS}
    rows = connection.execute(
        select(version_items_table.c.item_id, version_items_table.c.split)
        .where(version_items_table.c.version_id == version_id)
        .order_by(version_items_table.c.item_id)
    )
    for row in rows:
        by_split[row.split].append(row.item_id)
    return by_split


def version_shape(connection: Connection, version_id: int) -> VersionShape:
    """The train split's item count and median image size (reads two columns only)."""
    rows = connection.execute(
        select(version_items_table.c.width, version_items_table.c.height).where(
            version_items_table.c.version_id == version_id,
            version_items_table.c.split == Split.TRAIN.value,
        )
    ).all()
    sized = [(row.width, row.height) for row in rows if row.width > 0 and row.height > 0]
    if not sized:
        return VersionShape(len(rows), 0, 0)
    widths = sorted(width for width, _ in sized)
    heights = sorted(height for _, height in sized)
    middle = len(sized) // 2
    return VersionShape(len(rows), widths[middle], heights[middle])


def delete_version(database: Database, version: int | str) -> None:
    """Delete a version and its items; refused (VersionError) while a run uses it."""
    with database.write() as connection:
        record = get_version(connection, version)
        used_by = connection.execute(
            select(runs.c.name).where(runs.c.version_id == record.id).order_by(runs.c.id)
        ).scalars()
        names = list(used_by)
        if names:
            raise VersionError(
                f"version {record.name!r} is used by {len(names)} run(s) ({', '.join(names[:5])}); "
                "delete those runs first"
            )
        connection.execute(delete(versions).where(versions.c.id == record.id))
