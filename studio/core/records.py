"""Plain, immutable views of project rows, returned by queries and the API.

Records are detached copies: changing the project goes through the edit functions, never
through a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LabelClassRecord:
    id: int
    name: str
    color: str
    hotkey: str | None
    position: int
    archived: bool
    # What a format said of the class beyond its name (keypoint names and skeleton).
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LabelClassRecord:
        return cls(
            id=row["id"],
            name=row["name"],
            color=row["color"],
            hotkey=row["hotkey"],
            position=row["position"],
            archived=bool(row["archived"]),
            meta=dict(row.get("meta") or {}),
        )


@dataclass(frozen=True)
class ItemRecord:
    id: int
    path: str
    sha256: str
    size_bytes: int
    width: int
    height: int
    format: str
    status: str
    split: str | None
    tags: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    added_at: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ItemRecord:
        return cls(
            id=row["id"],
            path=row["path"],
            sha256=row["sha256"],
            size_bytes=row["size_bytes"],
            width=row["width"],
            height=row["height"],
            format=row["format"],
            status=row["status"],
            split=row["split"],
            tags=tuple(row["tags"] or ()),
            meta=dict(row["meta"] or {}),
            added_at=row["added_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class AnnotationRecord:
    id: int
    item_id: int
    class_id: int
    label: str
    kind: str
    geometry: Any
    source: str
    score: float | None
    author: str
    attributes: Mapping[str, Any]
    created_at: float
    updated_at: float
    # A suggestion's review state ("pending", "accepted", "rejected"); None for an ordinary shape.
    review: str | None = None

    @property
    def is_pending(self) -> bool:
        """A suggestion no person has accepted or rejected yet (drawn dashed)."""
        return self.review == "pending"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AnnotationRecord:
        """From an annotation row joined with its class name as `label`."""
        return cls(
            id=row["id"],
            item_id=row["item_id"],
            class_id=row["class_id"],
            label=row["label"],
            kind=row["kind"],
            geometry=row["geometry"],
            source=row["source"],
            score=row["score"],
            author=row["author"],
            attributes=dict(row["attributes"] or {}),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            review=row.get("review"),
        )
