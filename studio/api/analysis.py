"""The analysis service: read-only views of a stored evaluation, each in one read.

cells = project.confusion_cells(evaluation.id)
cells["items"]["0,1"]          # ids of the items of class 0 taken for class 1
curves = project.precision_recall_curves(evaluation.id)
errors = project.detection_errors(evaluation.id, score_threshold=0.3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api.context import ProjectContext
from studio.core import error_analysis
from studio.core.media import resolve
from studio.core.versions import VersionItem


class AnalysisService:
    """Confusion cells, precision-recall curves and detection errors; `Project` delegates."""

    def __init__(self, context: ProjectContext) -> None:
        self._context = context

    def confusion_cells(
        self,
        evaluation_id: int,
        score_threshold: float = error_analysis.DEFAULT_SCORE_THRESHOLD,
        iou_threshold: float = error_analysis.DEFAULT_IOU_THRESHOLD,
    ) -> dict[str, Any]:
        """The confusion matrix with the item ids behind each cell ("i,j" keys: true row i,
        predicted column j); detection adds a "background" class."""
        with self._context.database.read() as connection:
            return error_analysis.confusion_cells(
                connection, evaluation_id, score_threshold, iou_threshold
            )

    def precision_recall_curves(self, evaluation_id: int) -> dict[str, dict[str, Any]]:
        """Class name -> {"precision", "recall", "scores", "ap", "positives"}."""
        with self._context.database.read() as connection:
            return error_analysis.precision_recall_curves(connection, evaluation_id)

    def detection_errors(
        self,
        evaluation_id: int,
        score_threshold: float = error_analysis.DEFAULT_SCORE_THRESHOLD,
        iou_threshold: float = error_analysis.DEFAULT_IOU_THRESHOLD,
        poor_iou: float = error_analysis.DEFAULT_POOR_IOU,
    ) -> list[dict[str, Any]]:
        """False positives, false negatives, poor localisations and wrong classes of a
        detection or segmentation evaluation (RunError for other tasks)."""
        with self._context.database.read() as connection:
            return error_analysis.detection_errors(
                connection, evaluation_id, score_threshold, iou_threshold, poor_iou
            )

    def evaluation_items(self, evaluation_id: int) -> list[VersionItem]:
        """The dataset-version items of the split the evaluation ran on."""
        with self._context.database.read() as connection:
            return error_analysis.evaluation_items(connection, evaluation_id)

    def version_item_path(self, item: VersionItem) -> Path:
        """The absolute path of a version item's image file."""
        return resolve(self._context.root, item.path)
