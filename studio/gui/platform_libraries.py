"""Before the window opens on Linux: are the system libraries of Qt's X11 plugin there?

Qt loads its platform plugin (`xcb` on an X11 desktop) when the application is created. If a
library that plugin links is missing, Qt prints a long message about plugins and aborts the
process, which Python cannot catch. PySide6's wheels bring Qt but not these X11 libraries, and
a fresh Debian or Ubuntu desktop often lacks three of them (libxcb-cursor0, libxcb-icccm4,
libxcb-keysyms1). `check_platform_libraries` runs first: it asks the dynamic loader (`ldd`)
which libraries of the plugin it cannot find and raises one line naming the packages to
install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QLibraryInfo

from studio.core.errors import StudioError

XCB_PLUGIN_NAME = "libqxcb.so"
LDD_TIMEOUT_S = 10

# The libraries libqxcb.so (Qt 6) links, by soname, and the Debian/Ubuntu package of each.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}


class MissingLibrariesError(StudioError):
    """The window cannot open: its platform plugin needs libraries this system lacks."""


def xcb_plugin() -> Path:
    """Where the Qt in use keeps its X11 platform plugin."""
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    return plugins / "platforms" / XCB_PLUGIN_NAME


def platform_will_be_xcb(environ: Mapping[str, str]) -> bool:
    """True when Qt will load its xcb plugin: asked for by QT_QPA_PLATFORM, or on a Linux
    desktop that is not a Wayland session (offscreen, wayland, vnc… need no X11 library)."""
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        first = chosen.split(";")[0].split(":")[0].strip()
        return first == "xcb"
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY")
    return bool(environ.get("DISPLAY")) and not wayland


def libraries_not_found(ldd_output: str) -> list[str]:
    """The sonames `ldd` reports as "not found", in its order, each once."""
    missing: list[str] = []
    for line in ldd_output.splitlines():
        name, _, place = line.strip().partition(" => ")
        if place.strip() == "not found" and name not in missing:
            missing.append(name)
    return missing


def missing_libraries(plugin: Path) -> list[str]:
    """The sonames `plugin` links that the dynamic loader cannot find ([] when `ldd` itself
    is unavailable: then Qt's own message is all there is)."""
    try:
        result = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=LDD_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return libraries_not_found(result.stdout)


def check_platform_libraries() -> None:
    """Raise MissingLibrariesError (one line: the plugin, the libraries, the packages) when
    the window would load the xcb plugin and a library of it is missing."""
    if not sys.platform.startswith("linux") or not platform_will_be_xcb(os.environ):
        return
    plugin = xcb_plugin()
    if not plugin.is_file():
        return
    missing = missing_libraries(plugin)
    if not missing:
        return
    packages = list(dict.fromkeys(DEBIAN_PACKAGES.get(name, name) for name in missing))
    raise MissingLibrariesError(
        f"cannot open a window: Qt's X11 plugin {plugin} needs {', '.join(missing)}, "
        f"missing on this system; on Debian or Ubuntu install them with: "
        f"sudo apt install {' '.join(packages)}"
    )
