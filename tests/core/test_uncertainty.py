"""Uncertainty measures and the k-center spread of the queue."""

from __future__ import annotations

import numpy as np

from studio.core.uncertainty import (
    Strategy,
    box_uncertainty,
    class_uncertainty,
    multilabel_uncertainty,
    spread_by_features,
)


def test_a_tie_between_two_classes_is_the_most_uncertain_margin() -> None:
    tie = class_uncertainty(np.array([0.45, 0.45, 0.10]), Strategy.MARGIN)
    leaning = class_uncertainty(np.array([0.60, 0.30, 0.10]), Strategy.MARGIN)
    sure = class_uncertainty(np.array([0.98, 0.01, 0.01]), Strategy.MARGIN)
    assert tie == 1.0
    assert tie > leaning > sure
    assert abs(sure - 0.03) < 1e-9


def test_entropy_is_one_for_a_uniform_prediction_and_zero_for_a_certain_one() -> None:
    assert abs(class_uncertainty(np.full(10, 0.1), Strategy.ENTROPY) - 1.0) < 1e-9
    assert class_uncertainty(np.eye(10)[3], Strategy.ENTROPY) < 1e-6


def test_entropy_and_margin_can_disagree_on_the_order() -> None:
    """Two close classes (low margin) against a prediction spread over many (high entropy)."""
    two_way = np.array([0.5, 0.48, 0.02, 0.0])
    spread = np.array([0.4, 0.2, 0.2, 0.2])
    assert class_uncertainty(two_way, Strategy.MARGIN) > class_uncertainty(spread, Strategy.MARGIN)
    assert class_uncertainty(spread, Strategy.ENTROPY) > class_uncertainty(
        two_way, Strategy.ENTROPY
    )


def test_boxes_near_half_make_an_image_uncertain() -> None:
    ambiguous = box_uncertainty([0.95, 0.5, 0.55], Strategy.MARGIN)
    clear = box_uncertainty([0.99, 0.97, 0.02], Strategy.MARGIN)
    assert ambiguous > clear
    assert abs(clear - np.mean([0.02, 0.06, 0.04])) < 1e-9
    assert box_uncertainty([], Strategy.ENTROPY) == 0.0


def test_multilabel_uncertainty_averages_the_labels() -> None:
    assert multilabel_uncertainty(np.array([0.5, 1.0]), Strategy.MARGIN) == 0.5


def test_spread_takes_one_of_each_cluster_before_a_second_of_any() -> None:
    # Rows 0-2 point one way, 3-4 another, 5 a third; the uncertainty order is 0..5.
    features = np.array(
        [[1, 0, 0], [0.99, 0.01, 0], [0.98, 0.02, 0], [0, 1, 0], [0.01, 0.99, 0], [0, 0, 1.0]]
    )
    spread = spread_by_features(range(6), features, pool=6)
    assert spread[0] == 0
    assert set(spread[:3]) == {0, 3, 5} or set(spread[:3]) == {0, 4, 5}


def test_spread_leaves_the_rows_after_the_pool_in_order() -> None:
    features = np.random.default_rng(0).normal(size=(8, 4))
    spread = spread_by_features(range(8), features, pool=4)
    assert sorted(spread[:4]) == [0, 1, 2, 3]
    assert spread[4:] == [4, 5, 6, 7]
