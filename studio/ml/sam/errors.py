"""Errors of the Segment Anything pieces (torch-free, so the GUI's decoder can raise them)."""

from __future__ import annotations

from studio.core.errors import StudioError


class SamError(StudioError):
    """A SAM checkpoint, embedding or decoder cannot be used; the message names the file."""


class SamParityError(SamError):
    """The exported ONNX decoder disagrees with `SamPredictor`; the export is refused."""
