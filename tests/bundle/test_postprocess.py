"""Post-processing: class scores, thresholds, manifest NMS, boxes back in image pixels, mask RLE."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from studio.bundle import BundleError, encode_rle, postprocess
from tests.bundle.builders import classification_manifest, detection_manifest


def _detector(**settings: Any) -> dict[str, Any]:
    manifest = detection_manifest()
    manifest["postprocess"].update(settings)
    return manifest


def _outputs(boxes: list, labels: list, scores: list, masks: np.ndarray | None = None) -> dict:
    outputs = {
        "boxes": np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        "labels": np.asarray(labels, dtype=np.int64),
        "scores": np.asarray(scores, dtype=np.float32),
    }
    if masks is not None:
        outputs["masks"] = masks
    return outputs


def test_softmax_gives_the_label_its_probability_and_the_top_k() -> None:
    manifest = classification_manifest()
    manifest["postprocess"]["top_k"] = 2
    logits = np.array([[1.0, 3.0, 2.0]], dtype=np.float32)

    result = postprocess({"logits": logits}, manifest, (10, 10))

    probabilities = np.exp([1.0, 3.0, 2.0]) / np.exp([1.0, 3.0, 2.0]).sum()
    assert result["label"] == "dog"
    assert result["score"] == pytest.approx(probabilities[1])
    assert [entry["class"] for entry in result["top"]] == ["dog", "bird"]
    assert [entry["index"] for entry in result["top"]] == [1, 2]
    assert result["top"][1]["score"] == pytest.approx(probabilities[2])


def test_softmax_refuses_a_model_with_another_number_of_classes() -> None:
    with pytest.raises(BundleError, match="3 classes but the model outputs 4"):
        postprocess({"logits": np.zeros((1, 4))}, classification_manifest(), (10, 10))


def test_sigmoid_keeps_the_labels_at_or_above_the_threshold() -> None:
    manifest = classification_manifest()
    manifest["task"] = "multilabel"
    manifest["postprocess"] = {"op": "sigmoid", "threshold": 0.6}
    logits = np.array([[2.0, 0.0, np.log(0.6 / 0.4)]])

    result = postprocess({"logits": logits}, manifest, (10, 10))

    assert result["labels"] == ["cat", "bird"]
    assert result["scores"]["dog"] == pytest.approx(0.5)
    assert result["scores"]["cat"] == pytest.approx(1 / (1 + np.exp(-2.0)))


def test_detections_below_the_score_threshold_are_dropped() -> None:
    outputs = _outputs(
        [[0, 0, 5, 5], [10, 10, 20, 20], [30, 0, 40, 8]], [1, 2, 1], [0.9, 0.29, 0.3]
    )

    result = postprocess(outputs, _detector(score_threshold=0.3, nms="graph"), (50, 50))

    assert [d["score"] for d in result["detections"]] == pytest.approx([0.9, 0.3])
    assert result["detections"][1] == {
        "class": "circle",
        "score": pytest.approx(0.3),
        "box": [30, 0, 10, 8],
    }


def test_manifest_nms_suppresses_overlapping_boxes_of_a_class_and_keeps_other_classes() -> None:
    boxes = [[0, 0, 10, 10], [1, 0, 11, 10], [0, 1, 10, 11], [30, 30, 40, 40]]
    outputs = _outputs(boxes, [1, 1, 2, 1], [0.8, 0.9, 0.7, 0.6])

    kept = postprocess(outputs, _detector(nms="manifest", iou_threshold=0.5), (50, 50))
    graph = postprocess(outputs, _detector(nms="graph"), (50, 50))

    found = [(d["class"], d["box"][0]) for d in kept["detections"]]
    assert found == [("circle", 1), ("square", 0), ("circle", 30)]
    assert len(graph["detections"]) == 4


def test_manifest_nms_keeps_same_class_boxes_that_overlap_less_than_the_threshold() -> None:
    outputs = _outputs([[0, 0, 10, 10], [5, 0, 15, 10]], [1, 1], [0.9, 0.8])  # IoU 1/3

    result = postprocess(outputs, _detector(nms="manifest", iou_threshold=0.5), (50, 50))

    assert len(result["detections"]) == 2


def test_max_detections_keeps_the_best_scores() -> None:
    boxes = [[i * 10, 0, i * 10 + 5, 5] for i in range(5)]
    outputs = _outputs(boxes, [1] * 5, [0.5, 0.9, 0.6, 0.8, 0.7])

    result = postprocess(outputs, _detector(max_detections=2), (100, 100))

    assert [d["score"] for d in result["detections"]] == pytest.approx([0.9, 0.8])


def test_boxes_are_scaled_from_the_model_input_to_the_original_image_and_clipped() -> None:
    manifest = _detector(nms="graph")
    manifest["preprocess"].insert(1, {"op": "resize", "size": [50, 100], "mode": "stretch"})
    outputs = _outputs([[10, 5, 30, 25], [90, 40, 120, 60]], [1, 2], [0.9, 0.8])

    result = postprocess(outputs, manifest, (200, 100))  # original is 200 wide, 100 high

    assert result["detections"][0]["box"] == pytest.approx([20, 10, 40, 40])
    assert result["detections"][1]["box"] == pytest.approx([180, 80, 20, 20])


def test_a_leading_batch_axis_and_labels_outside_the_classes_are_handled() -> None:
    outputs = {
        "boxes": np.array([[[0, 0, 4, 4], [0, 0, 6, 6], [1, 1, 2, 2]]], dtype=np.float32),
        "labels": np.array([[1, 0, 7]]),
        "scores": np.array([[0.9, 0.95, 0.99]]),
    }

    result = postprocess(outputs, _detector(), (10, 10))

    assert [d["box"] for d in result["detections"]] == [[0, 0, 4, 4]]


def test_detector_outputs_must_be_named() -> None:
    with pytest.raises(BundleError, match="lack scores"):
        postprocess({"boxes": np.zeros((0, 4)), "labels": np.zeros(0)}, _detector(), (4, 4))


def _segmenter() -> dict[str, Any]:
    return copy.deepcopy(detection_manifest(with_masks=True, nms="graph"))


def test_segmentation_masks_become_coco_rle_of_the_thresholded_area() -> None:
    masks = np.zeros((2, 1, 20, 30), dtype=np.float32)
    masks[0, 0, 2:8, 3:13] = 0.8  # 6 x 10 = 60 pixels
    masks[0, 0, 10:12, 0:30] = 0.49  # below the 0.5 mask threshold
    masks[1, 0, 0:20, 29] = 1.0  # the last column: 20 pixels
    outputs = _outputs([[3, 2, 13, 8], [29, 0, 30, 20]], [1, 2], [0.9, 0.8], masks)

    result = postprocess(outputs, _segmenter(), (30, 20))

    first, second = (d["mask"] for d in result["detections"])
    assert first["size"] == [20, 30]
    assert sum(first["counts"][1::2]) == 60
    assert second["counts"] == [29 * 20, 20]
    decoded = coco_mask.decode(coco_mask.frPyObjects(first, 20, 30))
    np.testing.assert_array_equal(decoded, masks[0, 0] >= 0.5)
    assert coco_mask.area(coco_mask.frPyObjects(second, 20, 30)) == 20


def test_segmentation_masks_are_resized_to_the_original_image() -> None:
    manifest = _segmenter()
    manifest["preprocess"].insert(1, {"op": "resize", "size": [10, 10], "mode": "stretch"})
    masks = np.zeros((1, 1, 10, 10), dtype=np.float32)
    masks[0, 0, 2:6, 2:6] = 1.0  # 16 of 100 model pixels

    result = postprocess(_outputs([[2, 2, 6, 6]], [1], [0.9], masks), manifest, (40, 20))

    rle = result["detections"][0]["mask"]
    assert rle["size"] == [20, 40]
    area = int(coco_mask.area(coco_mask.frPyObjects(rle, 20, 40)))
    assert area == pytest.approx(16 * 8, rel=0.15)  # the image is 8 times larger
    assert result["detections"][0]["box"] == pytest.approx([8, 4, 16, 8])


def test_rle_of_a_mask_starting_with_foreground_starts_with_zero() -> None:
    mask = np.zeros((3, 2), dtype=bool)
    mask[0:2, 0] = True

    assert encode_rle(mask) == {"size": [3, 2], "counts": [0, 2, 4]}
    assert encode_rle(np.zeros((2, 2), dtype=bool))["counts"] == [4]
