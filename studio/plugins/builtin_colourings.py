"""Studio's own ways to colour the map of the data (by class, split, status), registered as a
default plugin through the same hook as any plugin's."""

from __future__ import annotations

from studio.core.map_colours import ColouringSpec, builtin_colourings
from studio.plugins.markers import hookimpl


@hookimpl
def studio_map_colourings() -> list[ColouringSpec]:
    return builtin_colourings()
