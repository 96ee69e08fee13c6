"""One person's prompts on one image with SAM: clicks, a box, a hover preview, undo, and which
of the ambiguity masks they chose. Numpy and ONNX Runtime only: it runs in the window.

    session = PromptSession(decoder, embedding)
    session.add_point(120, 80)            # a single click: three candidate masks, best chosen
    session.preview(140, 95)              # what a click there would give; nothing is kept
    session.add_point(90, 40, positive=False)
    session.undo()
    mask = session.result()               # (height, width) bool, the chosen mask

The rules follow SAM's own advice and demos:
- a single click is ambiguous (a shirt, the person wearing it), so it is answered with the
  decoder's three ambiguity masks and the one with the highest predicted IoU is chosen until
  `choose` picks another; any other prompt (a box, two or more prompts) gets the decoder's
  single-mask output;
- a click added to earlier prompts refines the current answer: the chosen low-resolution
  logits of the last kept answer go to the decoder as `previous` (the mask input), as
  `SamPredictor`'s example notebook and the web demo do. Changing the box starts afresh from
  the prompts alone, since the old mask answered another box;
- a preview is exactly the answer the same click would get when kept, so the mask following
  the pointer is the mask a click will store.

Every kept step (a click, a box change) remembers its answer, so `undo` restores the previous
answer without decoding again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError
from studio.ml.sam.onnx_decoder import DecodedMasks, OnnxPromptDecoder

Box = tuple[float, float, float, float]
# Point labels as SAM's prompt encoder reads them.
POSITIVE, NEGATIVE = 1, 0


@dataclass(frozen=True)
class PromptPoint:
    x: float
    y: float
    positive: bool = True


@dataclass
class _KeptStep:
    """The prompts after one kept step, the decoder's answer to them and the chosen mask."""

    points: tuple[PromptPoint, ...]
    box: Box | None
    answer: DecodedMasks
    chosen: int


class PromptSession:
    """Prompts on one image and the decoder's answers to them; see the module's docstring."""

    def __init__(self, decoder: OnnxPromptDecoder, embedding: ImageEmbedding) -> None:
        self.decoder = decoder
        self.embedding = embedding
        self._steps: list[_KeptStep] = []

    @property
    def _points(self) -> tuple[PromptPoint, ...]:
        return self._steps[-1].points if self._steps else ()

    @property
    def _box(self) -> Box | None:
        return self._steps[-1].box if self._steps else None

    def add_point(self, x: float, y: float, positive: bool = True) -> DecodedMasks:
        """Keep a click (a negative one with `positive=False`) and answer all kept prompts."""
        points = (*self._points, self._checked_point(x, y, positive))
        answer = self._decode(points, self._box, self._previous())
        return self._keep(points, self._box, answer)

    def set_box(self, box: Box | None) -> DecodedMasks:
        """Keep a box (x0, y0, x1, y1 corners in image pixels), replacing any earlier one, or
        remove it with None (only while clicks remain to answer)."""
        checked = None if box is None else self._checked_box(box)
        if checked is None and not self._points:
            raise SamError("SAM prompt: removing the box would leave nothing to segment")
        answer = self._decode(self._points, checked, previous=None)
        return self._keep(self._points, checked, answer)

    def preview(self, x: float, y: float, positive: bool = True) -> DecodedMasks:
        """What a click at (x, y) would answer, with the kept prompts; nothing is kept."""
        points = (*self._points, self._checked_point(x, y, positive))
        return self._decode(points, self._box, self._previous())

    def undo(self) -> DecodedMasks | None:
        """Drop the last kept step; the answer before it, or None when no prompt is left."""
        if self._steps:
            self._steps.pop()
        return self._steps[-1].answer if self._steps else None

    def choose(self, index: int) -> None:
        """Pick which of the current answer's masks is the result (0, 1 or 2 after a single
        click; only 0 otherwise)."""
        if not self._steps:
            raise SamError("SAM prompt: there is no answer to choose a mask from yet")
        count = len(self._steps[-1].answer.scores)
        if not (isinstance(index, int) and 0 <= index < count):
            raise SamError(f"SAM prompt: mask {index} does not exist; choose 0 to {count - 1}")
        self._steps[-1].chosen = index

    @property
    def chosen(self) -> int:
        """The index of the chosen mask in the current answer (0 when there is none)."""
        return self._steps[-1].chosen if self._steps else 0

    def result(self) -> np.ndarray:
        """The chosen mask, (height, width) bool at the image's size; empty with no prompts."""
        if not self._steps:
            return np.zeros(self.embedding.original_size, dtype=bool)
        return self._steps[-1].answer.mask(self._steps[-1].chosen)

    @property
    def prompts(self) -> dict[str, Any]:
        """The kept prompts as JSON-able data, stored with the shape they made:
        `{"points": [[x, y, label], ...], "box_corners": [x0, y0, x1, y1] or None,
        "mask": chosen index}`, with SAM's labels (1 positive, 0 negative)."""
        return {
            "points": [
                [point.x, point.y, POSITIVE if point.positive else NEGATIVE]
                for point in self._points
            ],
            "box_corners": None if self._box is None else list(self._box),
            "mask": self.chosen,
        }

    def _previous(self) -> np.ndarray | None:
        """The chosen low-res logits of the last kept answer, to refine it with a click."""
        if not self._steps:
            return None
        step = self._steps[-1]
        return step.answer.low_res_logits[step.chosen]

    def _decode(
        self, points: tuple[PromptPoint, ...], box: Box | None, previous: np.ndarray | None
    ) -> DecodedMasks:
        single_click = len(points) == 1 and box is None
        return self.decoder.decode(
            self.embedding,
            points=[[point.x, point.y] for point in points] if points else None,
            labels=[POSITIVE if point.positive else NEGATIVE for point in points],
            box=box,
            previous=previous,
            multimask=single_click,
        )

    def _keep(
        self, points: tuple[PromptPoint, ...], box: Box | None, answer: DecodedMasks
    ) -> DecodedMasks:
        self._steps.append(_KeptStep(points, box, answer, answer.best))
        return answer

    def _checked_point(self, x: float, y: float, positive: bool) -> PromptPoint:
        height, width = self.embedding.original_size
        if not (_finite(x, y) and 0 <= x <= width and 0 <= y <= height):
            raise SamError(f"SAM prompt: point ({x}, {y}) lies outside the {width}×{height} image")
        return PromptPoint(float(x), float(y), bool(positive))

    def _checked_box(self, box: Box) -> Box:
        height, width = self.embedding.original_size
        corners = tuple(box)
        if len(corners) == 4 and _finite(*corners):
            x0, y0, x1, y1 = (float(value) for value in corners)
            if 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height:
                return x0, y0, x1, y1
        raise SamError(
            f"SAM prompt: box {list(corners)} is not x0, y0, x1, y1 corners with x0 < x1 and "
            f"y0 < y1 inside the {width}×{height} image"
        )


def _finite(*values: Any) -> bool:
    return all(
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(value)
        for value in values
    )
