"""Finding Studio's resources folder (style sheets, icons) and loading icons from it.

The folder is `resources/` at the root of a source checkout (and an editable install), or
`<prefix>/share/studio/resources/` in an installed copy (pyproject's data-files put it there).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_CANDIDATES = (
    _PACKAGE_DIR.parent / "resources",
    Path(sys.prefix) / "share" / "studio" / "resources",
)
_MARKER = Path("themes") / "style.qss"


@cache
def resources_dir() -> Path:
    """The first candidate folder that holds Studio's resources."""
    for candidate in _CANDIDATES:
        if (candidate / _MARKER).is_file():
            return candidate
    searched = ", ".join(str(candidate) for candidate in _CANDIDATES)
    raise FileNotFoundError(f"Studio's resources folder is missing (looked in {searched})")


def resource_path(relative: str) -> Path:
    path = resources_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f"missing resource {path}")
    return path


def icon(name: str) -> QIcon:
    """The icon `resources/icons/<name>.svg`, or the SVG/PNG file `name` (a plugin's)."""
    if name.endswith((".svg", ".png")):
        return QIcon(name)
    return QIcon(str(resource_path(f"icons/{name}.svg")))


def centered_icon_pixmap(
    name: str, box: QSize, fraction: float = 0.45, pixel_ratio: float = 1.0
) -> QPixmap:
    """A transparent `box`-sized pixmap with the SVG icon drawn in its middle.

    Placeholders keep the size of real thumbnails so the gallery's labels stay aligned.
    """
    pixmap = QPixmap(box * pixel_ratio)
    pixmap.setDevicePixelRatio(pixel_ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    side = min(box.width(), box.height()) * fraction
    target = QRectF((box.width() - side) / 2, (box.height() - side) / 2, side, side)
    renderer = QSvgRenderer(str(resource_path(f"icons/{name}.svg")))
    painter = QPainter(pixmap)
    renderer.render(painter, target)
    painter.end()
    return pixmap
