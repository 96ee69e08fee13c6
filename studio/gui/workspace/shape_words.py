"""Shapes counted in words for the status bar: "1 box", "2 polygons", "3 shapes"."""

from __future__ import annotations

from collections.abc import Iterable

# Kinds whose noun is not the kind's own name; any other kind reads as its name.
NOUNS = {"keypoints": ("keypoint set", "keypoint sets"), "box": ("box", "boxes")}


def counted_shapes(kinds: Iterable[str]) -> str:
    """ "1 box", "2 boxes", or "3 shapes" when the kinds differ."""
    kinds = list(kinds)
    distinct = set(kinds)
    if len(distinct) == 1:
        kind = distinct.pop()
        singular = kind.replace("_", " ")
        one, many = NOUNS.get(kind, (singular, f"{singular}s"))
    else:
        one, many = "shape", "shapes"
    return f"{len(kinds):,} {one if len(kinds) == 1 else many}"
