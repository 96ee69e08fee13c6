"""Which items the queue holds, and its order from hand-made model outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.api import Project
from studio.core.active_queue import QueueOptions, order_queue, unlabeled_items
from studio.core.errors import StudioError
from studio.core.queue_cache import ModelOutputs, QueueScoreCache
from studio.core.uncertainty import Strategy

NO_BOXES = np.zeros(0, dtype=np.float32)


def _outputs(probabilities: list[float], features: list[float] | None = None) -> ModelOutputs:
    return ModelOutputs(
        np.array(probabilities), NO_BOXES, np.array(features or [], dtype=np.float32)
    )


def _ids(project: Project) -> list[int]:
    with project.context.database.read() as connection:
        return [item.item_id for item in unlabeled_items(connection)]


def test_labeled_done_and_suggested_items_are_told_apart(
    project: Project, image_folder: Path
) -> None:
    project.add_classes(["cat", "dog"])
    project.import_media([image_folder])
    first, second, third, fourth, fifth, _sixth = (item.id for item in project.items())
    project.annotate(first, "cat", box=[1, 1, 10, 10])
    project.set_status([second], "done")
    pending = project.suggest_annotations(
        [{"item_id": third, "label": "dog", "box": [2, 2, 8, 8], "source": "model"}]
    )
    accepted = project.suggest_annotations(
        [{"item_id": fourth, "label": "dog", "box": [2, 2, 8, 8], "source": "model"}]
    )
    project.accept_suggestions(accepted)
    project.set_status([fifth], "in_progress")
    assert pending
    assert _ids(project) == [third, fifth, _sixth]


def test_the_item_of_known_ambiguity_ranks_first(project: Project, image_folder: Path) -> None:
    project.import_media([image_folder])
    with project.context.database.read() as connection:
        candidates = unlabeled_items(connection)
    sure, leaning, torn = candidates[0], candidates[1], candidates[2]
    outputs = {
        sure.sha256: _outputs([0.97, 0.02, 0.01]),
        leaning.sha256: _outputs([0.7, 0.2, 0.1]),
        torn.sha256: _outputs([0.49, 0.48, 0.03]),
    }
    entries = order_queue(candidates, outputs, "classification", QueueOptions(diversity=False))
    assert [entry.item_id for entry in entries] == [torn.item_id, leaning.item_id, sure.item_id]
    limited = order_queue(candidates, outputs, "classification", QueueOptions(limit=1))
    assert [entry.item_id for entry in limited] == [torn.item_id]


def test_diversity_moves_a_near_copy_of_the_first_item_down(
    project: Project, image_folder: Path
) -> None:
    project.import_media([image_folder])
    with project.context.database.read() as connection:
        a, b, c = unlabeled_items(connection)[:3]
    outputs = {
        a.sha256: _outputs([0.5, 0.5], [1.0, 0.0]),
        b.sha256: _outputs([0.52, 0.48], [0.99, 0.01]),  # nearly as torn, nearly the same image
        c.sha256: _outputs([0.6, 0.4], [0.0, 1.0]),
    }
    plain = order_queue([a, b, c], outputs, "classification", QueueOptions(diversity=False))
    spread = order_queue([a, b, c], outputs, "classification", QueueOptions(diversity=True))
    assert [e.item_id for e in plain] == [a.item_id, b.item_id, c.item_id]
    assert [e.item_id for e in spread] == [a.item_id, c.item_id, b.item_id]


def test_entropy_orders_detection_images_by_their_least_confident_boxes(
    project: Project, image_folder: Path
) -> None:
    project.import_media([image_folder])
    with project.context.database.read() as connection:
        clear, torn = unlabeled_items(connection)[:2]
    outputs = {
        clear.sha256: ModelOutputs(NO_BOXES, np.array([0.99, 0.98]), NO_BOXES),
        torn.sha256: ModelOutputs(NO_BOXES, np.array([0.99, 0.5]), NO_BOXES),
    }
    options = QueueOptions(strategy=Strategy.ENTROPY)
    entries = order_queue([clear, torn], outputs, "detection", options)
    assert [entry.item_id for entry in entries] == [torn.item_id, clear.item_id]


def test_a_damaged_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = QueueScoreCache("c" * 64, root=tmp_path)
    cache.put("a" * 64, _outputs([0.5, 0.5], [1.0]))
    assert cache.get("a" * 64) is not None
    cache.path_of("a" * 64).write_bytes(b"not an npz")
    assert cache.get("a" * 64) is None
    assert cache.missing(["a" * 64, "b" * 64]) == ["b" * 64]


def test_a_strategy_may_be_named_and_an_unknown_one_is_refused() -> None:
    assert QueueOptions(strategy="entropy").strategy is Strategy.ENTROPY
    with pytest.raises(StudioError, match="unknown queue strategy 'least'; use margin, entropy"):
        QueueOptions(strategy="least")
    with pytest.raises(StudioError, match="at least 1"):
        QueueOptions(limit=0)
