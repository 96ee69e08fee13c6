"""Label errors of boxes and every judged label's quality (ADR 0040).

`label_issue.kind` says whether a finding doubts an image-level tag ("tag", every finding
before 0010) or one box's class ("box"). A new table, `label_quality`, keeps the quality each
search gave every item it judged, so the map of the data can be coloured by it. Downgrading
drops the box findings (0009 knew only tags), the column and the table; labels stay.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KIND_CHECK = "kind IN ('tag','box')"


def upgrade() -> None:
    with op.batch_alter_table("label_issue", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.String(),
                sa.CheckConstraint(KIND_CHECK, name=op.f("ck_label_issue_kind")),
                nullable=False,
                server_default="tag",
            )
        )
    op.create_table(
        "label_quality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.CheckConstraint(KIND_CHECK, name=op.f("ck_label_quality_kind")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_label_quality_item_id_item"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_quality")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("label_quality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_label_quality_search_id_item_id"), ["search_id", "item_id"], unique=False
        )


def downgrade() -> None:
    """Box findings go (0009 would read them as doubted tags). Batch mode rebuilds the table
    from its reflected constraints, so the column's check is dropped first."""
    with op.batch_alter_table("label_quality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_quality_search_id_item_id"))
    op.drop_table("label_quality")
    op.execute("DELETE FROM label_issue WHERE kind = 'box'")
    with op.batch_alter_table("label_issue", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_label_issue_kind"), type_="check")
        batch_op.drop_column("kind")
