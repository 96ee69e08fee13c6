"""What a model said about an image, cached for the active-learning queue.

The queue needs a model's raw outputs for every unlabeled image: class probabilities (or the
scores of its boxes) and its penultimate-layer features. They depend only on the checkpoint
and the image's bytes, so entries are keyed by both sha256s and live in the user's cache
folder (read-only projects work, and a refresh scores only the images that are new):

    queue-scores/<checkpoint sha256>/ab/<image sha256>.npz

Each entry is a NumPy `.npz` written through a temporary file and renamed into place, so a
reader sees a whole entry or none. A file that is not a valid entry is a miss, never an error.
Deleting the folder loses nothing but time.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.object_store import write_atomically
from studio.core.thumbnails import cache_dir

FOLDER_NAME = "queue-scores"


@dataclass(frozen=True)
class ModelOutputs:
    """A model's outputs for one image: `probabilities` (one per class) for classification,
    `box_scores` for detection and segmentation; `features`: its penultimate layer, empty
    when the architecture has none the queue can read."""

    probabilities: np.ndarray
    box_scores: np.ndarray
    features: np.ndarray


class QueueScoreCache:
    """The cached outputs of one checkpoint (its sha256), by image sha256."""

    def __init__(self, checkpoint_sha256: str, root: Path | None = None) -> None:
        self.folder = (root or cache_dir() / FOLDER_NAME) / checkpoint_sha256

    def path_of(self, image_sha256: str) -> Path:
        return self.folder / image_sha256[:2] / f"{image_sha256}.npz"

    def get(self, image_sha256: str) -> ModelOutputs | None:
        try:
            with np.load(self.path_of(image_sha256)) as arrays:
                return ModelOutputs(
                    arrays["probabilities"], arrays["box_scores"], arrays["features"]
                )
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            return None

    def missing(self, image_sha256s: Iterable[str]) -> list[str]:
        """The images (sha256s, each once, in order) that have no entry."""
        return [sha for sha in dict.fromkeys(image_sha256s) if not self.path_of(sha).is_file()]

    def put(self, image_sha256: str, outputs: ModelOutputs) -> None:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            probabilities=np.asarray(outputs.probabilities, dtype=np.float32),
            box_scores=np.asarray(outputs.box_scores, dtype=np.float32),
            features=np.asarray(outputs.features, dtype=np.float16),
        )
        write_atomically(self.path_of(image_sha256), lambda out: out.write(buffer.getvalue()))
