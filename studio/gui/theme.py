"""The light and dark themes: a Fusion palette plus `resources/themes/style.qss`.

Each theme is a list of named colours (`resources/themes/<name>.ini`). The same colours fill
the Qt palette, which dialogs and standard widgets use, and the `${name}` tokens of the style
sheet, which gives the main window its look.
"""

from __future__ import annotations

import configparser
from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from studio.gui.resources import resource_path

THEMES = ("light", "dark")
DEFAULT_THEME = "light"
ThemeColors = dict[str, str]


def theme_colors(name: str) -> ThemeColors:
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; expected one of: {', '.join(THEMES)}")
    parser = configparser.ConfigParser()
    parser.read(resource_path(f"themes/{name}.ini"), encoding="utf-8")
    return dict(parser["colors"])


def style_sheet(colors: ThemeColors) -> str:
    """The style sheet with the theme's colours filled in (a missing colour is an error)."""
    template = Template(resource_path("themes/style.qss").read_text(encoding="utf-8"))
    return template.substitute(colors)


def palette(colors: ThemeColors) -> QPalette:
    def color(key: str) -> QColor:
        return QColor(colors[key])

    result = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "base",
        QPalette.ColorRole.AlternateBase: "alternate",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.Button: "panel",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.ToolTipBase: "tooltip",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.PlaceholderText: "muted",
        QPalette.ColorRole.Highlight: "accent",
        QPalette.ColorRole.HighlightedText: "accent_text",
        QPalette.ColorRole.Link: "accent",
    }
    for role, key in roles.items():
        result.setColor(role, color(key))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText):
        result.setColor(QPalette.ColorGroup.Disabled, role, color("muted"))
    result.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, color("muted"))
    return result


def system_theme() -> str:
    """ "dark" when the desktop asks for a dark colour scheme, else the default."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else DEFAULT_THEME


def apply_theme(app: QApplication, name: str) -> None:
    """Switch the whole application to the theme `name` ("light" or "dark")."""
    colors = theme_colors(name)
    app.setStyle("Fusion")
    app.setPalette(palette(colors))
    app.setStyleSheet(style_sheet(colors))
    app.setProperty("studio_theme", name)


def current_theme(app: QApplication) -> str | None:
    value = app.property("studio_theme")
    return value if value in THEMES else None
