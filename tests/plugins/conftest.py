"""Every plugin test gets its own user config folder and plugin manager."""

from tests.plugin_helpers import isolated_plugins

__all__ = ["isolated_plugins"]
