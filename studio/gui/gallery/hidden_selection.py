"""Selecting images that the gallery's filter hides: "Select in gallery" of the error
analysis, the duplicates, the models' evaluations.

The images the filter shows are selected at once; when some of the asked-for images are
hidden, a window-modal question offers to show them ("3 of the 14 images are hidden by the
gallery's filter" · Show them / Keep the filter). "Show them" clears the filter (the sort
order stays) and selects them all. Images no longer in the project are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.wording import counted
from studio.gui.gallery.pane import GalleryPane

SHOW_THEM = "Show them"
KEEP_FILTER = "Keep the filter"


def hidden_ids(pane: GalleryPane, item_ids: Iterable[int]) -> list[int]:
    """The items of the project among `item_ids` that the gallery's filter hides."""
    project = pane.project
    missing = [item_id for item_id in item_ids if pane.model.row_of(item_id) is None]
    if project is None or not missing:
        return []
    return [record.id for record in project.items_by_ids(missing)]


def hidden_text(hidden: int, asked: int) -> str:
    """ "3 of the 14 images are hidden by the gallery's filter." """
    verb = "is" if hidden == 1 else "are"
    if hidden == asked:
        which = "The image" if asked == 1 else f"The {counted(asked, 'image')}"
        return f"{which} {verb} hidden by the gallery's filter."
    return f"{hidden:,} of the {counted(asked, 'image')} {verb} hidden by the gallery's filter."


def select_in_gallery(
    pane: GalleryPane, item_ids: Iterable[int], parent: QWidget, report: Callable[[str], None]
) -> QMessageBox | None:
    """Select `item_ids` in the gallery and `report` what was done; when the filter hides
    some, return the open question that offers to show them (None when nothing is hidden)."""
    wanted = [int(item_id) for item_id in item_ids]
    report(pane.select(wanted))
    hidden = hidden_ids(pane, wanted)
    if not hidden:
        return None
    box = QMessageBox(
        QMessageBox.Icon.Question, "Select in gallery", hidden_text(len(hidden), len(wanted))
    )
    box.setObjectName("hiddenSelection")
    box.setParent(parent, box.windowFlags())
    box.setWindowModality(Qt.WindowModality.WindowModal)
    show = box.addButton(SHOW_THEM, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(KEEP_FILTER, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(show)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered() -> None:
        if box.clickedButton() is show:
            pane.filter_bar.clear_filters()
            report(pane.select(wanted))

    box.finished.connect(answered)
    box.open()
    return box
