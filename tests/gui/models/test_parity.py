"""The parity figures the Export dialog shows, from the gate's and the INT8 check's reports."""

from __future__ import annotations

from studio.gui.models.parity import format_figure, parity_rows, quantization_rows


def test_classifier_figures_with_top1_agreement_and_the_items_that_differ() -> None:
    parity = {
        "passed": False,
        "images": 16,
        "task": "classification",
        "message": "parity gate failed on 2 of 16 images",
        "details": {
            "max_abs_diff": 0.25,
            "top1_differs": [4],
            "failed_items": [4, 9],
            "splits": ["test"],
            "tolerances": {"logits": 1e-4},
            "per_image": [{"item_id": 4}],
        },
    }
    assert parity_rows(parity) == [
        ("Images compared", "16"),
        ("Max |logit diff|", "0.25"),
        ("Top-1 agreement", "15 / 16 (94%)"),
        ("Images that differ", "2: items 4, 9"),
        ("Held-out splits", "test"),
    ]


def test_detector_figures() -> None:
    parity = {
        "passed": True,
        "images": 8,
        "details": {"matched": 21, "unmatched": 0, "worst_iou": 0.99991, "max_score_diff": 2e-6},
    }
    assert parity_rows(parity) == [
        ("Images compared", "8"),
        ("Matched detections", "21"),
        ("Unmatched detections", "0"),
        ("Worst IoU", "0.9999"),
        ("Max |score diff|", "2.00e-06"),
    ]


def test_int8_figures_give_the_accuracy_change() -> None:
    report = {
        "method": "onnxruntime dynamic quantization (uint8 weights)",
        "passed": True,
        "images": 16,
        "agreement": 0.9375,
        "min_agreement": 0.9,
        "max_abs_logit_diff": 0.07,
        "accuracy_before": 0.875,
        "accuracy_after": 0.8125,
        "size_before": 44_718_264,
        "size_after": 11_239_086,
    }
    assert quantization_rows(report) == [
        ("INT8 accuracy change", "-6.2 points (87.5% → 81.2%)"),
        ("INT8 top-1 agreement", "93.8% (needs 90%)"),
        ("INT8 size", "44.72 MB → 11.24 MB"),
        ("INT8 max |logit diff|", "0.07"),
    ]
    assert quantization_rows(None) == []
    assert parity_rows({}) == []
    assert [format_figure(v) for v in (True, 1234, None, float("inf"))] == [
        "yes",
        "1,234",
        "—",
        "inf",
    ]
