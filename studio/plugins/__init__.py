"""Studio's plugins: hook specifications (`hookspecs`), discovery and trust (`manager`,
`trust`), and the value types plugins return (`specs`). See docs/plugins.md.

A plugin is a Python module with functions marked `@hookimpl` whose names are those of the hook
specifications. Studio's own formats, architectures, tools and panels register the same way, as
default plugins.
"""

from studio.plugins.markers import PLUGIN_API_VERSION, hookimpl

__all__ = ["PLUGIN_API_VERSION", "hookimpl"]
