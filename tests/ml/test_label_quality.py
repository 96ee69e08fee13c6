"""The label-error finder's values-in, values-out parts: box crops, cleanlab's object-detection
inputs and verdict, and which kinds of label a search can judge."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.demo import digit_pixels
from studio.core.errors import StudioError
from studio.ml.label_quality import (
    LabelQualityOptions,
    box_crop,
    box_detection_inputs,
    image_features,
    judge_boxes,
    judge_labels,
    out_of_fold_probabilities,
    plan_search,
)

THREE_FOLDS = LabelQualityOptions(folds=3)


def test_a_box_crop_has_a_tenth_of_context_per_side_and_stays_inside_the_image() -> None:
    pixels = np.zeros((50, 60, 3), dtype=np.uint8)
    assert box_crop(pixels, [20, 10, 20, 10]).shape == (12, 24, 3)
    assert box_crop(pixels, [0, 0, 60, 50]).shape == (50, 60, 3)
    assert box_crop(pixels, [59.5, 49.5, 0.2, 0.2]).shape == (1, 1, 3)


def test_detection_inputs_give_each_image_its_boxes_and_one_prediction_per_class() -> None:
    corners = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [5, 5, 15, 15]], dtype=float)
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    labels, predictions = box_detection_inputs(
        np.array([0, 0, 1]), corners, np.array([0, 1, 0]), probabilities
    )
    assert [list(label["labels"]) for label in labels] == [[0, 1], [0]]
    assert len(predictions[0]) == 2
    np.testing.assert_array_equal(predictions[0][1][:, 4], [0.1, 0.8])
    np.testing.assert_array_equal(predictions[1][0][0], [5, 5, 15, 15, 0.6])


def test_only_the_box_the_model_is_sure_is_another_class_is_doubted() -> None:
    """Two images, two boxes each, side by side; box 1 is labelled 0 but sure to be 1."""
    corners = np.array([[0, 0, 10, 10], [30, 0, 40, 10]] * 2, dtype=float)
    labels = np.array([0, 0, 1, 0])
    probabilities = np.array([[0.99, 0.01], [0.01, 0.99], [0.02, 0.98], [0.97, 0.03]])
    judgement = judge_boxes(np.array([0, 0, 1, 1]), corners, labels, probabilities)
    (doubted,) = judgement.doubted
    assert (doubted.index, doubted.suggested) == (1, 1)
    assert doubted.score == pytest.approx(0.01)
    assert judgement.image_scores[0] < judgement.image_scores[1]


def test_a_search_judges_the_kinds_it_can_and_says_why_it_leaves_one_out() -> None:
    plan = plan_search([1, 1, 1, 2, 2, 2], [1, 1, 1], THREE_FOLDS, "p.studio")
    assert (plan.tags, plan.boxes) == (True, False)
    assert plan.left_out == (
        "p.studio: boxes not judged: the label-error search needs boxes with at least 2 "
        "classes (found 1)",
    )


def test_a_search_that_can_judge_nothing_is_refused_in_one_line() -> None:
    with pytest.raises(StudioError, match=r"^p.studio: .*items tagged with .*; too few boxes"):
        plan_search([1, 1, 1], [1, 1, 2, 2], THREE_FOLDS, "p.studio")


def test_a_small_project_of_correct_labels_has_few_doubted() -> None:
    """120 digits, all labelled right: with 64 components for 96 training images the model
    doubted 8 of them; scaled to its training set, 3."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    features = np.stack([image_features(digit_pixels(image), 16) for image in digits.images[:120]])
    labels = digits.target[:120]
    probabilities = out_of_fold_probabilities(features, labels, LabelQualityOptions())
    assert len(judge_labels(labels, probabilities).doubted) <= 4
