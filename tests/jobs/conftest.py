"""Fixtures of the jobs tests: no test reads or writes the user's plugin choices."""

from tests.plugin_fixtures import isolated_plugin_config, studio_plugins  # noqa: F401
