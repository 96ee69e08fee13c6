"""An index on item.updated_at, so that `labels_revision` reads one index entry.

Windows ask for the labels revision on the GUI thread after every commit by another process
(a training worker's heartbeat included); without the index its `max(updated_at)` read the
whole item table, about 45 ms at 100,000 items.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_item_updated_at", "item", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_item_updated_at", table_name="item")
