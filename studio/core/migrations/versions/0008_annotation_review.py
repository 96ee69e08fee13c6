"""A suggestion's review state, apart from its source: `annotation.review`.

NULL for an ordinary shape; "pending", "accepted" or "rejected" for a suggestion (a shape SAM
or a model proposed). Before 0008 a dataset version took `human` and `sam` shapes and left
`model` shapes out, so an old file's `sam` shapes become "accepted" and its `model` shapes
"pending": every version made after the upgrade takes the shapes it took before (ADR 0030).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REVIEW_CHECK = "review IS NULL OR review IN ('pending','accepted','rejected')"


def upgrade() -> None:
    """Add the column (with its check, in the column's own definition) and fill it."""
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review",
                sa.String(),
                sa.CheckConstraint(REVIEW_CHECK, name=op.f("ck_annotation_review")),
                nullable=True,
            )
        )
    op.execute("UPDATE annotation SET review = 'accepted' WHERE source = 'sam'")
    op.execute("UPDATE annotation SET review = 'pending' WHERE source = 'model'")


def downgrade() -> None:
    """Rejected suggestions are deleted: before 0008 nothing hid a shape from versions.

    Batch mode rebuilds the table from its reflected constraints, so the column's check is
    dropped first.
    """
    op.execute("DELETE FROM annotation WHERE review = 'rejected'")
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_annotation_review"), type_="check")
        batch_op.drop_column("review")
