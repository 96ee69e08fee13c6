"""The two pluggy markers and the plugin-API version: all a plugin module needs to import.

    from studio.plugins import hookimpl

    @hookimpl
    def studio_label_formats():
        return [MyFormat()]

Kept free of every other Studio import so any layer (and any plugin) can import it cheaply.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "studio"

# The plugin API this Studio offers. A plugin declares the version it was written for in a
# module-level `STUDIO_PLUGIN_API = N`; Studio loads plugins whose major version equals this one.
PLUGIN_API_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
