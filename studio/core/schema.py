"""The tables of the project file, declared with SQLModel.

Changing anything here needs a new alembic revision in `studio/core/migrations/versions`;
`tests/core/test_migrations.py` fails when the models and the migrations disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, MetaData
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
KIND_VALUES = "'tag','box','polygon','mask','keypoints'"
SOURCE_VALUES = "'human','model','sam'"


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
    sha256: str = Field(unique=True)
    size_bytes: int
    width: int
    height: int
    format: str
    status: str = "new"
    split: str | None = Field(default=None, index=True)
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    meta: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    added_at: float = Field(index=True)
    updated_at: float


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
    # Format-specific flags kept through round trips: COCO iscrowd, VOC difficult/truncated,
    # CVAT occluded. Added by revision 0002.
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


setting_table = Setting.__table__
label_class_table = LabelClass.__table__
item_table = Item.__table__
annotation_table = Annotation.__table__
history_table = History.__table__

# Tables whose rows a history entry may snapshot and restore.
TRACKED_TABLES = {t.name: t for t in (label_class_table, item_table, annotation_table)}
