"""Every command-line test of plugins and scripts gets its own user config folder and plugins."""

from tests.plugin_helpers import isolated_plugins

__all__ = ["isolated_plugins"]
