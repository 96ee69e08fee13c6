"""The recent projects list and File ▸ Open recent."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from studio.gui.recent_projects import MOST_RECENT, RecentMenu, RecentProjects


def test_the_recent_list_keeps_the_ten_newest_once_each(
    settings: QSettings, tmp_path: Path
) -> None:
    recent = RecentProjects(settings)
    for number in range(MOST_RECENT + 2):
        recent.add(tmp_path / f"p{number}.studio")
    recent.add(tmp_path / "p5.studio")

    paths = recent.paths()
    assert len(paths) == MOST_RECENT
    assert paths[:2] == [tmp_path / "p5.studio", tmp_path / f"p{MOST_RECENT + 1}.studio"]
    assert len(set(paths)) == MOST_RECENT


def test_a_missing_project_is_greyed_and_removed_on_request(
    settings: QSettings, tmp_path: Path
) -> None:
    kept = tmp_path / "kept.studio"
    kept.write_bytes(b"")
    recent = RecentProjects(settings)
    recent.add(kept)
    recent.add(tmp_path / "gone.studio")
    menu = RecentMenu(recent)
    messages: list[str] = []
    menu.message.connect(messages.append)

    assert [entry.isEnabled() for entry in menu.entries()] == [False, True]
    assert "(missing)" in menu.entries()[0].text()
    next(a for a in menu.actions() if a.text() == "Remove the missing projects").trigger()

    assert recent.paths() == [kept]
    assert messages == ["Removed 1 missing project from the recent list"]
    menu.deleteLater()
