"""Schema migrations: the golden first-schema file upgrades with its data and history intact,
and the SQLModel models agree with what the migrations build."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from studio.api import Project
from studio.core.database import APPLICATION_ID, create_file_engine
from studio.core.errors import ProjectFileError
from studio.core.geometry import decode_mask
from studio.core.label_issues import Finding, ItemQuality, store_findings
from studio.core.project_file import (
    alembic_config,
    current_revision,
    head_revision,
    open_project_file,
    read_identity,
    upgrade_schema,
)
from studio.core.schema import metadata
from tests.conftest import write_images
from tests.data import make_golden

GOLDEN = Path(make_golden.__file__).with_name("golden_0001.studio")
FIRST_SCHEMA_TABLES = ("setting", "label_class", "item", "annotation", "history")


def _rows(path: Path, table: str, columns: list[str] | None = None) -> list[tuple]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = columns or [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        order = "key" if table == "setting" else "id"
        query = f"SELECT {', '.join(names)} FROM {table} ORDER BY {order}"
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def _columns(path: Path, table: str) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    finally:
        connection.close()


def _schema(path: Path) -> list[tuple]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        query = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        return connection.execute(query).fetchall()
    finally:
        connection.close()


@pytest.fixture
def golden_copies(tmp_path: Path) -> tuple[Path, Path]:
    """(a copy to open, an untouched reference copy) of the golden first-schema file."""
    reference = tmp_path / "reference" / "golden.studio"
    reference.parent.mkdir()
    shutil.copyfile(GOLDEN, reference)
    to_open = tmp_path / "project" / "golden.studio"
    to_open.parent.mkdir()
    shutil.copyfile(GOLDEN, to_open)
    return to_open, reference


def test_the_golden_file_is_a_first_schema_project() -> None:
    assert read_identity(GOLDEN) == (APPLICATION_ID, "0001")
    assert "attributes" not in _columns(GOLDEN, "annotation")
    counts = {table: len(_rows(GOLDEN, table)) for table in FIRST_SCHEMA_TABLES}
    assert counts == {"setting": 1, "label_class": 3, "item": 5, "annotation": 6, "history": 3}


def test_the_golden_script_rebuilds_the_same_content(tmp_path: Path) -> None:
    rebuilt = tmp_path / "rebuilt.studio"
    make_golden.make_golden(rebuilt)
    assert _schema(rebuilt) == _schema(GOLDEN)
    for table in FIRST_SCHEMA_TABLES:
        assert _rows(rebuilt, table) == _rows(GOLDEN, table), table


def test_opening_upgrades_to_head_after_a_backup(golden_copies: tuple[Path, Path]) -> None:
    path, reference = golden_copies
    with Project.open(path) as project:
        assert current_revision(project.context.database) == head_revision() != "0001"
    backups = sorted(path.parent.glob("golden.studio.backup-0001-*"))
    assert len(backups) == 1
    assert read_identity(backups[0]) == (APPLICATION_ID, "0001")
    connection = sqlite3.connect(f"file:{backups[0]}?mode=ro", uri=True)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    for table in FIRST_SCHEMA_TABLES:
        assert _rows(backups[0], table) == _rows(reference, table), table


def test_upgrade_keeps_every_row_and_column(golden_copies: tuple[Path, Path]) -> None:
    path, reference = golden_copies
    Project.open(path).close()
    for table in FIRST_SCHEMA_TABLES:
        old_columns = _columns(reference, table)
        assert _rows(path, table, old_columns) == _rows(reference, table), table


def test_new_attributes_column_defaults_to_an_empty_mapping(
    golden_copies: tuple[Path, Path],
) -> None:
    path, _ = golden_copies
    with Project.open(path) as project:
        records = [a for item_id in range(1, 6) for a in project.annotations(item_id)]
        assert len(records) == 6
        assert all(record.attributes == {} for record in records)
    assert {row[0] for row in _rows(path, "annotation", ["attributes"])} == {"{}"}


def test_the_upgraded_project_reads_like_the_first_schema_wrote_it(
    golden_copies: tuple[Path, Path],
) -> None:
    path, _ = golden_copies
    with Project.open(path) as project:
        classes = {c.name: c for c in project.classes()}
        assert [c.name for c in project.classes(include_archived=False)] == ["cat", "dog"]
        assert classes["bird"].archived
        assert classes["cat"].hotkey == "1"
        items = {item.id: item for item in project.items()}
        assert items[2].tags == ("hard",)
        assert items[5].meta == {"orientation": 6}
        assert items[4].split is None
        kinds = {a.id: a.kind for i in items for a in project.annotations(i)}
        assert sorted(kinds.values()) == ["box", "box", "keypoints", "mask", "polygon", "tag"]
        (mask,) = [a for a in project.annotations(2) if a.kind == "mask"]
        expected = np.zeros((30, 40), bool)
        expected[make_golden.MASK_BLOCK] = True
        assert np.array_equal(decode_mask(mask.geometry), expected)
        stats = project.stats()
        assert stats.items == 5
        # the model's two shapes became pending suggestions at 0008: counted apart
        assert stats.annotations_by_class == {"cat": 3, "dog": 1, "bird": 0}
        assert stats.pending_suggestions == 2


def test_undo_and_redo_work_on_the_first_schema_history(golden_copies: tuple[Path, Path]) -> None:
    path, _ = golden_copies
    with Project.open(path) as project:
        assert project.can_undo()
        assert not project.can_redo()
        step = project.undo()
        assert step.description == "set status of 1 items"
        assert project.item(2).status == "in_progress"
        step = project.undo()
        assert step.description == "add box cat"
        assert [a.kind for a in project.annotations(1)] == ["polygon"]
        assert project.item(1).status == "new"
    with Project.open(path) as project:  # the undone steps survive reopening
        assert project.redo().description == "add box cat"
        box = next(a for a in project.annotations(1) if a.kind == "box")
        assert (box.geometry, box.attributes) == ([4.0, 5.0, 20.0, 10.0], {})
        assert project.item(1).status == "in_progress"
        project.redo()
        assert project.item(2).status == "done"
        assert not project.can_redo()


def test_new_edits_on_an_upgraded_file_use_the_new_schema(
    golden_copies: tuple[Path, Path],
) -> None:
    path, _ = golden_copies
    with Project.open(path) as project:
        (new_id,) = project.add_annotations(
            [{"item_id": 5, "label": "dog", "box": [1, 1, 4, 4], "attributes": {"iscrowd": 1}}]
        )
        annotation_id = project.annotate(4, "cat", box=[0, 0, 8, 8])
        assert annotation_id > new_id > 6
        assert project.annotations(5)[0].attributes == {"iscrowd": 1}
        project.undo()
        project.undo()
        assert project.annotations(4) == [] == project.annotations(5)


def test_an_opened_file_at_head_is_not_backed_up_again(golden_copies: tuple[Path, Path]) -> None:
    path, _ = golden_copies
    Project.open(path).close()
    Project.open(path).close()
    assert len(list(path.parent.glob("*.backup-*"))) == 1
    assert sorted(p.name for p in path.parent.iterdir() if ".backup-" not in p.name) == [
        "golden.studio"
    ]


def test_upgraded_golden_has_the_schema_of_a_new_project(
    golden_copies: tuple[Path, Path], tmp_path: Path
) -> None:
    path, _ = golden_copies
    Project.open(path).close()
    Project.create(tmp_path / "fresh.studio").close()
    assert _schema(path) == _schema(tmp_path / "fresh.studio")


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    with (
        Project.create(tmp_path / "fresh.studio") as project,
        project.context.database.engine.connect() as connection,
    ):
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_compare_metadata_would_notice_a_model_change(tmp_path: Path) -> None:
    """The agreement test above can fail: a column the migrations lack shows up."""
    with (
        Project.create(tmp_path / "fresh.studio") as project,
        project.context.database.engine.connect() as connection,
    ):
        connection.exec_driver_sql("ALTER TABLE item ADD COLUMN stray INTEGER")
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("remove_column", "item", "stray")]


def test_a_failed_upgrade_changes_no_row(golden_copies: tuple[Path, Path]) -> None:
    """The upgrade is one transaction: when its final check fails, the file stays at 0001."""
    path, _ = golden_copies
    connection = sqlite3.connect(path)
    with connection:  # an annotation of a missing item: the foreign key check must fail
        connection.execute("UPDATE annotation SET item_id = 99 WHERE id = 6")
    connection.close()
    before = {table: _rows(path, table) for table in FIRST_SCHEMA_TABLES}
    with pytest.raises(ProjectFileError, match="foreign keys"):
        Project.open(path)
    assert read_identity(path) == (APPLICATION_ID, "0001")
    assert "attributes" not in _columns(path, "annotation")
    assert {table: _rows(path, table) for table in FIRST_SCHEMA_TABLES} == before
    assert len(list(path.parent.glob("golden.studio.backup-0001-*"))) == 1


def _indexes(path: Path, table: str) -> dict[str, bool]:
    """Index name → unique, for the indexes of `table` (constraints' automatic ones too)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[1]: bool(row[2]) for row in connection.execute(f"PRAGMA index_list({table})")}
    finally:
        connection.close()


def test_upgrade_from_0006_keeps_items_and_lets_two_share_a_sha256(
    golden_copies: tuple[Path, Path],
) -> None:
    path, reference = golden_copies
    upgrade_schema(path, "0006")
    at_0006 = _rows(path, "item")
    with pytest.raises(sqlite3.IntegrityError, match=r"item\.sha256"):
        _insert_copy_of_item(path, 1)
    Project.open(path).close()
    assert read_identity(path) == (APPLICATION_ID, head_revision())
    assert _rows(path, "item") == at_0006
    assert _rows(path, "annotation", _columns(reference, "annotation")) == _rows(
        reference, "annotation"
    )
    assert _indexes(path, "item")["ix_item_sha256"] is False
    _insert_copy_of_item(path, 1)
    shas = [row[0] for row in _rows(path, "item", ["sha256"])]
    assert shas.count(shas[0]) == 2


def _insert_copy_of_item(path: Path, item_id: int) -> None:
    """A second item with the content (sha256) of `item_id`, under another path."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "INSERT INTO item (path, sha256, size_bytes, width, height, format, status, "
                "split, tags, meta, added_at, updated_at) SELECT 'copy-' || path, sha256, "
                "size_bytes, width, height, format, status, split, tags, meta, added_at, "
                "updated_at FROM item WHERE id = ?",
                (item_id,),
            )
    finally:
        connection.close()


def test_upgrade_from_0007_makes_old_sam_shapes_accepted_and_model_shapes_pending(
    golden_copies: tuple[Path, Path],
) -> None:
    """Versions made after the upgrade take what they took before: human and sam shapes."""
    path, reference = golden_copies
    upgrade_schema(path, "0007")
    sources = dict(_rows(path, "annotation", ["id", "source"]))
    Project.open(path).close()
    reviews = dict(_rows(path, "annotation", ["id", "review"]))
    expected = {"human": None, "sam": "accepted", "model": "pending"}
    assert reviews == {i: expected[source] for i, source in sources.items()}
    assert set(sources.values()) == set(expected)
    assert _rows(path, "annotation", _columns(reference, "annotation")) == _rows(
        reference, "annotation"
    )


def test_downgrade_from_0008_drops_review_and_its_rejected_suggestions(tmp_path: Path) -> None:
    path = tmp_path / "review.studio"
    with Project.create(path) as project:
        project.add_classes(["cat"])
        project.import_media(write_images(tmp_path / "images", 1))
        (item,) = project.item_ids()
        spec = {"item_id": item, "label": "cat", "box": [1, 1, 5, 5], "source": "sam"}
        kept, rejected = project.suggest_annotations([spec, spec])
        project.reject_suggestions([rejected])
    engine = create_file_engine(path)
    try:
        with engine.connect() as connection, connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
    finally:
        engine.dispose()
    assert "review" not in _columns(path, "annotation")
    assert [row[0] for row in _rows(path, "annotation", ["id"])] == [kept]


def test_upgrade_to_0009_adds_an_empty_label_issue_table(golden_copies: tuple[Path, Path]) -> None:
    path, _reference = golden_copies
    upgrade_schema(path, "0008")
    assert "label_issue" not in [row[1] for row in _schema(path)]
    Project.open(path).close()
    assert _rows(path, "label_issue") == []
    assert "decision" in _columns(path, "label_issue")


def test_downgrade_from_0009_drops_the_label_issues_and_keeps_the_labels(
    tmp_path: Path,
) -> None:
    path, item, tag, cat, dog = _tagged_project(tmp_path)
    database = open_project_file(path)
    try:
        store_findings(database, [Finding(item, tag, cat, dog, 0.1)], "a test", 0.0)
    finally:
        database.close()
    assert len(_rows(path, "label_issue")) == 1
    annotations = _rows(path, "annotation")
    _migrate(path, "downgrade", "0008")
    assert "label_issue" not in [row[1] for row in _schema(path)]
    assert _rows(path, "annotation") == annotations


def test_upgrade_to_0010_makes_old_findings_tag_findings_and_adds_label_quality(
    tmp_path: Path,
) -> None:
    path, item, tag, cat, dog = _tagged_project(tmp_path)
    _migrate(path, "downgrade", "0009")
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "INSERT INTO label_issue (item_id, annotation_id, given_class_id, "
                "suggested_class_id, score, search_id, method, found_at) "
                "VALUES (?, ?, ?, ?, 0.1, 1, 'a test', 0.0)",
                (item, tag, cat, dog),
            )
    finally:
        connection.close()
    Project.open(path).close()
    assert _rows(path, "label_issue", ["item_id", "kind"]) == [(item, "tag")]
    assert _rows(path, "label_quality") == []


def test_downgrade_from_0010_drops_box_findings_and_qualities_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    path, item, tag, cat, dog = _tagged_project(tmp_path)
    with Project.open(path) as project:
        (box,) = project.add_annotations([{"item_id": item, "label": "cat", "box": [1, 1, 5, 5]}])
    database = open_project_file(path)
    try:
        findings = [Finding(item, tag, cat, dog, 0.1), Finding(item, box, cat, dog, 0.2, "box")]
        store_findings(database, findings, "a test", 0.0, [ItemQuality(item, "box", 0.3)])
    finally:
        database.close()
    annotations = _rows(path, "annotation")
    _migrate(path, "downgrade", "0009")
    assert "label_quality" not in [row[1] for row in _schema(path)]
    assert "kind" not in _columns(path, "label_issue")
    assert _rows(path, "label_issue", ["annotation_id"]) == [(tag,)]
    assert _rows(path, "annotation") == annotations


def test_upgrade_to_0011_keeps_every_annotation_and_accepts_the_new_kinds(
    tmp_path: Path,
) -> None:
    path, item, _tag, _cat, _dog = _tagged_project(tmp_path)
    _migrate(path, "downgrade", "0010")
    annotations = _rows(path, "annotation")
    with Project.open(path) as project:
        line = project.annotate(item, "cat", polyline=[(1, 1), (5, 5), (9, 2)])
        turned = project.annotate(item, "dog", rotated_box=[10, 10, 8, 4, 30])
    assert _rows(path, "annotation")[: len(annotations)] == annotations
    assert _rows(path, "annotation", ["id", "kind"])[-2:] == [
        (line, "polyline"),
        (turned, "rotated_box"),
    ]


def test_downgrade_from_0011_refuses_while_polylines_or_rotated_boxes_exist(
    tmp_path: Path,
) -> None:
    path, item, _tag, _cat, _dog = _tagged_project(tmp_path)
    with Project.open(path) as project:
        project.annotate(item, "cat", rotated_box=[10, 10, 8, 4, 30])
        project.set_status([item], "done")
        project.create_version("v1")
    annotations = _rows(path, "annotation")
    with pytest.raises(ProjectFileError, match=r"2 polyline or rotated-box shapes remain \(1 "):
        _migrate(path, "downgrade", "0010")
    with Project.open(path) as project:
        assert current_revision(project.context.database) == "0011"
    assert _rows(path, "annotation") == annotations


def test_downgrade_from_0011_without_new_shapes_keeps_every_annotation(tmp_path: Path) -> None:
    path, *_ = _tagged_project(tmp_path)
    annotations = _rows(path, "annotation")
    _migrate(path, "downgrade", "0010")
    assert _rows(path, "annotation") == annotations
    connection = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="ck_annotation_kind"), connection:
            connection.execute("UPDATE annotation SET kind = 'polyline'")
    finally:
        connection.close()


def _tagged_project(tmp_path: Path) -> tuple[Path, int, int, int, int]:
    """A project of one image tagged "cat" (classes cat and dog): the path, the item's id, the
    tag's id, and the two classes' ids."""
    path = tmp_path / "issues.studio"
    with Project.create(path) as project:
        project.add_classes(["cat", "dog"])
        project.import_media(write_images(tmp_path / "images", 1))
        (item,) = project.item_ids()
        (tag,) = project.set_image_tags(item, ["cat"])
        cat, dog = (record.id for record in project.classes())
    return path, item, tag, cat, dog


def _migrate(path: Path, direction: str, target: str) -> None:
    engine = create_file_engine(path)
    try:
        with engine.connect() as connection, connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, direction)(config, target)
    finally:
        engine.dispose()
