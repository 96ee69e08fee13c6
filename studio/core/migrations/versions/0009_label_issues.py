"""Label issues: the labels the label-error finder doubts, and people's decisions on them.

A new table, `label_issue`, so no existing row changes. Downgrading drops it with every
finding and decision (ADR 0037).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DECISION_CHECK = "decision IS NULL OR decision IN ('fixed','kept')"


def upgrade() -> None:
    op.create_table(
        "label_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=True),
        sa.Column("given_class_id", sa.Integer(), nullable=False),
        sa.Column("suggested_class_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("found_at", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.CheckConstraint(DECISION_CHECK, name=op.f("ck_label_issue_decision")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_label_issue_item_id_item"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotation.id"],
            name=op.f("fk_label_issue_annotation_id_annotation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["given_class_id"],
            ["label_class.id"],
            name=op.f("fk_label_issue_given_class_id_label_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["suggested_class_id"],
            ["label_class.id"],
            name=op.f("fk_label_issue_suggested_class_id_label_class"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_issue")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("label_issue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_label_issue_search_id_score"), ["search_id", "score"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_label_issue_item_id_decision"), ["item_id", "decision"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("label_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_issue_item_id_decision"))
        batch_op.drop_index(batch_op.f("ix_label_issue_search_id_score"))
    op.drop_table("label_issue")
