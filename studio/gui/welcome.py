"""The welcome page: what the window's central area shows while no project is open.

New project, Open…, Open the demo (made in the user's data folder the first time, with its
progress shown here and in the status bar), and the recent projects, each opened by one
click (a missing file is greyed). The page only asks; `ProjectActions` does the work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PAGE_WIDTH = 560  # px: the page's column, centred in the window
RECENT_HEIGHT = 260  # px at most (ten projects' lines); less for fewer
PATH_ROLE = Qt.ItemDataRole.UserRole


class WelcomePage(QWidget):
    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    recent_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        title = QLabel("Welcome to Studio")
        title.setObjectName("welcomeTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel(
            "Label images, train a model on them and export it, all on this computer. "
            "Start a project from a folder of images, open one, or look around the demo."
        )
        intro.setWordWrap(True)
        self.new_button = QPushButton("New project…")
        self.open_button = QPushButton("Open…")
        self.demo_button = QPushButton("Open the demo")
        self.demo_button.setToolTip(
            "Photographs with boxes and polygons drawn by hand, and synthetic scenes with "
            "masks: made in your data folder the first time"
        )
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.open_button, self.demo_button):
            button.setMinimumHeight(button.sizeHint().height() + 8)
            buttons.addWidget(button)
        self.demo_progress = QProgressBar()
        self.demo_progress.setVisible(False)
        self.recent_title = QLabel("Recent projects")
        self.recent_title.setObjectName("recentTitle")
        self.recent_list = QListWidget()
        self.recent_list.setObjectName("recentList")
        self.recent_list.setFrameShape(QFrame.Shape.NoFrame)
        self.recent_list.itemClicked.connect(self._item_clicked)
        self.recent_list.itemActivated.connect(self._item_clicked)  # Enter on an entry
        column = QWidget()
        column.setMaximumWidth(PAGE_WIDTH)
        layout = QVBoxLayout(column)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(16)
        layout.addLayout(buttons)
        layout.addWidget(self.demo_progress)
        layout.addSpacing(16)
        layout.addWidget(self.recent_title)
        layout.addWidget(self.recent_list)
        layout.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(column, 3)
        outer.addStretch(1)

    def set_recent(self, paths: list[Path]) -> None:
        """List these projects, newest first; a missing file is greyed and not clickable."""
        self.recent_list.clear()
        for path in paths:
            missing = not path.is_file()
            text = f"{path.name}  —  {path.parent}" + ("  (missing)" if missing else "")
            entry = QListWidgetItem(text)
            entry.setData(PATH_ROLE, str(path))
            entry.setToolTip(f"{path} is missing" if missing else f"Open {path}")
            if missing:
                entry.setFlags(entry.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent_list.addItem(entry)
        self.recent_title.setVisible(bool(paths))
        self.recent_list.setVisible(bool(paths))
        rows = sum(self.recent_list.sizeHintForRow(row) for row in range(len(paths)))
        frame = 2 * self.recent_list.frameWidth()
        self.recent_list.setFixedHeight(min(RECENT_HEIGHT, rows + frame + 2))

    def show_demo_progress(self, done: int, total: int) -> None:
        self.demo_progress.setVisible(True)
        self.demo_progress.setRange(0, total)
        self.demo_progress.setValue(done)
        self.demo_progress.setFormat(f"Creating the demo: {done:,} / {total:,}")

    def set_demo_running(self, running: bool) -> None:
        self.demo_button.setEnabled(not running)
        self.demo_button.setText("Creating the demo…" if running else "Open the demo")
        if running:
            self.demo_progress.setRange(0, 0)
        self.demo_progress.setVisible(running)

    def _item_clicked(self, entry: QListWidgetItem) -> None:
        if entry.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.recent_chosen.emit(Path(entry.data(PATH_ROLE)))
