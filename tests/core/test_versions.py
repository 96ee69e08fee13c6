"""Dataset versions: what they hold, how splits are decided, and that they never change."""

from __future__ import annotations

import hashlib
import math
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pytest

from studio.api import Project
from studio.core import versions
from studio.core.database import Database
from studio.core.errors import VersionError
from studio.core.runs import create_run
from studio.core.schema import annotation_table, item_table, label_class_table
from studio.core.versions import SplitRatios
from tests.conftest import write_images


def import_labeled(
    project: Project, folder: Path, labels: Sequence[str], seed: int = 0
) -> list[int]:
    """Import one image per label, tag it with that label and mark it done; the item ids."""
    paths = write_images(folder, len(labels), size=(24, 16), seed=seed)
    project.add_classes(sorted(set(labels)))
    project.import_media(paths)
    by_name = {Path(item.path).name: item.id for item in project.items()}
    ids = [by_name[path.name] for path in paths]
    project.add_annotations(
        {"item_id": item_id, "label": label} for item_id, label in zip(ids, labels, strict=True)
    )
    project.set_status(ids, "done")
    return ids


def balanced_labels(per_class: int, classes: Sequence[str] = ("a", "b", "c", "d")) -> list[str]:
    return [name for name in classes for _ in range(per_class)]


def plan(database: Database, **options: object) -> versions.SplitPlan:
    with database.read() as connection:
        return versions.plan_splits(connection, **options)


def frozen_state(database: Database, version_id: int) -> tuple[object, list[object]]:
    with database.read() as connection:
        record = versions.get_version(connection, version_id)
        return record, versions.version_items(connection, version_id)


# -- what a version holds ----------------------------------------------------------------------


def test_only_labeled_items_and_accepted_annotations_enter_a_version(
    project: Project, database: Database, tmp_path: Path
) -> None:
    project.add_classes(["cat", "dog"])
    project.import_media(write_images(tmp_path / "images", 7, size=(40, 30)))
    done, empty, reviewed, sam, rejected, _new, started = project.item_ids()
    project.annotate(done, "cat")
    human_box = project.annotate(reviewed, "dog", box=[1, 2, 10, 8])
    project.annotate(reviewed, "cat", box=[5, 5, 10, 10], source="model", score=0.9)
    sam_polygon = project.annotate(sam, "dog", polygon=[(1, 1), (20, 1), (20, 20)], source="sam")
    project.annotate(rejected, "cat")
    project.annotate(started, "dog")
    project.accept_suggestions([sam_polygon])
    project.set_status([done, sam], "done")
    project.set_status(empty, "done_empty")
    project.set_status(reviewed, "reviewed")
    project.set_status(rejected, "rejected")

    record = versions.create_version(database)

    with database.read() as connection:
        held = {entry.item_id: entry for entry in versions.version_items(connection, record.id)}
    assert sorted(held) == sorted([done, empty, reviewed, sam])
    assert held[empty].annotations == ()
    assert held[empty].status == "done_empty"
    assert [a["id"] for a in held[reviewed].annotations] == [human_box]
    assert held[reviewed].annotations[0]["geometry"] == [1.0, 2.0, 10.0, 8.0]
    assert set(held[reviewed].annotations[0]) == {
        "id",
        "class_id",
        "kind",
        "geometry",
        "attributes",
    }
    assert [a["id"] for a in held[sam].annotations] == [sam_polygon]
    assert held[sam].annotations[0]["kind"] == "polygon"
    assert record.counts["annotations"] == {
        split: sum(len(held[i].annotations) for i in held if held[i].split == split)
        for split in ("train", "val", "test")
    }
    assert sum(record.counts["items"].values()) == 4
    cat_dog = {name: sum(c.values()) for name, c in record.counts["classes"].items()}
    assert cat_dog == {"cat": 1, "dog": 2}


def test_an_item_keeps_its_path_size_and_sha256_in_the_version(
    project: Project, database: Database, tmp_path: Path
) -> None:
    (item_id,) = import_labeled(project, tmp_path / "images", ["a"])
    record = versions.create_version(database)

    with database.read() as connection:
        (held,) = versions.version_items(connection, record.id)
    item = project.item(item_id)
    assert (held.path, held.sha256, held.width, held.height) == (
        item.path,
        item.sha256,
        item.width,
        item.height,
    )


def test_a_project_without_labeled_items_cannot_be_frozen(
    project: Project, database: Database, tmp_path: Path
) -> None:
    project.import_media(write_images(tmp_path / "images", 2))

    with pytest.raises(VersionError, match=r"no labeled items.*v1"):
        versions.create_version(database)
    with database.read() as connection:
        assert versions.list_versions(connection) == []


def test_classes_are_the_active_ones_plus_archived_ones_in_use_in_panel_order(
    project: Project, database: Database, tmp_path: Path
) -> None:
    import_labeled(project, tmp_path / "images", ["old", "b"])
    project.add_classes(["unused_archived", "a"])
    project.update_class("old", archived=True)
    project.update_class("unused_archived", archived=True)
    project.update_class("a", position=-1)

    record = versions.create_version(database)

    assert [entry.name for entry in record.classes] == ["a", "b", "old"]
    colors = {c.name: c.color for c in project.classes()}
    assert all(entry.color == colors[entry.name] for entry in record.classes)
    assert set(record.counts["classes"]) == {"a", "b", "old"}
    assert record.counts["classes"]["a"] == {"train": 0, "val": 0, "test": 0}


def test_a_version_never_changes_after_it_is_made(
    project: Project, database: Database, tmp_path: Path
) -> None:
    ids = import_labeled(project, tmp_path / "images", balanced_labels(5, ("a", "b")))
    box = project.annotate(ids[0], "a", box=[1, 1, 5, 5])
    project.set_status(ids[0], "done")
    record = versions.create_version(database, note="before the edits")
    before = frozen_state(database, record.id)

    project.update_annotation(box, geometry=[2, 2, 6, 6])
    project.delete_annotation(project.annotations(ids[1])[0].id)
    project.update_class("a", name="renamed", color="#112233")
    project.update_class("b", archived=True)
    project.remove_items(ids[2:4])
    project.set_status(ids[4:6], "rejected")
    project.set_split(ids[6:8], "test")

    after = frozen_state(database, record.id)
    assert after == before
    assert after[0].content_hash == record.content_hash
    assert [asdict(entry) for entry in after[1]] == [asdict(entry) for entry in before[1]]


# -- splits ----------------------------------------------------------------------------------


def test_splits_are_deterministic_for_a_seed_and_change_with_another(
    project: Project, database: Database, tmp_path: Path
) -> None:
    import_labeled(project, tmp_path / "images", balanced_labels(30))

    first, again, other = plan(database, seed=1), plan(database, seed=1), plan(database, seed=2)

    assert first.splits == again.splits
    assert first.splits != other.splits
    assert first.reasons == {"set_on_item": 0, "kept_in_test": 0, "hashed": 120, "joined_copies": 0}
    record = versions.create_version(database, seed=1)
    with database.read() as connection:
        frozen = {e.item_id: e.split for e in versions.version_items(connection, record.id)}
    assert frozen == first.splits
    assert record.counts == first.counts


@pytest.mark.parametrize(
    "ratios", [SplitRatios(), SplitRatios(0.7, 0.2, 0.1), SplitRatios(0.6, 0.0, 0.4)]
)
def test_each_class_gets_the_ratios_within_one_item_in_every_split(
    project: Project, database: Database, tmp_path: Path, ratios: SplitRatios
) -> None:
    labels = ["a"] * 53 + ["b"] * 31 + ["c"] * 12 + ["d"] * 10
    ids = import_labeled(project, tmp_path / "images", labels)
    label_of = dict(zip(ids, labels, strict=True))

    result = plan(database, ratios=ratios, seed=7)

    for name, size in Counter(labels).items():
        per_split = Counter(s for i, s in result.splits.items() if label_of[i] == name)
        for split, ratio in ratios.as_dict().items():
            assert abs(per_split[split] - ratio * size) <= 1, (name, split, per_split)
            assert (per_split[split] > 0) == (ratio > 0), (name, split, per_split)


def test_multi_class_items_are_grouped_by_their_rarest_class(
    project: Project, database: Database, tmp_path: Path
) -> None:
    """Each of the 10 items with a rare class lands spread over the splits, not by chance."""
    labels = ["common"] * 60
    ids = import_labeled(project, tmp_path / "images", labels)
    project.add_classes(["rare"])
    project.add_annotations({"item_id": item_id, "label": "rare"} for item_id in ids[:10])

    result = plan(database, seed=3)

    rare_splits = Counter(result.splits[item_id] for item_id in ids[:10])
    assert rare_splits == {"train": 8, "val": 1, "test": 1}
    assert result.counts["classes"]["rare"] == {"train": 8, "val": 1, "test": 1}


def test_a_split_set_on_the_item_is_kept(
    project: Project, database: Database, tmp_path: Path
) -> None:
    ids = import_labeled(project, tmp_path / "images", balanced_labels(10, ("a", "b")))
    project.set_split(ids[:6], "val")
    project.set_split(ids[-3:], "train")

    result = plan(database, seed=0)

    assert all(result.splits[item_id] == "val" for item_id in ids[:6])
    assert all(result.splits[item_id] == "train" for item_id in ids[-3:])
    assert result.reasons == {"set_on_item": 9, "kept_in_test": 0, "hashed": 11, "joined_copies": 0}
    # Fixed items count toward their class's quotas (8/1/1 of 10): val is full already,
    # so the other "a" items all go where items are missing, and "b" still ends 8/1/1.
    a_splits = Counter(result.splits[item_id] for item_id in ids[:10])
    b_splits = Counter(result.splits[item_id] for item_id in ids[10:])
    assert a_splits == {"val": 6, "train": 4}
    assert b_splits == {"train": 8, "val": 1, "test": 1}


def test_test_items_stay_in_test_when_new_items_arrive(
    project: Project, database: Database, tmp_path: Path
) -> None:
    import_labeled(project, tmp_path / "first", balanced_labels(15), seed=1)
    first = versions.create_version(database, seed=0)
    with database.read() as connection:
        first_test = {e.item_id for e in versions.version_items(connection, first.id, "test")}
    import_labeled(project, tmp_path / "second", balanced_labels(15), seed=2)

    second = versions.create_version(database, seed=0)
    moved = plan(database, seed=0, keep_test=False)
    moved_other_seed = plan(database, seed=5, keep_test=False)

    with database.read() as connection:
        second_test = {e.item_id for e in versions.version_items(connection, second.id, "test")}
    assert first_test <= second_test
    assert len(first_test) == first.counts["items"]["test"] > 0
    assert second.counts["items"]["test"] == 12  # the quotas of all 120 items
    with database.read() as connection:
        assert versions.plan_splits(connection).reasons["kept_in_test"] == 12
    left_test = {item_id for item_id in first_test if moved_other_seed.splits[item_id] != "test"}
    assert left_test, "without keep_test the earlier test items are split afresh"
    assert moved.reasons["kept_in_test"] == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"train": 0.9, "val": -0.1, "test": 0.2}, "val.*≥ 0"),
        ({"train": 0.5, "val": 0.2, "test": 0.2}, "sum to 1"),
        ({"train": 0.0, "val": 0.5, "test": 0.5}, "train.*above 0"),
        ({"train": 0.8, "dev": 0.2}, "unknown splits"),
        ({"train": "lots"}, "not a number"),
        ({"train": math.nan, "val": 0.5, "test": 0.5}, "train"),
    ],
)
def test_invalid_split_ratios_are_refused(values: dict, message: str) -> None:
    with pytest.raises(VersionError, match=message):
        SplitRatios.from_mapping(values)


def test_split_ratios_from_a_mapping_fill_in_the_defaults() -> None:
    assert SplitRatios.from_mapping(None) == SplitRatios()
    assert SplitRatios.from_mapping({"train": 0.9, "val": 0.1, "test": 0}).as_dict() == {
        "train": 0.9,
        "val": 0.1,
        "test": 0.0,
    }
    with pytest.raises(VersionError):
        SplitRatios(train=0.5, val=0.5, test=0.5)


# -- content hash ----------------------------------------------------------------------------


def test_the_content_hash_follows_the_label_state_only(tmp_path: Path) -> None:
    labels = balanced_labels(4, ("a", "b"))
    hashes = []
    for name in ("one", "two"):
        with Project.create(tmp_path / f"{name}.studio") as project:
            ids = import_labeled(project, tmp_path / "images", labels)
            if name == "two":  # the same labels, reached through more edits
                extra = project.annotate(ids[5], "a")
                project.delete_annotation(extra)
            database = Database(project.path)
            try:
                record = versions.create_version(database)
                again = versions.create_version(database)
                project.annotate(ids[0], "b")
                changed = versions.create_version(database)
            finally:
                database.close()
        hashes.append(record.content_hash)
        assert again.content_hash == record.content_hash
        assert changed.content_hash != record.content_hash
    assert hashes[0] == hashes[1]


# -- names and lookups -----------------------------------------------------------------------


def test_default_names_lookups_and_duplicates(
    project: Project, database: Database, tmp_path: Path
) -> None:
    import_labeled(project, tmp_path / "images", ["a", "b"])

    first = versions.create_version(database, author="ann", note="first cut")
    second = versions.create_version(database)
    named = versions.create_version(database, name="  release-1 ")

    assert (first.name, second.name, named.name) == ("v1", "v2", "release-1")
    assert (first.author, first.note, first.seed) == ("ann", "first cut", 0)
    assert first.ratios == {"train": 0.8, "val": 0.1, "test": 0.1}
    with pytest.raises(VersionError, match="'v1' exists already"):
        versions.create_version(database, name="v1")
    with pytest.raises(VersionError, match="empty"):
        versions.create_version(database, name=" ")
    with database.read() as connection:
        assert versions.get_version(connection, first.id) == first
        assert versions.get_version(connection, "release-1") == named
        assert versions.get_version(connection, str(second.id)) == second
        assert versions.latest_version(connection) == named
        assert [v.name for v in versions.list_versions(connection)] == ["v1", "v2", "release-1"]
        with pytest.raises(VersionError, match=r"unknown dataset version 'v9'.*v1, v2"):
            versions.get_version(connection, "v9")
        with pytest.raises(VersionError, match="unknown dataset version 99"):
            versions.get_version(connection, 99)
        with pytest.raises(VersionError, match="unknown split"):
            versions.version_items(connection, first.id, "dev")
    assert versions.create_version(database).name == "v4"


def test_latest_version_of_a_project_without_versions_is_none(database: Database) -> None:
    with database.read() as connection:
        assert versions.latest_version(connection) is None


def test_a_version_used_by_a_run_cannot_be_deleted(
    project: Project, database: Database, tmp_path: Path
) -> None:
    import_labeled(project, tmp_path / "images", ["a", "b"])
    used = versions.create_version(database)
    unused = versions.create_version(database)
    create_run(
        database,
        task="classification",
        model="resnet18",
        version_id=used.id,
        config={"epochs": 1},
        seed=0,
        name="first-try",
    )

    with pytest.raises(VersionError, match=r"'v1' is used by 1 run.*first-try"):
        versions.delete_version(database, "v1")
    versions.delete_version(database, unused.id)

    with database.read() as connection:
        assert [v.name for v in versions.list_versions(connection)] == ["v1"]
        assert versions.version_items(connection, unused.id) == []
        assert len(versions.version_items(connection, used.id)) == 2


# -- scale -----------------------------------------------------------------------------------


def _insert_many_labels(database: Database, item_count: int, per_item: int) -> None:
    """Rows written straight into the tables: 10,000 real images would only slow the test."""
    now = time.time()
    with database.write() as connection:
        connection.execute(
            label_class_table.insert(),
            [{"name": f"c{i}", "position": i, "created_at": now} for i in range(20)],
        )
        connection.execute(
            item_table.insert(),
            [
                {
                    "path": f"images/{index:05d}.jpg",
                    "sha256": hashlib.sha256(str(index).encode()).hexdigest(),
                    "size_bytes": 1000,
                    "width": 640,
                    "height": 480,
                    "format": "JPEG",
                    "status": "done",
                    "tags": [],
                    "meta": {},
                    "added_at": now,
                    "updated_at": now,
                }
                for index in range(item_count)
            ],
        )
        connection.execute(
            annotation_table.insert(),
            [
                {
                    "item_id": item_id,
                    "class_id": 1 + (item_id * 7 + k) % 20,
                    "kind": "box",
                    "geometry": [k * 10.5, k * 5.25, 40.0, 30.0],
                    "source": "human",
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for item_id in range(1, item_count + 1)
                for k in range(per_item)
            ],
        )


def test_a_version_of_10000_items_and_100000_boxes_takes_a_few_seconds(
    database: Database,
) -> None:
    _insert_many_labels(database, 10_000, 10)

    started = time.perf_counter()
    record = versions.create_version(database)
    elapsed = time.perf_counter() - started

    assert sum(record.counts["items"].values()) == 10_000
    assert sum(record.counts["annotations"].values()) == 100_000
    # About 2 s on an idle 2-core machine; the margin absorbs other processes' load.
    assert elapsed < 15, f"create_version took {elapsed:.1f} s"


# -- duplicates kept by a label import ---------------------------------------------------------


def import_kept_copies(project: Project, folder: Path, count: int) -> dict[str, list[int]]:
    """`count` images in class folder a/, a byte-identical copy of each in b/ (kept as
    separate items, labeled a and b): folder → item ids."""
    for path in write_images(folder / "a", count, size=(24, 16)):
        (folder / "b").mkdir(exist_ok=True)
        shutil.copy(path, folder / "b" / path.name)
    project.import_labels(folder, format="class_folders", keep_duplicates=True)
    ids: dict[str, list[int]] = {"a": [], "b": []}
    for item in project.items():
        ids[Path(item.path).parent.name].append(item.id)
    return ids


def test_kept_copies_with_different_splits_all_go_to_the_held_out_one(
    project: Project, database: Database, tmp_path: Path
) -> None:
    ids = import_kept_copies(project, tmp_path / "pets", 4)
    project.set_split(ids["a"], "train")
    project.set_split(ids["b"], "val")

    record = versions.create_version(database)

    _, frozen = frozen_state(database, record.id)
    assert {entry.split for entry in frozen} == {"val"}
    assert plan(database).reasons == {
        "set_on_item": 4,
        "kept_in_test": 0,
        "hashed": 0,
        "joined_copies": 4,
    }


def test_hashed_splits_keep_each_content_in_one_split(
    project: Project, database: Database, tmp_path: Path
) -> None:
    ids = import_kept_copies(project, tmp_path / "pets", 12)
    project.delete_annotations(  # copies labeled differently fall in other hash groups
        [a.id for item_id in ids["b"][:9] for a in project.annotations(item_id)]
    )
    others = project.import_media(write_images(tmp_path / "others", 6, (24, 16), seed=5)).added
    project.add_annotations({"item_id": item_id, "label": "b"} for item_id in others)
    project.set_status(others, "done")
    content = {item.id: item.sha256 for item in project.items()}

    for seed in range(4):
        result = plan(database, seed=seed)
        assert len(result.splits) == 30
        splits_of_content: dict[str, set[str]] = {}
        for item_id, split in result.splits.items():
            splits_of_content.setdefault(content[item_id], set()).add(split)
        assert all(len(splits) == 1 for splits in splits_of_content.values()), seed


def test_the_shape_of_a_version_is_its_train_count_and_median_image_size(
    project: Project, tmp_path: Path
) -> None:
    small = write_images(tmp_path / "small", 3, size=(24, 16), seed=1)
    large = write_images(tmp_path / "large", 2, size=(300, 200), seed=2)
    project.add_classes(["a"])
    project.import_media([*small, *large])
    ids = [item.id for item in project.items()]
    project.add_annotations({"item_id": item_id, "label": "a"} for item_id in ids)
    project.set_status(ids, "done")
    record = project.create_version(ratios={"train": 1.0, "val": 0.0, "test": 0.0})
    with project.context.database.read() as connection:
        shape = versions.version_shape(connection, record.id)
    assert shape == versions.VersionShape(train_items=5, median_width=24, median_height=16)
    assert shape.median_side == 16
