"""The map of the data: image embeddings laid out in two dimensions, cached by content.

A layout is computed from one embedding per image (`studio.jobs.image_embeddings_job` makes
them): PCA down to `PCA_DIMENSIONS` first (t-SNE's own advice: it removes noise and makes the
neighbour search cheap), then t-SNE from scikit-learn, or UMAP when `umap-learn` is importable
(faster on tens of thousands of images, and it keeps more of the global structure). The
coordinates are scaled into the unit square so a map reads the same whatever the method.

Layouts are cached in the user's cache folder (`cache_dir() / "data-maps"`), like thumbnails:
the key is the sha256 of the model's sha256, the method, the seed and the images' sha256 in
order, so the same images embedded by the same model give the same map instantly, in any
project, read-only ones too. A file that is not a valid layout is a miss.

NumPy and scikit-learn only: no torch, no Qt.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from studio.core.errors import StudioError
from studio.core.object_store import write_atomically
from studio.core.thumbnails import cache_dir

LAYOUT_FOLDER = "data-maps"
PCA_DIMENSIONS = 50
TSNE = "tsne"
UMAP = "umap"
AUTO = "auto"
METHODS = (AUTO, TSNE, UMAP)
DEFAULT_SEED = 0


class DataMapError(StudioError):
    """A layout cannot be made as asked (an unknown method, UMAP not installed, no images)."""


def umap_available() -> bool:
    """Whether `umap-learn` can be imported (it is optional)."""
    return importlib.util.find_spec("umap") is not None


def choose_method(requested: str = AUTO) -> str:
    """The layout method to use: `auto` is UMAP when it is installed, t-SNE otherwise; UMAP
    asked for by name and not installed is a DataMapError saying how to get it."""
    wanted = requested.strip().lower().replace("-", "")
    if wanted not in METHODS:
        raise DataMapError(f"unknown layout method {requested!r}; use one of {', '.join(METHODS)}")
    if wanted == AUTO:
        return UMAP if umap_available() else TSNE
    if wanted == UMAP and not umap_available():
        raise DataMapError("UMAP needs the umap-learn package (pip install umap-learn); use tsne")
    return wanted


def layout_key(model_sha256: str, image_sha256s: Sequence[str], method: str, seed: int) -> str:
    """What a layout depends on, as one sha256: the model, the method, the seed and the images
    in order (a layout's rows follow its images)."""
    digest = hashlib.sha256(f"{model_sha256}\n{method}\n{seed}\n".encode())
    for sha256 in image_sha256s:
        digest.update(sha256.encode("ascii"))
    return digest.hexdigest()


def _unit_square(points: np.ndarray) -> np.ndarray:
    """`points` shifted and scaled (one factor for both axes) into [0, 1]²."""
    low = points.min(axis=0)
    span = float((points.max(axis=0) - low).max())
    return (points - low) / span if span > 0 else np.zeros_like(points)


def compute_layout(embeddings: np.ndarray, method: str, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(N, 2) float32 coordinates in the unit square for N embeddings (one row each).

    `method` is `tsne` or `umap` (see `choose_method`). Fewer than four images are placed by
    PCA alone: t-SNE's perplexity needs more neighbours than that.
    """
    from sklearn.decomposition import PCA

    data = np.asarray(embeddings, dtype=np.float32).reshape(len(embeddings), -1)
    count = len(data)
    if count == 0:
        raise DataMapError("no embeddings to lay out")
    if not np.isfinite(data).all():
        raise DataMapError("the image features hold values that are not finite numbers")
    if count == 1 or not np.ptp(data, axis=0).any():
        # One image, or images the model cannot tell apart: one spot (t-SNE would divide
        # by their zero spread).
        return np.zeros((count, 2), dtype=np.float32)
    dimensions = min(PCA_DIMENSIONS, count, data.shape[1])
    reduced = PCA(n_components=dimensions, random_state=seed).fit_transform(data)
    if count < 4 or dimensions < 2:
        flat = np.zeros((count, 2), dtype=np.float32)
        flat[:, : min(2, dimensions)] = reduced[:, :2]
        return _unit_square(flat).astype(np.float32)
    if method not in (TSNE, UMAP):
        raise DataMapError(f"unknown layout method {method!r}; use {TSNE} or {UMAP}")
    from threadpoolctl import threadpool_limits

    # t-SNE's OpenMP threads spin while they wait: with every core busy (a training beside
    # it) they run many times slower than fewer threads do (85 s against 27 s for 2,000
    # images on a loaded 2-core machine), so half the cores are used.
    with threadpool_limits(limits=max(1, (os.cpu_count() or 2) // 2)):
        placed = _place(reduced, method, seed)
    return _unit_square(np.asarray(placed, dtype=np.float64)).astype(np.float32)


def _place(reduced: np.ndarray, method: str, seed: int) -> np.ndarray:
    count = len(reduced)
    if method == UMAP:
        import umap

        neighbours = min(15, count - 1)
        return umap.UMAP(n_neighbors=neighbours, random_state=seed).fit_transform(reduced)
    from sklearn import manifold

    perplexity = min(30.0, (count - 1) / 3)
    return manifold.TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=seed
    ).fit_transform(reduced)


class LayoutCache:
    """2-D layouts in the user's cache folder, one `.npy` file per `layout_key`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else cache_dir() / LAYOUT_FOLDER

    def path_of(self, key: str) -> Path:
        return self.folder / f"{key}.npy"

    def get(self, key: str, count: int) -> np.ndarray | None:
        """The cached (count, 2) layout of `key`; None when there is none or it is unusable."""
        try:
            points = np.load(self.path_of(key), allow_pickle=False)
        except (OSError, ValueError):
            return None
        if points.shape != (count, 2) or not np.isfinite(points).all():
            return None
        return points.astype(np.float32)

    def put(self, key: str, points: np.ndarray) -> None:
        """Store a layout (written whole, then renamed into place)."""
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(points, dtype=np.float32), allow_pickle=False)
        write_atomically(self.path_of(key), lambda out: out.write(buffer.getvalue()))
