"""The `embed-images` job: a tiny digits classifier's penultimate features of every image, in
the user's embedding cache, computed once."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from studio.api import Project
from studio.core.data_map import TSNE, compute_layout
from studio.core.embedding_cache import EmbeddingCache
from studio.jobs.image_embeddings_job import (
    EmbeddingModelError,
    EmbeddingOptions,
    embed_images,
    embed_project,
    load_extractor,
)
from studio.jobs.sam_encode_job import images_of
from tests.jobs.projects import digits_project

IMAGES = 150  # in the `trained_digits` project


@pytest.fixture
def trained(trained_digits: Path) -> Path:
    return trained_digits


def embed(project_path: Path, **options: object) -> tuple[list[dict], object]:
    events: list[dict] = []
    summary = embed_project(
        project_path, EmbeddingOptions(device="cpu", **options), emit=events.append
    )
    return events, summary


def test_embeddings_are_computed_once_then_read_from_the_cache(trained: Path) -> None:
    events, first = embed(trained)
    _, second = embed(trained)

    assert (first.embedded, first.cached, first.skipped) == (IMAGES, 0, 0)
    assert (second.embedded, second.cached) == (0, IMAGES)
    model = next(event for event in events if event["event"] == "model")
    assert model["kind"] == "run"
    assert model["input_size"] == 32
    assert events[-1] == {"event": "progress", "done": IMAGES, "total": IMAGES, "cached": 0}


def test_the_features_are_the_penultimate_layer_of_the_run(trained: Path) -> None:
    model, extractor = load_extractor(trained, "", "cpu")
    images = images_of(trained)[:3]
    embed_images(images, model, extractor, EmbeddingCache(), emit=lambda _event: None)

    cached = EmbeddingCache().get(model.key_of(images[0].sha256))
    assert cached is not None
    assert cached.array.shape == (512,)  # resnet18's pooled features, before its fc
    assert cached.array.dtype == np.float16
    assert cached.meta.original_size == (32, 32)


def test_the_layout_separates_zeros_from_ones_far_better_than_chance(trained: Path) -> None:
    """Leave-one-out nearest-neighbour accuracy on the 2-D map: chance is about 0.5."""
    model, extractor = load_extractor(trained, "", "cpu")
    with Project.open(trained) as project:
        digit = {
            annotation.item_id: annotation.label
            for item in project.items()
            for annotation in project.annotations(item.id)
        }
    images = [image for image in images_of(trained) if digit[image.item_id] in ("0", "1")]
    embed_images(images, model, extractor, EmbeddingCache(), emit=lambda _event: None)
    store = EmbeddingCache()
    features = np.stack([store.get(model.key_of(image.sha256)).array for image in images])
    truth = np.array([digit[image.item_id] for image in images])

    placed = compute_layout(features, TSNE)

    distances = np.linalg.norm(placed[:, None] - placed[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    nearest = truth[distances.argmin(axis=1)]
    assert len(images) >= 30
    assert set(truth) == {"0", "1"}
    assert (nearest == truth).mean() >= 0.9


def test_cancel_stops_before_the_next_batch_and_stores_nothing(trained: Path) -> None:
    model, extractor = load_extractor(trained, "", "cpu")
    cancel = threading.Event()
    cancel.set()
    images = images_of(trained)

    summary = embed_images(
        images, model, extractor, EmbeddingCache(), cancel=cancel, emit=lambda _e: None
    )

    assert summary.cancelled
    assert summary.embedded == 0
    assert not any(EmbeddingCache().contains(model.key_of(image.sha256)) for image in images)


def test_without_a_model_or_cached_weights_it_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-cache"))
    project_path = digits_project(tmp_path, count=4)

    with pytest.raises(EmbeddingModelError, match="no trained model") as raised:
        embed(project_path)

    assert "\n" not in str(raised.value)
    assert "digits.studio" in str(raised.value)


def test_a_model_that_is_not_there_is_named_in_the_error(trained: Path) -> None:
    with pytest.raises(Exception, match="'nosuch' is neither a run"):
        embed(trained, model="nosuch")
