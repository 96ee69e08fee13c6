"""Dataset versions, runs, per-epoch metrics, artifacts, evaluations and predictions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("ratios", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_version")),
        sa.UniqueConstraint("name", name=op.f("uq_dataset_version_name")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("dataset_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_version_content_hash"), ["content_hash"], unique=False
        )

    op.create_table(
        "dataset_version_item",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("split", sa.String(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "split IN ('train','val','test')", name=op.f("ck_dataset_version_item_split")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_version.id"],
            name=op.f("fk_dataset_version_item_version_id_dataset_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "item_id", name=op.f("pk_dataset_version_item")),
    )
    with op.batch_alter_table("dataset_version_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dataset_version_item_version_id_split", ["version_id", "split"], unique=False
        )

    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("task", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("environment", sa.JSON(), nullable=False),
        sa.Column("pretrained", sa.String(), nullable=False),
        sa.Column("epochs_done", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("worker_pid", sa.Integer(), nullable=True),
        sa.Column("worker_host", sa.String(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued','running','finished','failed','cancelled','interrupted')",
            name=op.f("ck_run_status"),
        ),
        sa.CheckConstraint(
            "task IN ('classification','multilabel','detection','segmentation')",
            name=op.f("ck_run_task"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_version.id"],
            name=op.f("fk_run_version_id_dataset_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
        sa.UniqueConstraint("name", name=op.f("uq_run_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "artifact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_artifact_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact")),
        sa.UniqueConstraint("run_id", "name", name=op.f("uq_artifact_run_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.String(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("split", sa.String(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_evaluation_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_metric_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric")),
        sa.UniqueConstraint("run_id", "epoch", "name", name=op.f("uq_metric_run_id_epoch_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "prediction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_prediction_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("prediction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_prediction_evaluation_id_item_id", ["evaluation_id", "item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("prediction", schema=None) as batch_op:
        batch_op.drop_index("ix_prediction_evaluation_id_item_id")

    op.drop_table("prediction")
    op.drop_table("metric")
    op.drop_table("evaluation")
    op.drop_table("artifact")
    op.drop_table("run")
    with op.batch_alter_table("dataset_version_item", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_version_item_version_id_split")

    op.drop_table("dataset_version_item")
    with op.batch_alter_table("dataset_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_version_content_hash"))

    op.drop_table("dataset_version")
