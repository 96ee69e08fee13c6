"""Two more annotation kinds: `polyline` and `rotated_box` (ADR 0045).

The upgrade only widens `annotation.kind`'s check; no row changes. SQLite cannot alter a
check, so the table is rebuilt the way batch mode does it (new table, copy, drop, rename),
but from the fixed definition below: batch mode copies the reflected constraints in an order
that changes from run to run, and an upgraded file must read exactly like a new one.

Downgrading refuses while the project holds a shape of either kind, in its annotations or in
a dataset version's frozen copy: 0010 could neither store nor read them, and converting them
silently (a polyline has no older equivalent) would lose labels. Delete them first.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

from studio.core.errors import ProjectFileError

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_KINDS = "'tag','box','polygon','mask','keypoints'"
NEW_KINDS = "'tag','box','polygon','mask','keypoints','polyline','rotated_box'"
ADDED_KINDS = ("polyline", "rotated_box")

COLUMNS = (
    "id, item_id, class_id, kind, geometry, source, score, author, created_at, updated_at, "
    "attributes, review"
)
DEFINITIONS = (
    "id INTEGER NOT NULL",
    "item_id INTEGER NOT NULL",
    "class_id INTEGER NOT NULL",
    "kind VARCHAR NOT NULL",
    "geometry JSON",
    "source VARCHAR NOT NULL",
    "score FLOAT",
    "author VARCHAR NOT NULL",
    "created_at FLOAT NOT NULL",
    "updated_at FLOAT NOT NULL",
    "attributes JSON DEFAULT '{}' NOT NULL",
    "review VARCHAR",
    "PRIMARY KEY (id)",
    "CONSTRAINT fk_annotation_item_id_item FOREIGN KEY(item_id) REFERENCES item (id) "
    "ON DELETE CASCADE",
    "CONSTRAINT fk_annotation_class_id_label_class FOREIGN KEY(class_id) "
    "REFERENCES label_class (id) ON DELETE RESTRICT",
    "CONSTRAINT ck_annotation_kind CHECK (kind IN (KINDS))",
    "CONSTRAINT ck_annotation_source CHECK (source IN ('human','model','sam'))",
    "CONSTRAINT ck_annotation_score CHECK (score IS NULL OR (score >= 0 AND score <= 1))",
    "CONSTRAINT ck_annotation_review CHECK "
    "(review IS NULL OR review IN ('pending','accepted','rejected'))",
)
TABLE = "CREATE TABLE _annotation_0011 (\n\t" + ",\n\t".join(DEFINITIONS) + "\n)"
INDEXES = {
    "ix_annotation_class_id_item_id": "class_id, item_id",
    "ix_annotation_source_item_id": "source, item_id",
    "ix_annotation_item_id_score": "item_id, score",
}


def _rebuild_annotation(kinds: str) -> None:
    """The annotation table again, with `kinds` in its kind check and every row kept."""
    op.execute(TABLE.replace("KINDS", kinds))
    op.execute(f"INSERT INTO _annotation_0011 ({COLUMNS}) SELECT {COLUMNS} FROM annotation")
    op.execute("DROP TABLE annotation")
    op.execute("ALTER TABLE _annotation_0011 RENAME TO annotation")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON annotation ({columns})")


def upgrade() -> None:
    _rebuild_annotation(NEW_KINDS)


def _count_of_new_shapes() -> tuple[int, int]:
    """How many annotations, and how many frozen copies in dataset versions, are polylines or
    rotated boxes."""
    connection = op.get_bind()
    annotations = connection.exec_driver_sql(
        "SELECT count(*) FROM annotation WHERE kind IN (?, ?)", ADDED_KINDS
    ).scalar_one()
    frozen = connection.exec_driver_sql(
        "SELECT count(*) FROM dataset_version_item, json_each(dataset_version_item.annotations) "
        "WHERE json_extract(json_each.value, '$.kind') IN (?, ?)",
        ADDED_KINDS,
    ).scalar_one()
    return int(annotations), int(frozen)


def downgrade() -> None:
    annotations, frozen = _count_of_new_shapes()
    if annotations or frozen:
        total = annotations + frozen
        raise ProjectFileError(
            f"cannot downgrade below revision 0011: {total} polyline or rotated-box "
            f"shape{'' if total == 1 else 's'} remain ({frozen} of them in dataset versions); "
            "delete them first"
        )
    _rebuild_annotation(OLD_KINDS)
