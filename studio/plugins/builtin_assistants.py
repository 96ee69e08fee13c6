"""Studio's own labeling assistants, registered as a default plugin through the same hook as
any plugin's assistants.

The magic wand needs no model weights: it answers a click with the region of similar colour
around it and a box with the object inside it (`studio.core.magic_wand`), so a project without
a Segment Anything checkpoint still gets click-to-region. Its shapes carry source "human": the
wand is a drawing aid, the person chose the region.

Segment Anything answers the same prompts with the mask SAM decodes for them. It needs the
project's checkpoint (`Project.set_sam_checkpoint`), and an assistant is created once per
process without a project, so it learns the projects from the plugin events: it keeps the
projects this process has open (`studio_project_opened` / `studio_project_closing`) and answers
with the one holding an item with the image's content, through that project's SAM service.
This package imports nothing of the API or of ML, so the service is reached through the open
project object itself.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.enums import Task
from studio.core.errors import StudioError
from studio.core.geometry import encode_mask
from studio.core.magic_wand import WandImage, region_from_prompts
from studio.core.prompts import Prompts
from studio.plugins.markers import hookimpl
from studio.plugins.specs import AssistantSpec

if TYPE_CHECKING:
    from studio.api.project import Project

MAGIC_WAND = "magic_wand"
SEGMENT_ANYTHING = "sam"
OBJECT_TASKS = frozenset({Task.DETECTION.value, Task.SEGMENTATION.value})

# The projects this process has open, in the order they were opened (see the module's doc).
_open_projects: list[Project] = []
_open_projects_lock = threading.Lock()


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


class SegmentAnythingAssistant:
    """SAM as an interactive assistant: the best mask for the prompts, source "sam", its
    predicted IoU as score and the prompts in its attributes."""

    def answer(self, image_path: Path, prompts: Prompts) -> list[dict[str, Any]]:
        with _open_projects_lock:
            projects = list(_open_projects)
        for project in projects:
            answer = project.sam.answer_image(Path(image_path), prompts)
            if answer is not None:
                return answer
        raise StudioError(f"{image_path}: not an image of a project open in this process")


@hookimpl
def studio_project_opened(project: Project) -> None:
    with _open_projects_lock:
        _open_projects.append(project)


@hookimpl
def studio_project_closing(project: Project) -> None:
    with _open_projects_lock:
        if project in _open_projects:
            _open_projects.remove(project)


@hookimpl
def studio_assistants() -> list[AssistantSpec]:
    return [
        AssistantSpec(
            MAGIC_WAND,
            "Magic wand",
            "interactive",
            MagicWandAssistant,
            OBJECT_TASKS,
            "Click for the region of similar colour, or drag a box around an object; "
            "needs no model weights",
        ),
        AssistantSpec(
            SEGMENT_ANYTHING,
            "Segment Anything",
            "interactive",
            SegmentAnythingAssistant,
            OBJECT_TASKS,
            "Click inside an object (and outside it), or drag a box: SAM's mask for it; "
            "needs the project's SAM checkpoint (studio sam set)",
        ),
    ]
