"""compare_outputs: passes equal outputs, fails small real differences and says what differed."""

from __future__ import annotations

import numpy as np
import pytest

from studio.bundle import DEFAULT_TOLERANCES, compare_outputs

LOGITS = {"logits": np.array([[0.5, 2.0, -1.0], [1.5, 0.2, 0.1]], dtype=np.float32)}
DETECTIONS = {
    "boxes": np.array([[10, 10, 50, 60], [5, 5, 20, 20], [70, 10, 90, 30]], dtype=np.float32),
    "labels": np.array([1, 2, 1], dtype=np.int64),
    "scores": np.array([0.9, 0.75, 0.4], dtype=np.float32),
}


def _changed(outputs: dict, name: str, index: tuple, delta: float) -> dict:
    changed = {key: value.copy() for key, value in outputs.items()}
    changed[name][index] += delta
    return changed


def test_default_tolerances_are_the_specified_ones() -> None:
    assert DEFAULT_TOLERANCES == {"logits": 1e-4, "iou": 0.99, "score": 1e-3}


def test_identical_logits_pass() -> None:
    report = compare_outputs("classification", LOGITS, {"logits": LOGITS["logits"].copy()}, {})

    assert report["passed"] is True
    assert report["max_abs_diff"] == 0
    assert report["top1_equal"] is True


def test_a_logit_changed_by_1e_3_fails_naming_the_output_and_the_difference() -> None:
    candidate = _changed(LOGITS, "logits", (1, 2), 1e-3)

    report = compare_outputs("classification", LOGITS, candidate, {})

    assert report["passed"] is False
    assert report["top1_equal"] is True
    assert report["max_abs_diff"] == pytest.approx(1e-3, abs=1e-6)
    assert "'logits' differs by 0.001 at index [1, 2]" in report["message"]


def test_a_logit_change_within_tolerance_passes_and_a_top1_change_fails() -> None:
    assert compare_outputs("multilabel", LOGITS, _changed(LOGITS, "logits", (0, 0), 5e-5))["passed"]

    swapped = _changed(LOGITS, "logits", (0, 0), 2.0)
    report = compare_outputs("classification", LOGITS, swapped, {"logits": 10.0})

    assert report["passed"] is False
    assert report["top1_equal"] is False
    assert "different top-1 class" in report["message"]


def test_a_missing_or_misshapen_output_fails() -> None:
    assert (
        "missing"
        in compare_outputs("classification", LOGITS, {"scores": LOGITS["logits"]})["message"]
    )
    report = compare_outputs("classification", LOGITS, {"logits": np.zeros((2, 4))})
    assert report["passed"] is False
    assert "shape" in report["message"]


def test_identical_detections_match() -> None:
    candidate = {key: value.copy() for key, value in DETECTIONS.items()}

    report = compare_outputs("detection", DETECTIONS, candidate, {})

    assert report["passed"] is True
    assert (report["matched"], report["unmatched"]) == (3, 0)
    assert report["worst_iou"] == 1.0
    assert report["max_score_diff"] == 0.0


def test_detections_in_another_order_and_with_tiny_differences_match() -> None:
    order = [2, 0, 1]
    candidate = {key: value[order].copy() for key, value in DETECTIONS.items()}
    candidate["boxes"][1] += 0.05
    candidate["scores"][0] += 5e-4

    report = compare_outputs("segmentation", DETECTIONS, candidate, {})

    assert report["passed"] is True
    assert report["matched"] == 3
    assert 0.99 < report["worst_iou"] < 1.0


def test_a_shifted_box_fails_saying_which_detection_has_no_match() -> None:
    candidate = _changed(DETECTIONS, "boxes", (0,), 3.0)  # the whole box moves 3 pixels

    report = compare_outputs("detection", DETECTIONS, candidate, {})

    assert report["passed"] is False
    assert report["unmatched"] == 2  # the expected one unmatched, the moved one unexpected
    assert "label 1 score 0.9000" in report["message"]
    assert "best IoU" in report["message"]
    assert "1 unexpected detection(s)" in report["message"]


def test_a_changed_score_or_a_changed_label_fails() -> None:
    rescored = _changed(DETECTIONS, "scores", (1,), 0.01)
    relabelled = {key: value.copy() for key, value in DETECTIONS.items()}
    relabelled["labels"][1] = 1

    score_report = compare_outputs("detection", DETECTIONS, rescored)
    label_report = compare_outputs("detection", DETECTIONS, relabelled)

    assert score_report["passed"] is False
    assert "score 0.7500 became 0.7600" in score_report["message"]
    assert label_report["passed"] is False
    assert label_report["unmatched"] == 2


def test_min_score_ignores_low_scoring_detections_on_both_sides() -> None:
    candidate = {key: value[:2].copy() for key, value in DETECTIONS.items()}

    assert compare_outputs("detection", DETECTIONS, candidate)["passed"] is False
    assert compare_outputs("detection", DETECTIONS, candidate, {"min_score": 0.5})["passed"]


def test_no_detections_on_either_side_pass() -> None:
    empty = {
        "boxes": np.zeros((0, 4)),
        "labels": np.zeros(0, dtype=np.int64),
        "scores": np.zeros(0),
    }

    report = compare_outputs("detection", empty, empty)

    assert report["passed"] is True
    assert report["worst_iou"] is None
