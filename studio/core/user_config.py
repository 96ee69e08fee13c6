"""Studio's per-user config folder, where choices that belong to the person (not to a project)
live: trusted plugin folders, enabled plugins, the embedding cache's size limit."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CONFIG_DIR_ENV = "STUDIO_CONFIG_DIR"


def config_dir() -> Path:
    """Studio's per-user config folder: `$STUDIO_CONFIG_DIR`, else the platform's."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir("studio"))
