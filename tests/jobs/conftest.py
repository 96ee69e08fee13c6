"""Fixtures of the jobs tests: no test reads or writes the user's plugin choices."""

from tests.plugin_fixtures import (  # noqa: F401
    isolated_plugin_config,
    parent_plugins,
    studio_plugins,
)
