"""Prompts: what a person gives an interactive assistant (the magic wand, Segment Anything) to
say which region of one image they mean.

    Prompts(points=(Point(120, 80), Point(140, 95, positive=False)))   # in this, not in that
    Prompts(box=(100, 60, 80, 50))                                     # the thing in this box

Coordinates are image pixels of the upright image (EXIF orientation applied), as stored
geometry is; a box is `(x, y, width, height)` like a stored box (COCO order), not SAM's corner
pair. A point marks the region it lies in (`positive`) or a region to leave out.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from studio.core.errors import StudioError


class PromptError(StudioError):
    """Prompts that cannot be answered: none given, or lying outside the image."""


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    positive: bool = True


@dataclass(frozen=True)
class Prompts:
    points: tuple[Point, ...] = ()
    box: tuple[float, float, float, float] | None = None

    @property
    def positive(self) -> tuple[Point, ...]:
        return tuple(point for point in self.points if point.positive)

    @property
    def negative(self) -> tuple[Point, ...]:
        return tuple(point for point in self.points if not point.positive)

    def check(self, width: int, height: int, image: object) -> None:
        """Raise `PromptError` naming `image` unless the prompts ask for something inside a
        `width`×`height` image: a box, or at least one positive point."""
        if self.box is None and not self.positive:
            raise PromptError(f"{image}: give a box or at least one positive point")
        for point in self.points:
            if not (_finite(point.x, point.y) and 0 <= point.x < width and 0 <= point.y < height):
                raise PromptError(
                    f"{image}: point ({point.x:g}, {point.y:g}) lies outside the "
                    f"{width}×{height} image"
                )
        if self.box is not None:
            x, y, box_width, box_height = self.box
            inside = min(x, y) >= 0 and x + box_width <= width and y + box_height <= height
            if not (_finite(*self.box) and box_width > 0 and box_height > 0 and inside):
                raise PromptError(
                    f"{image}: box {list(self.box)} is not a box inside the {width}×{height} "
                    "image ([x, y, width, height], width and height positive)"
                )


def _finite(*values: float) -> bool:
    return all(isinstance(value, numbers.Real) and math.isfinite(value) for value in values)
