"""Segment everything: SAM's automatic mask generator over a project's images, in a worker.

    python -m studio.jobs.worker sam-everything PROJECT CHECKPOINT LABEL [--item ID ...]
                                                [--points-per-side N] [--min-iou X]
                                                [--min-stability X] [--device D] [--author A]

For each image, segment_anything's `SamAutomaticMaskGenerator` prompts SAM with a grid of
points and keeps the masks whose predicted IoU and stability reach `--min-iou` and
`--min-stability` (segment_anything's 0.88 and 0.95 by default). They are stored as PENDING
suggestions of class LABEL with source "sam", their predicted IoU as score and the grid point
that found each as its prompt, in one transaction (one undo step) per image, so a person
reviews them (accept with Y, reject with Ctrl+Delete).
`min_mask_region_area` stays 0: the generator would need OpenCV to clean small regions.
Events: {"event": "progress", "done", "total", "item_id", "suggested"}, {"event": "skipped",
"item_id", "error"}, then {"event": "finished", "status", "summary"}. A signal stops between
images; the images done so far keep their suggestions.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.edits import user_edit
from studio.core.enums import AnnotationSource
from studio.core.errors import StudioError
from studio.core.geometry import encode_mask
from studio.core.project_file import open_project_file
from studio.core.suggestions import suggest_annotations
from studio.core.wording import counted
from studio.jobs import events
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit
from studio.jobs.sam_encode_job import images_of, read_rgb

SAM_EVERYTHING_ACTION = "sam-everything"
# segment_anything's defaults: a 32 × 32 grid of prompts per image, and the masks kept when
# their predicted IoU and their stability (how little they change with the threshold) reach these.
DEFAULT_POINTS_PER_SIDE = 32
DEFAULT_MIN_IOU = 0.88
DEFAULT_MIN_STABILITY = 0.95


@dataclass(frozen=True)
class EverythingOptions:
    """How to segment everything: the suggestions' class, the prompt grid, which masks are
    kept, the device, and the person the edits are recorded for."""

    label: str
    points_per_side: int = DEFAULT_POINTS_PER_SIDE
    min_iou: float = DEFAULT_MIN_IOU
    min_stability: float = DEFAULT_MIN_STABILITY
    device: str = "auto"
    author: str = ""


@dataclass(frozen=True)
class EverythingSummary:
    images: int
    suggestions: int
    skipped: int
    cancelled: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"images": self.images, "suggestions": self.suggestions, "skipped": self.skipped}


def sam_everything_command(
    project_path: Path,
    checkpoint: Path,
    options: EverythingOptions,
    item_ids: Sequence[int] = (),
) -> list[str]:
    """The full argv of a `sam-everything` worker."""
    items = [argument for item_id in item_ids for argument in ("--item", str(item_id))]
    return [
        sys.executable,
        "-m",
        WORKER_MODULE,
        SAM_EVERYTHING_ACTION,
        str(Path(project_path)),
        str(Path(checkpoint)),
        options.label,
        *items,
        "--points-per-side",
        str(options.points_per_side),
        "--min-iou",
        str(options.min_iou),
        "--min-stability",
        str(options.min_stability),
        "--device",
        options.device,
        "--author",
        options.author,
    ]


def _suggestion(item_id: int, label: str, found: dict[str, Any]) -> dict[str, Any]:
    """One generated mask as a suggestion mapping (the generator's dict: segmentation, ...)."""
    return {
        "item_id": item_id,
        "label": label,
        "mask": encode_mask(found["segmentation"]),
        "source": AnnotationSource.SAM.value,
        "score": float(found["predicted_iou"]),
        "attributes": {"prompts": {"points": [[*found["point_coords"][0], 1]], "box": None}},
    }


def segment_everything(
    project_path: Path,
    checkpoint_path: Path,
    options: EverythingOptions,
    item_ids: Sequence[int] = (),
    *,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> EverythingSummary:
    """The worker's `sam-everything`: pending SAM suggestions for the project's images (all of
    them when `item_ids` is empty), one transaction per image."""
    from segment_anything import SamAutomaticMaskGenerator

    from studio.ml.devices import choose_device
    from studio.ml.sam.checkpoint import load_sam

    if options.points_per_side < 1:
        raise StudioError(f"points per side must be at least 1, not {options.points_per_side}")
    images = images_of(project_path, item_ids)
    sam, _checkpoint = load_sam(checkpoint_path)
    sam.to(choose_device(options.device))
    generator = SamAutomaticMaskGenerator(
        sam,
        points_per_side=options.points_per_side,
        pred_iou_thresh=options.min_iou,
        stability_score_thresh=options.min_stability,
        min_mask_region_area=0,
    )
    database = open_project_file(Path(project_path).resolve())
    suggested = skipped = 0
    try:
        for done, image in enumerate(images, start=1):
            if cancel is not None and cancel.is_set():
                return EverythingSummary(done - 1, suggested, skipped, cancelled=True)
            try:
                found = generator.generate(read_rgb(image.path))
            except StudioError as error:
                skipped += 1
                emit({"event": "skipped", "item_id": image.item_id, "error": str(error)})
                continue
            specs = [_suggestion(image.item_id, options.label, mask) for mask in found]
            if specs:
                description = f"Segment everything: {counted(len(specs), 'suggestion')}"
                with user_edit(database, description, options.author) as edit:
                    suggest_annotations(edit, specs, options.author)
            suggested += len(specs)
            event = {"done": done, "total": len(images), "item_id": image.item_id}
            emit({"event": "progress", **event, "suggested": len(specs)})
    finally:
        database.close()
    return EverythingSummary(len(images), suggested, skipped)
