"""Studio plugin: SAM 2.1 (facebookresearch/sam2) as an interactive labeling assistant.

It registers the assistant "sam2" through `studio_assistants`. Listing it is cheap (no torch,
no sam2 import); when the sam2 package or the checkpoint is missing the entry says why in one
line and creating the assistant raises `Sam2UnavailableError` with that line. See README.md for the
settings (`studio_sam2.settings`).
"""

from __future__ import annotations

from studio.api import Task
from studio.plugins import hookimpl
from studio.plugins.assistants import AssistantSpec
from studio_sam2.settings import Sam2UnavailableError, load_settings, unavailable_reason

STUDIO_PLUGIN_API = 1
__version__ = "1.0.0"

ASSISTANT = "sam2"
DESCRIPTION = "Click or drag a box; SAM 2.1 answers with masks (embeddings cached)"


def create_assistant() -> object:
    """The assistant for the user's settings; Sam2UnavailableError (one line) when it cannot run."""
    reason = unavailable_reason()
    if reason is not None:
        raise Sam2UnavailableError(f"SAM 2.1 assistant unavailable: {reason}")
    from studio_sam2.assistant import Sam2Assistant  # imports torch and sam2

    return Sam2Assistant(load_settings())


@hookimpl
def studio_assistants() -> list[AssistantSpec]:
    reason = unavailable_reason()
    return [
        AssistantSpec(
            ASSISTANT,
            "SAM 2.1" if reason is None else "SAM 2.1 (unavailable)",
            "interactive",
            create_assistant,
            frozenset({Task.DETECTION.value, Task.SEGMENTATION.value}),
            DESCRIPTION if reason is None else f"unavailable: {reason}",
        )
    ]
