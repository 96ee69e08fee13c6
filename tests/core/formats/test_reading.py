"""`collector_paused`: no collection while a label file is read, then the state it found."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from studio.core.formats.reading import collector_paused


@pytest.fixture
def restore_collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    (gc.enable if was_enabled else gc.disable)()


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_off_inside_and_as_found_after(
    restore_collector: None, enabled_before: bool
) -> None:
    (gc.enable if enabled_before else gc.disable)()

    with collector_paused():
        assert not gc.isenabled()

    # a GUI's worker must not turn on the collector that the GUI thread keeps off (ADR 0016)
    assert gc.isenabled() is enabled_before


def test_an_error_inside_still_restores_the_collector(restore_collector: None) -> None:
    gc.enable()
    with pytest.raises(ValueError, match="bad label file"), collector_paused():
        raise ValueError("a bad label file")
    assert gc.isenabled()
