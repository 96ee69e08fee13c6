"""Label-error recall at k on the digits with 5 % of their labels flipped (seeded).

Studio: the whole pipeline, `project.find_label_issues` with 5 folds on a project of all
1,797 digits as 32×32 PNGs (a `label-issues` worker reading the images, the quick model of
ADR 0037, cleanlab, the findings stored and read back as the review list). The baseline:
scikit-learn's logistic regression on the standardised 8×8 digits, out-of-fold probabilities
from `cross_val_predict` (5 stratified folds), passed to the same cleanlab functions, same
flips. Recall at k: the share of the k flipped labels among the first k raised. A second row
compares the time each side takes (Studio's includes the worker's start and reading images).
With --quick: the first 300 digits.

"label-errors boxes": the same for boxes, on the synthetic shapes of
`benchmarks.swapped_boxes` (300 images, about 1,050 boxes, 5 % of the box classes swapped):
Studio's whole pipeline (each box's crop, the quick model, 5 folds, cleanlab's
object-detection scores) against scikit-learn's logistic regression on the standardised 16×16
crops of the boxes (no context margin), `cross_val_predict`, passed to the same cleanlab
functions (`studio.ml.label_quality.judge_boxes`), same swaps. With --quick: 60 images.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from benchmarks.flipped_digits import flipped_digits_project, flipped_labels, recall_at_k
from benchmarks.harness import Measurement, Session
from benchmarks.swapped_boxes import SHAPE_CLASSES, SwappedBoxes, swapped_boxes_project
from studio.api import Project
from studio.ml.label_quality import LabelQualityOptions, image_features, judge_boxes

FOLDS = 5
QUICK_COUNT = 300
BOX_IMAGES, QUICK_BOX_IMAGES = 300, 60
CROP_SIDE = 16
NOTE = (
    "label errors: Studio's label-issues job (PCA + linear discriminant analysis on 16×16 "
    f"pixels, {FOLDS} folds, cleanlab) vs scikit-learn logistic regression cross_val_predict "
    "on the 8×8 digits + cleanlab, same seeded 5 % flips"
)


def baseline_ranking(count: int | None, seed: int) -> tuple[list[int], frozenset[int], float]:
    """(positions ranked by the baseline, positions flipped, seconds)."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    dataset = load_digits()
    features, targets = dataset.data[:count], dataset.target[:count]
    positions, labels = flipped_labels(targets, seed)
    start = time.perf_counter()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probabilities = cross_val_predict(model, features, labels, cv=folds, method="predict_proba")
    scores = get_label_quality_scores(labels, probabilities)
    doubted = np.flatnonzero(find_label_issues(labels, probabilities, n_jobs=1))
    ranked = sorted(doubted.tolist(), key=lambda index: (scores[index], index))
    return ranked, frozenset(positions.tolist()), time.perf_counter() - start


BOX_NOTE = (
    "box label errors: Studio's label-issues job (crops with context, PCA + linear discriminant "
    f"analysis on 16×16 pixels, {FOLDS} folds, cleanlab object detection) vs scikit-learn "
    "logistic regression cross_val_predict on the 16×16 box crops + the same cleanlab "
    "functions, same seeded 5 % swaps of synthetic shapes"
)


def baseline_box_ranking(boxes: SwappedBoxes, seed: int) -> tuple[list[int], float]:
    """(annotation ids the baseline raises, best first; seconds, reading the crops included)."""
    from PIL import Image
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    with Project.open(boxes.path) as project:
        shapes = [
            (item, annotation)
            for item in project.items()
            for annotation in project.annotations(item.id)
            if annotation.kind == "box"
        ]
        rows = []
        for item, annotation in shapes:
            x, y, width, height = annotation.geometry
            with Image.open(project.media_path(item)) as image:
                crop = image.convert("RGB").crop((x, y, x + width, y + height))
            rows.append(image_features(np.asarray(crop), CROP_SIDE))
    labels = np.array([SHAPE_CLASSES.index(a.label) for _, a in shapes])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probabilities = cross_val_predict(
            model, np.stack(rows), labels, cv=folds, method="predict_proba"
        )
    _, image_of_box = np.unique([item.id for item, _ in shapes], return_inverse=True)
    corners = np.array([[x, y, x + w, y + h] for x, y, w, h in (a.geometry for _, a in shapes)])
    judgement = judge_boxes(image_of_box, corners, labels, probabilities)
    ranked = [shapes[box.index][1].id for box in judgement.doubted]
    return ranked, time.perf_counter() - start


def run_boxes(session: Session) -> list[Measurement]:
    images = QUICK_BOX_IMAGES if session.quick else BOX_IMAGES
    boxes = swapped_boxes_project(session.folder("label-errors-boxes"), session.seed, images)
    with Project.open(boxes.path) as project, session.studio_side("label errors boxes"):
        start = time.perf_counter()
        issues = project.find_label_issues(LabelQualityOptions(folds=FOLDS, seed=session.seed))
        studio_seconds = time.perf_counter() - start
    raised = [issue.annotation_id for issue in issues if issue.kind == "box"]
    studio_recall = recall_at_k([a for a in raised if a is not None], boxes.swapped)
    ranked, baseline_seconds = baseline_box_ranking(boxes, session.seed)
    k = len(boxes.swapped)
    return [
        Measurement(
            "label-errors",
            f"label-errors boxes: recall at k={k}",
            "recall",
            studio_recall,
            recall_at_k(ranked, boxes.swapped),
            higher_is_better=True,
            note=BOX_NOTE,
        ),
        Measurement(
            "label-errors",
            "label-errors boxes: search time",
            "s",
            studio_seconds,
            baseline_seconds,
            higher_is_better=False,
            note=BOX_NOTE,
        ),
    ]


def run(session: Session) -> list[Measurement]:
    count = QUICK_COUNT if session.quick else None
    digits = flipped_digits_project(session.folder("label-errors"), session.seed, count)
    with Project.open(digits.path) as project, session.studio_side("label errors"):
        start = time.perf_counter()
        issues = project.find_label_issues(LabelQualityOptions(folds=FOLDS, seed=session.seed))
        studio_seconds = time.perf_counter() - start
    studio_recall = recall_at_k([issue.item_id for issue in issues], digits.flipped)
    ranked, flipped, baseline_seconds = baseline_ranking(count, session.seed)
    baseline_recall = recall_at_k(ranked, flipped)
    k = len(digits.flipped)
    return [
        Measurement(
            "label-errors",
            f"label-error recall at k={k}",
            "recall",
            studio_recall,
            baseline_recall,
            higher_is_better=True,
            note=NOTE,
        ),
        Measurement(
            "label-errors",
            "label-error search time",
            "s",
            studio_seconds,
            baseline_seconds,
            higher_is_better=False,
            note=NOTE,
        ),
        *run_boxes(session),
    ]
