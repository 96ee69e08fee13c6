"""Stand-ins for the two pieces of issue 13 that other branches deliver, used ONLY until they
are merged: `studio.ml.sam.session.PromptSession` and `Project.sam_checkpoint()` /
`Project.set_sam_checkpoint(path)`. Each is installed only when the real one is missing."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.api import Project
from studio.ml.sam.checkpoint import read_checkpoint


class StandInPromptSession:
    """Kept points and box over one embedding, decoded with the ONNX decoder."""

    def __init__(self, decoder, embedding) -> None:
        self._decoder, self._embedding = decoder, embedding
        self._points: list[tuple[float, float, bool]] = []
        self._box: tuple[float, float, float, float] | None = None
        self._history: list[str] = []
        self.chosen = 0
        self._last = None

    def _decode(self, extra=()):
        points = [*self._points, *extra]
        if not points and self._box is None:
            return None
        coords = [(x, y) for x, y, _ in points] or None
        labels = [1 if positive else 0 for *_, positive in points] if points else None
        return self._decoder.decode(self._embedding, coords, labels, self._box)

    def add_point(self, x, y, positive=True):
        self._points.append((x, y, positive))
        self._history.append("point")
        self._last = self._decode()
        return self._last

    def set_box(self, box):
        self._box = None if box is None else tuple(float(v) for v in box)
        self._history.append("box")
        self._last = self._decode()
        return self._last

    def preview(self, x, y, positive=True):
        return self._decode([(x, y, positive)])

    def undo(self):
        if self._history and self._history.pop() == "point":
            self._points.pop()
        elif self._box is not None:
            self._box = None
        self._last = self._decode()
        return self._last

    def choose(self, index):
        self.chosen = index

    def result(self):
        return self._last.masks[self.chosen]

    @property
    def prompts(self):
        points = [[x, y, int(positive)] for x, y, positive in self._points]
        return {"points": points, "box": None if self._box is None else list(self._box)}


@dataclass(frozen=True)
class StandInCheckpoint:
    path: Path
    sha256: str


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import studio.ml.sam.session  # noqa: F401
    except ImportError:
        module = types.ModuleType("studio.ml.sam.session")
        module.PromptSession = StandInPromptSession  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "studio.ml.sam.session", module)
    if not hasattr(Project, "sam_checkpoint"):
        chosen: dict[Path, StandInCheckpoint] = {}

        def sam_checkpoint(self):
            return chosen.get(self.path)

        def set_sam_checkpoint(self, path):
            checkpoint, _ = read_checkpoint(Path(path))  # refuses a file that is not SAM's
            chosen[self.path] = StandInCheckpoint(Path(path), checkpoint.sha256)

        monkeypatch.setattr(Project, "sam_checkpoint", sam_checkpoint, raising=False)
        monkeypatch.setattr(Project, "set_sam_checkpoint", set_sam_checkpoint, raising=False)
