"""Label quality: out-of-fold predicted probabilities of a quick model, judged by cleanlab.

The quick model is a linear discriminant analysis (scikit-learn) on the 64 principal
components of each image's standardised pixels, the image scaled down to a small square
(16 × 16 RGB by default); K-fold cross-validation gives every
image probabilities from a model that never saw its label, and cleanlab's
`find_label_issues` and `get_label_quality_scores` turn those into the doubted labels and their
quality. Why this model and not a CNN trained by Studio's trainer: ADR 0037.

Values in, values out: this module neither opens the project nor imports torch.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from studio.core.errors import OperationCancelledError, StudioError

DEFAULT_FOLDS = 5
DEFAULT_IMAGE_SIZE = 16
COMPONENTS = 64  # principal components the classifier sees (of 768 values at 16 × 16 RGB)
FoldCallback = Callable[[int, int], None]  # (folds done, folds)


@dataclass(frozen=True)
class LabelQualityOptions:
    """How labels are judged: K folds, the side of the square each image is scaled to, and
    the seed of the folds."""

    folds: int = DEFAULT_FOLDS
    image_size: int = DEFAULT_IMAGE_SIZE
    seed: int = 0

    def describe(self) -> str:
        side = self.image_size
        return (
            f"linear discriminant analysis on {COMPONENTS} principal components of {side}×{side} "
            f"RGB pixels, {self.folds} folds"
        )


@dataclass(frozen=True)
class JudgedLabel:
    """A label cleanlab doubts: its position in the input, the class the out-of-fold model
    preferred (its argmax) and the label's quality (0 worst, 1 best)."""

    index: int
    suggested: int
    score: float


def image_features(pixels: np.ndarray, size: int) -> np.ndarray:
    """An (H, W, 3) uint8 image as `size × size` RGB values in 0..1, flattened."""
    small = Image.fromarray(pixels).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32).ravel() / 255.0


def out_of_fold_probabilities(
    features: np.ndarray,
    labels: np.ndarray,
    options: LabelQualityOptions,
    on_fold: FoldCallback | None = None,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """Each row's class probabilities from the model of the fold that held it out.

    `labels` are 0..C-1, every class present. A class rarer than `options.folds` may be
    missing from a fold's training part; its column is 0 there.
    """
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    class_count = int(labels.max()) + 1
    probabilities = np.zeros((len(labels), class_count), dtype=np.float64)
    splitter = StratifiedKFold(options.folds, shuffle=True, random_state=options.seed)
    with warnings.catch_warnings():
        # "The least populated class has only N members": handled by the zero columns.
        warnings.simplefilter("ignore", UserWarning)
        folds = list(splitter.split(features, labels))
    for done, (train, held_out) in enumerate(folds):
        if cancel is not None and cancel.is_set():
            raise OperationCancelledError("the label-error search was cancelled")
        components = min(COMPONENTS, len(train), features.shape[1])
        model = make_pipeline(
            StandardScaler(),
            PCA(components, random_state=options.seed),
            LinearDiscriminantAnalysis(),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "variables are collinear" on tiny training sets
            model.fit(features[train], labels[train])
        probabilities[np.ix_(held_out, model.classes_)] = model.predict_proba(features[held_out])
        if on_fold is not None:
            on_fold(done + 1, len(folds))
    return probabilities


def judge_labels(labels: np.ndarray, probabilities: np.ndarray) -> list[JudgedLabel]:
    """cleanlab's doubted labels, lowest label quality first."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    scores = get_label_quality_scores(labels, probabilities)
    # n_jobs=1: cleanlab's process pool forks, and a fork of a process whose BLAS threads
    # hold a lock hangs (it did, in a worker).
    doubted = np.flatnonzero(find_label_issues(labels, probabilities, n_jobs=1))
    suggested = probabilities.argmax(axis=1)
    ranked = sorted(doubted, key=lambda index: (scores[index], index))
    return [JudgedLabel(int(i), int(suggested[i]), float(scores[i])) for i in ranked]


def check_labels(class_ids: Sequence[int], options: LabelQualityOptions, source: str) -> None:
    """Refuse, in one line naming `source`, what K-fold training cannot judge."""
    if options.folds < 2:
        raise StudioError(f"{source}: the label-error search needs at least 2 folds")
    if options.image_size < 1:
        raise StudioError(f"{source}: the image size must be at least 1 pixel")
    counts = np.bincount(np.unique(class_ids, return_inverse=True)[1]) if class_ids else []
    if len(counts) < 2:
        raise StudioError(
            f"{source}: the label-error search needs items tagged with at least 2 classes "
            f"(it judges image-level class tags; found {len(counts)})"
        )
    if max(counts) < options.folds:
        raise StudioError(
            f"{source}: too few tagged items for {options.folds} folds (the largest class "
            f"has {max(counts)})"
        )
