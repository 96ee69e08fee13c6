"""Studio's own ways to colour the map of the data (by class, split, status and label quality),
registered as a default plugin through the same hook as any plugin's."""

from __future__ import annotations

from studio.core.label_issues import latest_qualities
from studio.core.map_colours import ColouringSpec, builtin_colourings
from studio.plugins.markers import hookimpl

# The map window's legend shows the title: it says what the grey points are.
LABEL_QUALITY = ColouringSpec(
    "label_quality", "Label quality (grey: never judged)", "score", latest_qualities
)


@hookimpl
def studio_map_colourings() -> list[ColouringSpec]:
    """Class, split, status, and the quality the latest label-error search gave each item
    (the lowest of its labels'; items it did not judge have none, drawn grey)."""
    return [*builtin_colourings(), LABEL_QUALITY]
