"""The window on a read-only project: a visible notice, and edits refused with a message.

The window runs in a child process without root's override of file permissions (see
`tests.unprivileged`); it opens a read-only file, then a project in a read-only folder, and
reports what it showed as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.unprivileged import read_only_copies, run_python, snapshot

SHOW_AND_TRY_EDITS = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox
from studio.gui.main_window import MainWindow

app = QApplication([])
window = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.show()
seen = []
for path in sys.argv[2:]:
    window.open_project_file(Path(path))
    app.processEvents()
    case = {
        "title": window.windowTitle(),
        "notice": window.read_only_label.isVisible() and window.read_only_label.text(),
        "items": window.gallery_model.rowCount(),
    }
    window.workspace.controller.add_class("bird")
    case["status"] = window.statusBar().currentMessage()
    window.menu_actions["undo"].trigger()
    boxes = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    case["undo_box"] = [box.text() for box in boxes]
    for box in boxes:
        box.close()
    app.processEvents()
    seen.append(case)
window.close()
print(json.dumps(seen))
"""


def test_the_window_shows_a_read_only_project_and_refuses_edits(
    gallery_project: Path, tmp_path: Path
) -> None:
    with read_only_copies(gallery_project, tmp_path) as (read_only_file, in_folder):
        folders = (read_only_file.parent, in_folder.parent)
        before = [snapshot(folder) for folder in folders]
        settings = tmp_path / "gui" / "settings.ini"
        result = run_python("-c", SHOW_AND_TRY_EDITS, settings, read_only_file, in_folder)
        after = [snapshot(folder) for folder in folders]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    seen = json.loads(result.stdout)
    reasons = ["the file is read-only", f"cannot write {in_folder.parent}"]
    for case, path, reason in zip(seen, (read_only_file, in_folder), reasons, strict=True):
        assert case["title"] == "gallery.studio (read-only) — Studio"
        assert case["notice"] == "Read-only"
        assert case["items"] == 30
        refusal = f"{path}: the project is open read-only ({reason})"
        assert case["status"].startswith(refusal)
        [undo_message] = case["undo_box"]
        assert undo_message.startswith(refusal)
    assert after == before
