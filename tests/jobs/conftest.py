"""Fixtures of the jobs tests: no test reads or writes the user's plugin choices, and each runs
with Studio's own plugins only (whatever is installed), as do the workers it starts."""

from __future__ import annotations

import pytest

from studio.plugins.manager import StudioPlugins
from tests import plugin_fixtures

isolated_plugin_config = plugin_fixtures.isolated_plugin_config  # autouse
studio_plugins = plugin_fixtures.studio_plugins
parent_plugins = plugin_fixtures.parent_plugins


@pytest.fixture(autouse=True)
def _studios_own_plugins(studio_plugins: StudioPlugins) -> StudioPlugins:
    return studio_plugins
