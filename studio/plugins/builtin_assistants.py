"""Studio's own labeling assistants, registered as a default plugin through the same hook as
any plugin's assistants.

The magic wand needs no model weights: it answers a click with the region of similar colour
around it and a box with the object inside it (`studio.core.magic_wand`), so a project without
a Segment Anything checkpoint still gets click-to-region. Its shapes carry source "human": the
wand is a drawing aid, the person chose the region.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from studio.core.enums import Task
from studio.core.geometry import encode_mask
from studio.core.magic_wand import WandImage, region_from_prompts
from studio.core.prompts import Prompts
from studio.plugins.markers import hookimpl
from studio.plugins.specs import AssistantSpec

MAGIC_WAND = "magic_wand"


class MagicWandAssistant:
    """The wand as an interactive assistant. It keeps the last image it prepared, so several
    prompts on one image convert its colours once."""

    def __init__(self) -> None:
        self._last: tuple[tuple[str, int, int], WandImage] | None = None

    def answer(self, image_path: Path, prompts: Prompts) -> list[dict[str, Any]]:
        """One mask mapping for the region the prompts select, or none if it is empty."""
        mask = region_from_prompts(self._image(Path(image_path)), prompts)
        if not mask.any():
            return []
        return [{"mask": encode_mask(mask), "source": "human"}]

    def _image(self, path: Path) -> WandImage:
        status = os.stat(path)
        key = (str(path), status.st_mtime_ns, status.st_size)
        if self._last is None or self._last[0] != key:
            self._last = (key, WandImage.open(path))
        return self._last[1]


@hookimpl
def studio_assistants() -> list[AssistantSpec]:
    return [
        AssistantSpec(
            MAGIC_WAND,
            "Magic wand",
            "interactive",
            MagicWandAssistant,
            frozenset({Task.DETECTION.value, Task.SEGMENTATION.value}),
            "Click for the region of similar colour, or drag a box around an object; "
            "needs no model weights",
        )
    ]
