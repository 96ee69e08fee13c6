"""Label quality: out-of-fold predicted probabilities of a quick model, judged by cleanlab.

Tags and boxes are judged alike: a tag's input is its whole image, a box's input is its crop
(with a margin of context). The quick model is a linear discriminant analysis (scikit-learn)
on the 64 principal components of each input's standardised pixels, the input scaled down to
a small square (16 × 16 RGB by default); K-fold cross-validation gives every input
probabilities from a model that never saw its label, and cleanlab's
`find_label_issues` and `get_label_quality_scores` turn those into the doubted labels and their
quality. For boxes, the out-of-fold class probabilities of every box become cleanlab's
object-detection inputs (`box_detection_inputs`): the given boxes as labels and, as
predictions, the same boxes once per class with that class's probability, so cleanlab's
`get_label_quality_scores` scores each image and its per-box swap scores say which box has
the wrong class. Why this model and not a CNN trained by Studio's trainer: ADR 0037; why
crops and cleanlab's object-detection functions for boxes: ADR 0040.

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
        # At least 4 training inputs per component: on a few hundred labels 64 components
        # let the model overfit, so sure of itself that it doubts correct labels (8 of the
        # first 120 digits, all correct, against 3 at 24 components).
        components = min(COMPONENTS, len(train) // 4 or 1, features.shape[1])
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


@dataclass(frozen=True)
class LabelJudgement:
    """cleanlab's verdict on tags: the doubted ones (lowest quality first) and every label's
    quality, in input order."""

    doubted: list[JudgedLabel]
    scores: np.ndarray


def judge_labels(labels: np.ndarray, probabilities: np.ndarray) -> LabelJudgement:
    """cleanlab's doubted labels, lowest label quality first, and every label's quality."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    scores = get_label_quality_scores(labels, probabilities)
    # n_jobs=1: cleanlab's process pool forks, and a fork of a process whose BLAS threads
    # hold a lock hangs (it did, in a worker).
    doubted = np.flatnonzero(find_label_issues(labels, probabilities, n_jobs=1))
    suggested = probabilities.argmax(axis=1)
    ranked = sorted(doubted, key=lambda index: (scores[index], index))
    judged = [JudgedLabel(int(i), int(suggested[i]), float(scores[i])) for i in ranked]
    return LabelJudgement(judged, np.asarray(scores, dtype=np.float64))


SWAP_THRESHOLD = 0.5  # a box's swap score at or below which it is doubted (see judge_boxes)
BOX_MARGIN = 0.1  # context around a box's crop: this share of its width and height per side


@dataclass(frozen=True)
class JudgedBox:
    """A box whose class cleanlab doubts: its position in the input, the class the out-of-fold
    model prefers over the given one, its label quality (the out-of-fold probability of its
    given class, as for tags) and cleanlab's swap score (0 worst, 1 best)."""

    index: int
    suggested: int
    score: float
    swap_score: float


@dataclass(frozen=True)
class BoxJudgement:
    """cleanlab's verdict on boxes: the doubted ones (lowest score first) and each image's
    label quality (`get_label_quality_scores`, in image order)."""

    doubted: list[JudgedBox]
    image_scores: np.ndarray


def box_crop(pixels: np.ndarray, box: Sequence[float], margin: float = BOX_MARGIN) -> np.ndarray:
    """The (H, W, 3) image's box `[x, y, width, height]` with `margin` of context on every side,
    clipped to the image (at least one pixel)."""
    height, width = pixels.shape[:2]
    x, y, w, h = (float(value) for value in box)
    left = min(max(int(np.floor(x - margin * w)), 0), width - 1)
    top = min(max(int(np.floor(y - margin * h)), 0), height - 1)
    right = max(min(int(np.ceil(x + w + margin * w)), width), left + 1)
    bottom = max(min(int(np.ceil(y + h + margin * h)), height), top + 1)
    return pixels[top:bottom, left:right]


def box_detection_inputs(
    image_of_box: np.ndarray, corners: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> tuple[list[dict[str, np.ndarray]], list[list[np.ndarray]]]:
    """cleanlab's object-detection (labels, predictions) for boxes judged one by one.

    `image_of_box[i]` is box i's image (0..N-1, every image holding a box), `corners[i]` its
    [x1, y1, x2, y2], `labels[i]` its given class and `probabilities[i]` its out-of-fold class
    probabilities. Labels: each image's boxes with their classes. Predictions: per image and
    class, the same boxes with that class's probability as the confidence.
    """
    images = int(image_of_box.max()) + 1
    classes = probabilities.shape[1]
    detection_labels, predictions = [], []
    for image in range(images):
        mine = np.flatnonzero(image_of_box == image)
        boxes = corners[mine].astype(np.float64)
        detection_labels.append({"bboxes": boxes, "labels": labels[mine].astype(np.int64)})
        predictions.append(
            [np.column_stack([boxes, probabilities[mine, k]]) for k in range(classes)]
        )
    return detection_labels, predictions


def judge_boxes(
    image_of_box: np.ndarray, corners: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> BoxJudgement:
    """cleanlab's object-detection verdict on the boxes (see `box_detection_inputs`).

    A box is doubted when its swap score (`compute_swap_box_scores`) is at most
    `SWAP_THRESHOLD` (`issues_from_scores`): the out-of-fold model is sure (above cleanlab's
    high-probability threshold) that a box of another class lies mostly on it, which with
    these inputs means it is sure the box is another class (a neighbouring box of another
    class overlaps it little and scores near 1). Doubted boxes are ranked by swap score, then
    by their label quality (the out-of-fold probability of their given class: the swap scores
    of the surest swaps are all cleanlab's minimum). Each image's quality is cleanlab's
    `get_label_quality_scores`. cleanlab's `find_label_issues` is not called: its per-class
    average precision always opens a multiprocessing pool, and a pool forked in a worker
    whose BLAS threads hold a lock hangs (it did); it would also only say which images, not
    which box. Overlapping boxes of different classes are not penalised: the quick model
    judges each box's class from its crop, not the layout of the boxes.
    """
    from cleanlab.object_detection.rank import (
        compute_swap_box_scores,
        get_label_quality_scores,
        issues_from_scores,
    )

    detection_labels, predictions = box_detection_inputs(
        image_of_box, corners, labels, probabilities
    )
    image_scores = get_label_quality_scores(
        detection_labels, predictions, overlapping_label_check=False, verbose=False
    )
    swap_scores = compute_swap_box_scores(
        labels=detection_labels, predictions=predictions, overlapping_label_check=False
    )
    given = probabilities[np.arange(len(labels)), labels]
    others = probabilities.copy()
    others[np.arange(len(labels)), labels] = -1.0
    suggested = others.argmax(axis=1)
    per_box = np.empty(len(labels), dtype=np.float64)
    for image, scores in enumerate(swap_scores):
        per_box[image_of_box == image] = scores
    doubted = [
        JudgedBox(int(index), int(suggested[index]), float(given[index]), float(per_box[index]))
        for index in issues_from_scores(per_box, threshold=SWAP_THRESHOLD)
    ]
    doubted.sort(key=lambda box: (box.swap_score, box.score, box.index))
    return BoxJudgement(doubted, np.asarray(image_scores, dtype=np.float64))


@dataclass(frozen=True)
class SearchPlan:
    """Which labels a search judges (tags, boxes) and, in one line each, why a kind present
    in the project is left out."""

    tags: bool
    boxes: bool
    left_out: tuple[str, ...] = ()


def plan_search(
    tag_classes: Sequence[int],
    box_classes: Sequence[int],
    options: LabelQualityOptions,
    source: str,
) -> SearchPlan:
    """Judge the tags and the boxes that K-fold training can judge; refuse, in one line naming
    `source`, a search that can judge neither. `tag_classes` are the class ids of the items
    with exactly one tag, `box_classes` those of the boxes."""
    if options.folds < 2:
        raise StudioError(f"{source}: the label-error search needs at least 2 folds")
    if options.image_size < 1:
        raise StudioError(f"{source}: the image size must be at least 1 pixel")
    tag_problem = _class_problem(tag_classes, options.folds, "items tagged", "tagged items")
    box_problem = _class_problem(box_classes, options.folds, "boxes", "boxes")
    if tag_problem and box_problem:
        if not box_classes:
            raise StudioError(f"{source}: {tag_problem} (it judges class tags and boxes)")
        if not tag_classes:
            raise StudioError(f"{source}: {box_problem}")
        raise StudioError(f"{source}: {tag_problem}; {box_problem}")
    left_out = [
        f"{source}: {kind} not judged: {problem}"
        for kind, classes, problem in (
            ("tags", tag_classes, tag_problem),
            ("boxes", box_classes, box_problem),
        )
        if problem and classes
    ]
    return SearchPlan(not tag_problem, not box_problem, tuple(left_out))


def _class_problem(class_ids: Sequence[int], folds: int, labelled: str, counted: str) -> str:
    """Why labels of these classes cannot be judged with `folds` folds ("" when they can)."""
    counts = np.bincount(np.unique(class_ids, return_inverse=True)[1]) if class_ids else []
    if len(counts) < 2:
        return (
            f"the label-error search needs {labelled} with at least 2 classes (found {len(counts)})"
        )
    if max(counts) < folds:
        return f"too few {counted} for {folds} folds (the largest class has {max(counts)})"
    return ""
