"""The Train panel and the Runs view: freeze versions, start, watch, cancel, resume, compare.

`version_dialog` freezes a dataset version with a live split preview; `settings_form` edits
a training configuration (prefilled from a preset); `worker_process` runs a training worker
and reads its JSON-line events; `charts` draws loss and metric curves with pyqtgraph;
`train_panel` puts them together. `runs_model`, `runs_view`, `compare_view` and
`evaluation_view` list the project's runs, compare them and show an evaluation. This module
holds the small formatting helpers they share.

Freezing a version and starting a run are not label edits: they are not in the undo log (a
version nobody trained on can be deleted; a run can be deleted from the Runs view).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from studio.ml.config import DEFAULT_MONITOR

NOT_UNDOABLE = "Not a label edit: this is not in the undo history."
SPLITS = ("train", "val", "test")
ACTIVE_STATUSES = ("queued", "running")
BOOKKEEPING_METRICS = ("items", "seconds", "missing_predictions")  # not shown as results


def format_duration(seconds: float | None) -> str:
    """ "42 s", "3 min 05 s", "2 h 07 min"; "" when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_metric(value: Any) -> str:
    """A metric for a table cell: 4 significant digits, "" for nothing or NaN."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        if isinstance(value, int):
            return f"{value:,}"
        return f"{value:.4g}"
    return str(value)


def split_counts_text(counts: Mapping[str, Any]) -> str:
    """ "train 32 · val 4 · test 4" from a version's or a plan's counts."""
    items = counts.get("items", {}) if isinstance(counts, Mapping) else {}
    return " · ".join(f"{split} {int(items.get(split, 0)):,}" for split in SPLITS)


def short_metric_name(name: str) -> str:
    """ "val/accuracy" → "accuracy" for column titles (the split stays in the header)."""
    return name.split("/", 1)[-1]


def headline_metric_name(task: str) -> str:
    """ "accuracy" for classifiers, "map" for the others: the metric a table shows."""
    return short_metric_name(DEFAULT_MONITOR.get(task, "val/accuracy"))


def headline_metrics(metrics: Mapping[str, Any]) -> str:
    """ "accuracy 0.93, macro_f1 0.91": the numeric results, without bookkeeping counts."""
    return ", ".join(
        f"{name} {format_metric(value)}"
        for name, value in metrics.items()
        if isinstance(value, (int, float))
        and not isinstance(value, bool)
        and name not in BOOKKEEPING_METRICS
    )
