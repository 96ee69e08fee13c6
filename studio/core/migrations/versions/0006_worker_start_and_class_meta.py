"""A run's worker process start time, and a JSON `meta` on each class.

`run.worker_started_at` is the operating system's start time of the worker process (with
`worker_pid` and `worker_host` it names one process, even after its pid is reused), so a run on
this host is judged alive by its process rather than by the age of its heartbeat.
`label_class.meta` keeps what an imported format says about a class beyond its name: a
keypoint category's keypoint names and skeleton, for instance.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker_started_at", sa.Float(), nullable=True))
    with op.batch_alter_table("label_class", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meta", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("label_class", schema=None) as batch_op:
        batch_op.drop_column("meta")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("worker_started_at")
