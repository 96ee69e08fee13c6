"""The model registry in the GUI: the Models view, registering a run's checkpoint, aliases,
lineage, and exporting a model to a deployment bundle.

`models_model` lists the registered model versions with their aliases; `models_view` is the
Models dock (the table, the alias actions, the lineage of the selected version);
`alias_dialog` sets, moves and removes aliases; `register_dialog` registers a finished run's
checkpoint; `export_dialog` exports a run or a model version in a worker process and shows
the parity gate's result. Registering a model and moving aliases are not label edits: they
are not in the undo history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.gui.training import format_metric, headline_metric_name


def result_text(task: str, metrics: Mapping[str, Any]) -> str:
    """ "accuracy 0.93" from a model version's (flat) test metrics; "" when absent."""
    name = headline_metric_name(task)
    value = metrics.get(name) if isinstance(metrics, Mapping) else None
    return f"{name} {format_metric(value)}" if value is not None else ""


def version_label(record: Any) -> str:
    """ "digits:3 (production, candidate)": a model version in lists and titles."""
    aliases = f" ({', '.join(record.aliases)})" if record.aliases else ""
    return f"{record.name}:{record.version}{aliases}"
