"""The window's look-ahead: a real `sam-encode` worker in a QProcess encodes the shown image
and the next one in the gallery's order into the user's embedding cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.gui.main_window import MainWindow
from tests.conftest import write_images
from tests.gui.sam.fixtures import TinySam
from tests.gui.workspace.conftest import open_first_image


def test_opening_an_image_encodes_it_and_the_next_one_in_a_worker(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tmp_path: Path, tiny_sam: TinySam
) -> None:
    tiny_sam.install_decoder()
    path = tmp_path / "ahead.studio"
    with Project.create(path, author="tester") as project:
        project.import_media(write_images(tmp_path / "images", 2))
        tiny_sam.choose_for(project)
    window = open_window(path)
    encoded: list[int] = []
    window.workspace.sam.embedding_ready.connect(encoded.append)
    open_first_image(qtbot, window)
    first, second = window.gallery_model.ids()

    qtbot.waitUntil(lambda: sorted(encoded) == sorted([first, second]), timeout=90_000)
    cache = EmbeddingCache()
    for record in window.project.items_by_ids([first, second]):
        assert cache.contains(EmbeddingKey(record.sha256, tiny_sam.sha256, tiny_sam.image_size))
