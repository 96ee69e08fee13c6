"""The layout of the map of the data: the method chosen, the unit square, the layout cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.core import data_map
from studio.core.data_map import (
    TSNE,
    UMAP,
    DataMapError,
    LayoutCache,
    choose_method,
    compute_layout,
    layout_key,
)

SHA = "ab" * 32


def test_auto_is_tsne_when_umap_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_map, "umap_available", lambda: False)

    assert choose_method("auto") == TSNE
    assert choose_method("t-SNE") == TSNE


def test_auto_is_umap_when_umap_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_map, "umap_available", lambda: True)

    assert choose_method("auto") == UMAP
    assert choose_method("tsne") == TSNE


def test_umap_asked_for_without_umap_learn_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(data_map, "umap_available", lambda: False)

    with pytest.raises(DataMapError, match="pip install umap-learn"):
        choose_method("umap")


def test_an_unknown_method_is_refused_naming_the_choices() -> None:
    with pytest.raises(DataMapError, match=r"'pca'.*auto, tsne, umap"):
        choose_method("pca")


def test_a_tsne_layout_fills_the_unit_square_and_keeps_clusters_apart() -> None:
    generator = np.random.default_rng(0)
    near = generator.normal(0.0, 0.1, size=(20, 64))
    far = generator.normal(5.0, 0.1, size=(20, 64))

    placed = compute_layout(np.vstack([near, far]), TSNE)

    assert placed.shape == (40, 2)
    assert placed.min() == pytest.approx(0.0)
    assert placed.max() == pytest.approx(1.0)
    gap = np.linalg.norm(placed[:20].mean(axis=0) - placed[20:].mean(axis=0))
    spread = max(placed[:20].std(axis=0).max(), placed[20:].std(axis=0).max())
    assert gap > 4 * spread


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_few_images_are_placed_without_tsne(count: int) -> None:
    placed = compute_layout(np.arange(count * 8, dtype=float).reshape(count, 8), TSNE)

    assert placed.shape == (count, 2)
    assert np.isfinite(placed).all()


def test_images_the_model_cannot_tell_apart_share_one_spot() -> None:
    placed = compute_layout(np.ones((12, 16)), TSNE)

    assert np.array_equal(placed, np.zeros((12, 2)))


def test_features_that_are_not_finite_are_refused() -> None:
    features = np.ones((12, 16))
    features[3, 4] = np.nan

    with pytest.raises(DataMapError, match="not finite"):
        compute_layout(features, TSNE)


def test_the_layout_key_changes_with_the_images_their_order_the_method_and_the_seed() -> None:
    images = ["01" * 32, "02" * 32]
    key = layout_key(SHA, images, TSNE, 0)

    assert key == layout_key(SHA, list(images), TSNE, 0)
    assert key != layout_key(SHA, images[::-1], TSNE, 0)
    assert key != layout_key(SHA, images, UMAP, 0)
    assert key != layout_key(SHA, images, TSNE, 1)
    assert key != layout_key("cd" * 32, images, TSNE, 0)


def test_a_stored_layout_is_read_back(tmp_path: Path) -> None:
    cache = LayoutCache(tmp_path)
    points = np.array([[0.0, 1.0], [0.5, 0.25]], dtype=np.float32)

    cache.put("k" * 64, points)

    assert np.array_equal(cache.get("k" * 64, 2), points)


def test_a_missing_damaged_or_mis_sized_layout_is_a_miss(tmp_path: Path) -> None:
    cache = LayoutCache(tmp_path)
    cache.put("sized", np.zeros((3, 2)))
    cache.path_of("damaged").write_bytes(b"not numpy")

    assert cache.get("absent", 3) is None
    assert cache.get("damaged", 3) is None
    assert cache.get("sized", 4) is None


def test_layouts_live_in_the_users_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path))

    assert LayoutCache().folder == tmp_path / "data-maps"
