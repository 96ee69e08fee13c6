"""Byte-identical images may be two items: `item.sha256` loses its UNIQUE constraint.

A label import with "keep duplicates" makes one item per file name even when two files have
the same bytes (ADR 0024). The content is still looked up by its hash (matching a label
file's images, relinking moved files, keeping test images in test), so a plain index takes
the constraint's place.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SPLIT_CHECK = "split IS NULL OR split IN ('train','val','test')"
STATUS_CHECK = "status IN ('new','in_progress','done','done_empty','reviewed','rejected')"


def _item_table_of_0006() -> sa.Table:
    """The item table as 0001 and 0005 made it, given to batch mode rather than reflected."""
    return sa.Table(
        "item",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("split", sa.String(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.CheckConstraint(SPLIT_CHECK, name="ck_item_split"),
        sa.CheckConstraint(STATUS_CHECK, name="ck_item_status"),
        sa.PrimaryKeyConstraint("id", name="pk_item"),
        sa.UniqueConstraint("path", name="uq_item_path"),
        sa.UniqueConstraint("sha256", name="uq_item_sha256"),
        sa.Index("ix_item_added_at", "added_at"),
        sa.Index("ix_item_split", "split"),
        sa.Index("ix_item_status_path", "status", "path"),
        sa.Index("ix_item_updated_at", "updated_at"),
        sqlite_autoincrement=True,
    )


def upgrade() -> None:
    """Rebuild the item table without the constraint.

    Batch mode takes a table's constraints from a set, so the rebuilt CREATE TABLE would list
    them in an order that changes from run to run; they are dropped and added again in a
    fixed order, so every upgraded file has the same schema text as a new project.
    """
    with op.batch_alter_table("item", copy_from=_item_table_of_0006()) as batch_op:
        for name, kind in (
            ("ck_item_split", "check"),
            ("ck_item_status", "check"),
            ("uq_item_path", "unique"),
            ("uq_item_sha256", "unique"),
        ):
            batch_op.drop_constraint(op.f(name), type_=kind)
        batch_op.create_check_constraint(op.f("ck_item_split"), SPLIT_CHECK)
        batch_op.create_check_constraint(op.f("ck_item_status"), STATUS_CHECK)
        batch_op.create_unique_constraint(op.f("uq_item_path"), ["path"])
        batch_op.create_index("ix_item_sha256", ["sha256"], unique=False)


def downgrade() -> None:
    """Fails, changing nothing, while two items share one content."""
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_sha256")
        batch_op.create_unique_constraint("uq_item_sha256", ["sha256"])
