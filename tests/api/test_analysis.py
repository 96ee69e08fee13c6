"""The analysis service: the flat methods delegate to it."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_error_analysis import build_classification


def test_the_analysis_service_and_the_flat_methods_agree(tmp_path: Path) -> None:
    built = build_classification(tmp_path)
    with built.project as project:
        evaluation = built.evaluation_id
        cells = project.analysis.confusion_cells(evaluation)
        assert cells == project.confusion_cells(evaluation)
        assert cells["items"]["0,1"] == [built.ids[1]]
        items = project.analysis.evaluation_items(evaluation)
        assert items == project.evaluation_items(evaluation) == built.items
        assert project.analysis.version_item_path(items[0]) == project.media_path(built.ids[0])
