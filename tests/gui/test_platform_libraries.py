"""The check before the window opens: Qt's X11 plugin and the system libraries it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from studio.gui import app, platform_libraries
from studio.gui.platform_libraries import check_platform_libraries, libraries_not_found
from tests.cli_helpers import run_cli

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd6a5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f3c2a000000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f3c29ff0000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A faked loader lookup: the plugin misses two libraries; the list of plugins asked about."""
    asked: list[Path] = []

    def missing(plugin: Path) -> list[str]:
        asked.append(plugin)
        return ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]

    monkeypatch.setattr(platform_libraries, "missing_libraries", missing)
    monkeypatch.setenv("DISPLAY", ":0")
    for name in ("QT_QPA_PLATFORM", "XDG_SESSION_TYPE", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    return asked


def test_missing_x11_libraries_are_one_line_naming_the_packages(
    tmp_path: Path, lookups: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.studio"
    Project.create(path).close()

    def application() -> None:
        raise AssertionError("the application was created before the check")

    monkeypatch.setattr(app, "application", application)

    result = run_cli("open", path)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in line
    assert line.endswith("sudo apt install libxcb-icccm4 libxcb-keysyms1")
    assert lookups == [platform_libraries.xcb_plugin()]


@pytest.mark.parametrize(
    "environment",
    [
        {"QT_QPA_PLATFORM": "offscreen"},
        {"QT_QPA_PLATFORM": "wayland"},
        {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
    ],
)
def test_no_check_where_qt_will_not_load_its_x11_plugin(
    monkeypatch: pytest.MonkeyPatch, lookups: list[Path], environment: dict[str, str]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    check_platform_libraries()

    assert lookups == []


def test_xcb_asked_for_by_name_is_checked(
    monkeypatch: pytest.MonkeyPatch, lookups: list[Path]
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb:nograb")

    with pytest.raises(platform_libraries.MissingLibrariesError, match="libxcb-keysyms1"):
        check_platform_libraries()


def test_the_libraries_ldd_cannot_find_are_read_from_its_output() -> None:
    assert libraries_not_found(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
