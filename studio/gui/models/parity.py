"""The figures of an export's parity gate (and INT8 check) as rows for the Export dialog.

The gate compares the torch model on Studio's evaluation transforms with the ONNX model on the
bundle's own pre-processing, over held-out images. Its report ("parity" in the `exported`
event, the manifest and a failed event) holds `passed`, `images`, `message` and `details`;
the figures may sit at the top level or in `details`, so both are read. Unknown numeric
figures are listed too, under their own names, so nothing the gate measured is hidden.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

FIGURE_TITLES = {
    "images": "Images compared",
    "max_abs_diff": "Max |logit diff|",
    "logits_tolerance": "Logit tolerance",
    "top1_agreement": "Top-1 agreement",
    "top1_equal": "Top-1 agreement",
    "matched": "Matched detections",
    "unmatched": "Unmatched detections",
    "worst_iou": "Worst IoU",
    "max_score_diff": "Max |score diff|",
}
SKIPPED = {"passed", "message", "task", "details", "per_image", "tolerances"}
BEFORE, AFTER = "accuracy_before", "accuracy_after"
QUANTIZATION_SHOWN = {BEFORE, AFTER, "size_before", "size_after", "agreement", "min_agreement"}
QUANTIZATION_SKIPPED = {"passed", "images", "method"}  # the same as the parity check's
QUANTIZATION_TITLES = {"max_abs_logit_diff": "INT8 max |logit diff|"}
LISTED_ITEMS = 8


def format_figure(value: Any) -> str:
    """Small differences in scientific notation, ratios with 4 digits, counts as counts."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.4g}"
    if value is None:
        return "—"
    return str(value)


def _flattened(parity: Mapping[str, Any]) -> dict[str, Any]:
    details = parity.get("details")
    merged = dict(details) if isinstance(details, Mapping) else {}
    merged.update({k: v for k, v in parity.items() if k != "details"})
    return merged


def _top1_text(value: Any) -> str:
    if isinstance(value, bool):
        return "all images" if value else "differs"
    if isinstance(value, (int, float)) and 0 <= value <= 1:
        return f"{value:.1%}"
    return format_figure(value)


def _item_list(ids: list[Any]) -> str:
    shown = ", ".join(str(item_id) for item_id in ids[:LISTED_ITEMS])
    return shown + (f" and {len(ids) - LISTED_ITEMS} more" if len(ids) > LISTED_ITEMS else "")


def _derived(figures: dict[str, Any]) -> dict[str, Any]:
    """Top-1 agreement from the items whose top class differed; lists as short texts."""
    images, differs = figures.get("images"), figures.pop("top1_differs", None)
    if isinstance(differs, list) and isinstance(images, int) and images:
        agreeing = images - len(differs)
        figures.setdefault("top1_agreement", f"{agreeing} / {images} ({agreeing / images:.0%})")
    failed = figures.pop("failed_items", None)
    if failed:
        figures["images_that_differ"] = f"{len(failed)}: items {_item_list(failed)}"
    splits = figures.pop("splits", None)
    if splits:
        figures["held-out_splits"] = ", ".join(map(str, splits))
    return figures


def parity_rows(parity: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(title, value) rows: the known figures first, in a fixed order, then any other."""
    if not parity:
        return []
    figures = _derived(_flattened(parity))
    rows: list[tuple[str, str]] = []
    shown: set[str] = set()
    for key, title in FIGURE_TITLES.items():
        if key in figures and title not in {row[0] for row in rows}:
            value = figures[key]
            text = _top1_text(value) if key.startswith("top1") else format_figure(value)
            rows.append((title, text))
        shown.add(key)
    for key, value in figures.items():
        if key in shown or key in SKIPPED or isinstance(value, (Mapping, list, tuple)):
            continue
        rows.append((key.replace("_", " ").capitalize(), format_figure(value)))
    return rows


def quantization_rows(quantization: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The INT8 check: accuracy before → after (and the change), and the file sizes."""
    if not quantization:
        return []
    rows = []
    before, after = quantization.get(BEFORE), quantization.get(AFTER)
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        change = (after - before) * 100
        rows.append(("INT8 accuracy change", f"{change:+.1f} points ({before:.1%} → {after:.1%})"))
    agreement, needed = quantization.get("agreement"), quantization.get("min_agreement")
    if isinstance(agreement, (int, float)):
        need = f" (needs {needed:.0%})" if isinstance(needed, (int, float)) else ""
        rows.append(("INT8 top-1 agreement", f"{agreement:.1%}{need}"))
    sizes = quantization.get("size_before"), quantization.get("size_after")
    if all(isinstance(size, (int, float)) and size for size in sizes):
        rows.append(("INT8 size", f"{sizes[0] / 1e6:.2f} MB → {sizes[1] / 1e6:.2f} MB"))
    for key, value in quantization.items():
        hidden = key in QUANTIZATION_SHOWN or key in QUANTIZATION_SKIPPED
        if hidden or isinstance(value, (Mapping, list)):
            continue
        title = QUANTIZATION_TITLES.get(key, f"INT8 {key.replace('_', ' ')}")
        rows.append((title, format_figure(value)))
    return rows
