"""Where SAM checkpoints come from, what each costs, and a button to choose one's file.

Studio downloads nothing: the person fetches an official checkpoint (or has a fine-tuned one)
and points the project at the file; the API reads its architecture and records its sha256.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.api import StudioError

CHECKPOINTS_URL = "https://github.com/facebookresearch/segment-anything#model-checkpoints"
CHECKPOINT_HELP = f"""<p>The SAM tool needs a Segment Anything checkpoint. Studio downloads
nothing: get one of Meta's official checkpoints from
<a href="{CHECKPOINTS_URL}">{CHECKPOINTS_URL}</a>, or use your own fine-tuned one.</p>
<table cellspacing="6">
<tr><th align="left">Model</th><th align="left">File</th><th align="left">Size</th>
<th align="left">Cost per image</th></tr>
<tr><td>ViT-B</td><td>sam_vit_b_01ec64.pth</td><td>375 MB</td>
<td>seconds on a CPU; the one for a laptop</td></tr>
<tr><td>ViT-L</td><td>sam_vit_l_0b3195.pth</td><td>1.25 GB</td>
<td>about 3× ViT-B</td></tr>
<tr><td>ViT-H</td><td>sam_vit_h_4b8939.pth</td><td>2.56 GB</td>
<td>tens of seconds on a CPU; best masks, wants a GPU</td></tr>
</table>
<p>Images are encoded once in the background and cached; a click then answers in
milliseconds. Without a checkpoint, the magic wand (W) still turns clicks into regions.</p>"""


class SamCheckpointDialog(QDialog):
    def __init__(self, choose: Callable[[Path], None], parent: QWidget | None = None) -> None:
        """`choose` records the chosen file (it raises StudioError for a bad one)."""
        super().__init__(parent)
        self.setWindowTitle("SAM checkpoint")
        self._choose = choose
        layout = QVBoxLayout(self)
        self.text = QLabel(CHECKPOINT_HELP)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setOpenExternalLinks(True)
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        layout.addWidget(self.error)
        self.choose_button = QPushButton("Choose a checkpoint file…")
        self.choose_button.clicked.connect(self._ask_for_file)
        layout.addWidget(self.choose_button)

    def _ask_for_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "SAM checkpoint", "", "PyTorch checkpoints (*.pth *.pt);;All files (*)"
        )
        if name:
            self.use_file(Path(name))

    def use_file(self, path: Path) -> bool:
        """Record `path` as the checkpoint; a refused file's message shows in the dialog."""
        try:
            self._choose(path)
        except StudioError as error:
            self.error.setText(str(error))
            self.error.setVisible(True)
            return False
        self.accept()
        return True
