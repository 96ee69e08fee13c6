"""Evaluation metrics from plugins, computed beside Studio's own (`studio.ml.evaluation`).

A plugin returns `MetricSpec`s from the `studio_metrics` hook. Every evaluation (the one at
the end of training, and `studio evaluate`) computes each metric whose `tasks` include the
run's task and stores its value with Studio's figures under the metric's name, so it shows in
the Evaluation view, the run's summary and the model registry. A metric that raises, or
returns something other than a finite number, is reported and left out; the evaluation
still succeeds.

Imports no torch (a plugin module imports `MetricSpec` when it loads).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.plugins.manager import PluginError, plugins

if TYPE_CHECKING:
    from studio.core.versions import VersionItem
    from studio.ml.data import ClassIndex
    from studio.ml.evaluation import ItemPrediction

log = logging.getLogger(__name__)

MetricFunction = Callable[
    [str, "Sequence[VersionItem]", "Sequence[ItemPrediction]", "ClassIndex"], float
]


@dataclass(frozen=True)
class MetricSpec:
    """`compute(task, items, predictions, class_index)` returns one number: `items` are the
    evaluated split's items (with their annotations), `predictions` the model's
    (`ItemPrediction`: item id, class id, kind, geometry, score), `class_index` maps class ids
    to the model's outputs. `higher_is_better` tells the views how to colour it."""

    name: str
    description: str
    tasks: frozenset[str]
    compute: MetricFunction
    higher_is_better: bool = True


def plugin_metrics(
    task: str,
    items: Sequence[VersionItem],
    predictions: Sequence[ItemPrediction],
    class_index: ClassIndex,
    builtin: Mapping[str, Any],
    warn: Callable[[str], None],
) -> dict[str, float]:
    """The values of the active plugins' metrics for `task`; a name Studio's own figures
    (`builtin`) already use is left out, and a metric that fails is reported via `warn`."""
    values: dict[str, float] = {}
    for spec in plugins().collect("studio_metrics"):
        if not isinstance(spec, MetricSpec) or task not in spec.tasks:
            continue
        if spec.name in builtin or spec.name in values:
            warn(f"metric {spec.name!r} of plugin {plugins().owner(spec)} reuses a taken name")
            continue
        try:
            with plugins().guard(spec, f"metric {spec.name}"):
                value = spec.compute(task, items, predictions, class_index)
        except PluginError as error:
            warn(str(error))
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            warn(f"metric {spec.name!r} gave {value!r}, not a finite number; left out")
            continue
        values[spec.name] = float(value)
    return values
