"""Which SAM 2.1 checkpoint the plugin uses, and whether it can run here.

The choice is the person's, not a project's: `$STUDIO_SAM2_CHECKPOINT` (and optionally
`$STUDIO_SAM2_MODEL`) when set, else `sam2.json` in Studio's user config folder:

    {"checkpoint": "/models/sam2.1_hiera_tiny.pt", "model": "tiny"}

`model` is the checkpoint's architecture, one of `MODELS` (default "tiny"); a relative
`checkpoint` in the file is relative to the file's folder. Nothing here imports torch or sam2,
so listing the assistant stays fast.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from studio.plugins.assistants import StudioError, config_dir

CHECKPOINT_ENV = "STUDIO_SAM2_CHECKPOINT"
MODEL_ENV = "STUDIO_SAM2_MODEL"
SETTINGS_FILE = "sam2.json"
DEFAULT_MODEL = "tiny"
# The SAM 2.1 architectures: the name a user writes -> sam2's own config of it.
MODELS = {
    "tiny": "configs/sam2.1/sam2.1_hiera_t.yaml",
    "small": "configs/sam2.1/sam2.1_hiera_s.yaml",
    "base_plus": "configs/sam2.1/sam2.1_hiera_b+.yaml",
    "large": "configs/sam2.1/sam2.1_hiera_l.yaml",
}
WHERE_CHECKPOINTS_ARE = (
    "official SAM 2.1 checkpoints: https://github.com/facebookresearch/sam2#model-description "
    "(tiny 156 MB, small 184 MB, base_plus 324 MB, large 898 MB)"
)


class Sam2UnavailableError(StudioError):
    """The SAM 2.1 assistant cannot run here; the message says why in one line."""


@dataclass(frozen=True)
class Sam2Settings:
    """A SAM 2.1 checkpoint file and its architecture (a key of `MODELS`)."""

    checkpoint: Path
    model: str = DEFAULT_MODEL

    @property
    def model_kind(self) -> str:
        """The name the embedding cache records, e.g. "sam2.1_hiera_tiny"."""
        return f"sam2.1_hiera_{self.model}"

    @property
    def config_name(self) -> str:
        return MODELS[self.model]


def load_settings() -> Sam2Settings:
    """The user's choice, from the environment or the settings file.

    Raises Sam2UnavailableError naming the variable or the file when there is none or it is
    unusable.
    """
    checkpoint = os.environ.get(CHECKPOINT_ENV)
    if checkpoint:
        model = os.environ.get(MODEL_ENV) or DEFAULT_MODEL
        return Sam2Settings(Path(checkpoint), _checked_model(model, f"${MODEL_ENV}"))
    path = config_dir() / SETTINGS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Sam2UnavailableError(
            f"no SAM 2.1 checkpoint chosen: set ${CHECKPOINT_ENV} or write {path}; "
            f"{WHERE_CHECKPOINTS_ARE}"
        ) from None
    except (OSError, ValueError) as error:
        raise Sam2UnavailableError(f"{path}: unreadable ({error})") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("checkpoint"), str):
        raise Sam2UnavailableError(
            f'{path}: expected {{"checkpoint": PATH, "model": "tiny"}}, found {stored!r}'
        )
    model = _checked_model(stored.get("model", DEFAULT_MODEL), str(path))
    return Sam2Settings(path.parent / Path(stored["checkpoint"]).expanduser(), model)


def save_settings(settings: Sam2Settings) -> Path:
    """Remember `settings` in the user's config folder; returns the file written."""
    path = config_dir() / SETTINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"checkpoint": str(Path(settings.checkpoint).resolve()), "model": settings.model}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def unavailable_reason() -> str | None:
    """Why the assistant cannot run here, in one line, or None when it can.

    Cheap: it looks for the sam2 package without importing it and for the checkpoint file
    without reading it.
    """
    if importlib.util.find_spec("sam2") is None:
        return (
            "the sam2 package is not installed "
            "(SAM2_BUILD_CUDA=0 pip install --no-build-isolation sam2==1.1.0)"
        )
    try:
        settings = load_settings()
    except Sam2UnavailableError as error:
        return str(error)
    if not settings.checkpoint.is_file():
        return f"{settings.checkpoint}: SAM 2.1 checkpoint not found; {WHERE_CHECKPOINTS_ARE}"
    return None


def _checked_model(model: object, where: str) -> str:
    if model not in MODELS:
        choices = ", ".join(MODELS)
        raise Sam2UnavailableError(f"{where}: model must be one of {choices}, not {model!r}")
    return str(model)
