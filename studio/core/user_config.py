"""Studio's per-user folders: the config folder, where choices that belong to the person (not
to a project) live (trusted plugin folders, enabled plugins, the embedding cache's size
limit), and the data folder, where the demo project is made the first time it is asked for."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CONFIG_DIR_ENV = "STUDIO_CONFIG_DIR"


def config_dir() -> Path:
    """Studio's per-user config folder: `$STUDIO_CONFIG_DIR`, else the platform's."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir("studio"))


DATA_DIR_ENV = "STUDIO_DATA_DIR"


def data_dir() -> Path:
    """Studio's per-user data folder (the demo project lives there): `$STUDIO_DATA_DIR`, else
    the platform's."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir("studio"))
