"""The tables of the project file, declared with SQLModel.

Changing anything here needs a new alembic revision in `studio/core/migrations/versions`;
`tests/core/test_migrations.py` fails when the models and the migrations disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# Stable constraint names make batch-mode migrations on SQLite possible.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata

STATUS_VALUES = "'new','in_progress','done','done_empty','reviewed','rejected'"
KIND_VALUES = "'tag','box','polygon','mask','keypoints','polyline','rotated_box'"
SOURCE_VALUES = "'human','model','sam'"
REVIEW_CHECK = "review IS NULL OR review IN ('pending','accepted','rejected')"
TASK_VALUES = "'classification','multilabel','detection','segmentation'"
RUN_STATUS_VALUES = "'queued','running','finished','failed','cancelled','interrupted'"
SPLIT_VALUES = "'train','val','test'"
LABEL_ISSUE_DECISION_CHECK = "decision IS NULL OR decision IN ('fixed','kept')"
LABEL_ISSUE_KIND_CHECK = "kind IN ('tag','box')"


class Setting(SQLModel, table=True):
    """Project-wide settings as key → JSON value (for example the labeling mode)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


class LabelClass(SQLModel, table=True):
    __tablename__ = "label_class"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    color: str = "#808080"
    hotkey: str | None = None
    position: int = 0
    archived: bool = False
    created_at: float
    # What a format says of the class beyond its name: {"keypoints": [...], "skeleton": [[1, 2]]}.
    meta: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )


class Item(SQLModel, table=True):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status"),
        CheckConstraint("split IS NULL OR split IN ('train','val','test')", name="split"),
        Index("ix_item_status_path", "status", "path"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(unique=True)
    # Not unique since 0007: a label import may keep byte-identical images as two items.
    sha256: str = Field(index=True)
    size_bytes: int
    width: int
    height: int
    format: str
    status: str = "new"
    split: str | None = Field(default=None, index=True)
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    meta: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    added_at: float = Field(index=True)
    updated_at: float = Field(index=True)  # labels_revision's max(), on the GUI thread


class Annotation(SQLModel, table=True):
    __tablename__ = "annotation"
    __table_args__ = (
        CheckConstraint(f"kind IN ({KIND_VALUES})", name="kind"),
        CheckConstraint(f"source IN ({SOURCE_VALUES})", name="source"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score"),
        Index("ix_annotation_class_id_item_id", "class_id", "item_id"),
        Index("ix_annotation_source_item_id", "source", "item_id"),
        Index("ix_annotation_item_id_score", "item_id", "score"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False)
    )
    class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("label_class.id", ondelete="RESTRICT"), nullable=False)
    )
    kind: str
    geometry: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    source: str = "human"
    score: float | None = None
    author: str = ""
    # A suggestion's review state (pending, accepted, rejected); NULL for an ordinary shape.
    # Apart from `source`: a SAM or model shape is a suggestion until a person accepts it.
    # Added by revision 0008 (ADR 0030).
    review: str | None = Field(
        default=None,
        sa_column=Column(String, CheckConstraint(REVIEW_CHECK, name="review"), nullable=True),
    )
    # Reserved flags of the label formats at the top level (COCO iscrowd, VOC difficult,
    # truncated, occluded, pose, CVAT occluded and z_order, labelme description) and the
    # user's own attributes under "user": {"occluded": 1, "user": {"occluded": "no"}}. Older
    # projects kept user attributes at the top level; a top-level key that is not a reserved
    # flag still reads as one. See studio.core.attributes. Added by revision 0002.
    attributes: dict = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    created_at: float
    updated_at: float


class History(SQLModel, table=True):
    """The undo log: one row per user edit, holding the before and after of every changed row."""

    __tablename__ = "history"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    created_at: float
    author: str = ""
    description: str
    changes: list = Field(sa_column=Column(JSON, nullable=False))
    undone: bool = Field(default=False, index=True)


class DatasetVersion(SQLModel, table=True):
    """A frozen snapshot of the labels: which items, in which split, with which annotations.

    Rows are written once, by `studio.core.versions.create_version`, and never updated.
    """

    __tablename__ = "dataset_version"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: float
    author: str = ""
    note: str = ""
    seed: int = 0
    # {"train": 0.8, "val": 0.1, "test": 0.1}
    ratios: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The classes at that moment, in panel order: [{"id", "name", "color"}].
    classes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Per-split and per-class counts, shown before training.
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(index=True)


class DatasetVersionItem(SQLModel, table=True):
    """One item of a version, with a copy of what it was then (not a reference to `item`:
    a version outlives later edits and deletions)."""

    __tablename__ = "dataset_version_item"
    __table_args__ = (
        CheckConstraint(f"split IN ({SPLIT_VALUES})", name="split"),
        Index("ix_dataset_version_item_version_id_split", "version_id", "split"),
    )

    version_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("dataset_version.id", ondelete="CASCADE"), primary_key=True
        )
    )
    item_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    path: str
    sha256: str
    width: int
    height: int
    status: str
    split: str
    # [{"id", "class_id", "kind", "geometry", "attributes"}], accepted annotations only.
    annotations: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Run(SQLModel, table=True):
    """One training run: its full configuration, environment, status and summary."""

    __tablename__ = "run"
    __table_args__ = (
        CheckConstraint(f"task IN ({TASK_VALUES})", name="task"),
        CheckConstraint(f"status IN ({RUN_STATUS_VALUES})", name="status"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    task: str
    model: str
    version_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("dataset_version.id", ondelete="RESTRICT"), nullable=False
        )
    )
    config: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    seed: int = 0
    status: str = "queued"
    device: str = ""
    # Studio, Python, torch, torchvision, CUDA versions, GPU name, platform.
    environment: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # "ImageNet weights from the local cache" or "from scratch: no cached weights".
    pretrained: str = ""
    epochs_done: int = 0
    # Final figures (best epoch, test metrics) for the runs table.
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str = ""
    author: str = ""
    worker_pid: int | None = None
    worker_host: str = ""
    # The OS start time of the worker process: with pid and host it names one process.
    worker_started_at: float | None = None
    heartbeat_at: float | None = None
    cancel_requested: bool = False
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None


class Metric(SQLModel, table=True):
    """One number of one epoch of a run ("train/loss", "val/accuracy", "lr", ...)."""

    __tablename__ = "metric"
    __table_args__ = (
        UniqueConstraint("run_id", "epoch", "name"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    epoch: int
    name: str
    value: float
    recorded_at: float


class Artifact(SQLModel, table=True):
    """A file a run produced (checkpoint, log, ONNX model), stored under the project's
    `NAME.studio.d/` folder; `path` is relative to that folder."""

    __tablename__ = "artifact"
    __table_args__ = (
        UniqueConstraint("run_id", "name"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    name: str
    kind: str
    path: str
    sha256: str = ""
    size_bytes: int = 0
    epoch: int | None = None
    meta: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float


class Evaluation(SQLModel, table=True):
    """Metrics of one checkpoint of a run on one split of its dataset version."""

    __tablename__ = "evaluation"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    checkpoint: str
    epoch: int | None = None
    split: str
    # Summary numbers, per-class figures, confusion matrix, top confusions.
    metrics: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float


class Prediction(SQLModel, table=True):
    """What a model predicted for one item in an evaluation, so every metric can be traced
    back to images. Kept apart from annotations: predictions are never labels."""

    __tablename__ = "prediction"
    __table_args__ = (
        Index("ix_prediction_evaluation_id_item_id", "evaluation_id", "item_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("evaluation.id", ondelete="CASCADE"), nullable=False)
    )
    item_id: int
    class_id: int
    kind: str
    geometry: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    score: float


class ModelVersion(SQLModel, table=True):
    """A run's checkpoint registered under a model name with a version number (1, 2, ...),
    with the figures it had and the data it came from; aliases point at these rows."""

    __tablename__ = "model_version"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    version: int
    run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="RESTRICT"), nullable=False)
    )
    checkpoint: str = "best.pt"
    # The checkpoint's sha256 when registered: a later re-training cannot swap it silently.
    checkpoint_sha256: str = ""
    task: str
    architecture: str
    dataset_version_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("dataset_version.id", ondelete="RESTRICT"), nullable=False
        )
    )
    metrics: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    notes: str = ""
    author: str = ""
    created_at: float


class ModelAlias(SQLModel, table=True):
    """A movable name (`production`, `candidate`) for one version of a model."""

    __tablename__ = "model_alias"

    name: str = Field(primary_key=True)
    alias: str = Field(primary_key=True)
    model_version_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("model_version.id", ondelete="CASCADE"), nullable=False
        )
    )
    updated_at: float


class LabelIssue(SQLModel, table=True):
    """A label the label-error finder doubts, and what a person decided about it.

    One row per label a search raised: the tag or box it concerns (`kind`, `annotation_id`),
    its class then (`given_class_id`), the class the out-of-fold model preferred and the
    label's quality (lowest first).
    `decision` stays NULL until a person fixes the label ("fixed": the suggested class was
    applied) or keeps it ("kept": not raised again while the item keeps that class). Decisions
    are edits of their own, tracked by the undo log. Added by revision 0009 (ADR 0037); `kind`
    by revision 0010 (ADR 0040).
    """

    __tablename__ = "label_issue"
    __table_args__ = (
        CheckConstraint(LABEL_ISSUE_DECISION_CHECK, name="decision"),
        Index("ix_label_issue_search_id_score", "search_id", "score"),
        Index("ix_label_issue_item_id_decision", "item_id", "decision"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False)
    )
    annotation_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("annotation.id", ondelete="SET NULL"), nullable=True),
    )
    given_class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("label_class.id", ondelete="CASCADE"), nullable=False)
    )
    suggested_class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("label_class.id", ondelete="CASCADE"), nullable=False)
    )
    score: float
    # The search that raised it: every finding of one `label-issues` job shares its id.
    search_id: int
    method: str = ""  # how the search judged: "linear discriminant analysis on …, 5 folds"
    found_at: float
    decision: str | None = None
    decided_at: float | None = None
    decided_by: str | None = None
    # "tag" (an image-level class tag) or "box" (one box's class). Added by revision 0010.
    kind: str = Field(
        default="tag",
        sa_column=Column(
            String,
            CheckConstraint(LABEL_ISSUE_KIND_CHECK, name="kind"),
            nullable=False,
            server_default="tag",
        ),
    )


class LabelQuality(SQLModel, table=True):
    """The quality a label-error search gave every item it judged, doubted or not: the tag's
    label quality, or for an item with boxes cleanlab's image-level object-detection score
    (0 worst, 1 best). The map of the data is coloured by the latest search's. Rebuilt by
    every search, never edited by a person. Added by revision 0010 (ADR 0040).
    """

    __tablename__ = "label_quality"
    __table_args__ = (
        CheckConstraint(LABEL_ISSUE_KIND_CHECK, name="kind"),
        Index("ix_label_quality_search_id_item_id", "search_id", "item_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    search_id: int
    item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str
    score: float


setting_table = Setting.__table__
label_class_table = LabelClass.__table__
item_table = Item.__table__
annotation_table = Annotation.__table__
history_table = History.__table__
dataset_version_table = DatasetVersion.__table__
dataset_version_item_table = DatasetVersionItem.__table__
run_table = Run.__table__
metric_table = Metric.__table__
artifact_table = Artifact.__table__
evaluation_table = Evaluation.__table__
prediction_table = Prediction.__table__
model_version_table = ModelVersion.__table__
model_alias_table = ModelAlias.__table__
label_issue_table = LabelIssue.__table__
label_quality_table = LabelQuality.__table__

# Tables whose rows a history entry may snapshot and restore.
# Label-issue decisions are undone with the label fix they came with.
TRACKED_TABLES = {
    t.name: t for t in (label_class_table, item_table, annotation_table, label_issue_table)
}
