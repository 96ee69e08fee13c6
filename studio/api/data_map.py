"""The map of the data: every image placed in 2-D by what a model sees in it.

    found = project.data_map()                          # the latest run, else a cached backbone
    found = project.data_map(options=MapOptions(model="digits:production", method="tsne"))
    for point in found.points:
        point.item_id, point.x, point.y, point.label, point.split
    colours = project.map_colours("split", [point.item_id for point in found.points])

The image features are computed in an `embed-images` worker (`studio.jobs`), so this process
never imports torch (the window uses this service too), and cached in the user's embedding
cache; the layout (`studio.core.data_map`) is computed here and cached as well, so a map
asked for again is read back at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from studio.api.context import ProjectContext
from studio.core import data_map, queries
from studio.core.data_map import DataMapError, LayoutCache
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.core.errors import OperationCancelledError
from studio.core.map_colours import ColouringSpec, ColourValue, item_classes
from studio.core.queries import ItemQuery
from studio.jobs.image_embeddings_job import (
    DEFAULT_BATCH_SIZE,
    EmbeddingOptions,
    embed_images_command,
    find_run_checkpoint,
)
from studio.jobs.launcher import WorkerJob

EventCallback = Callable[[dict[str, Any]], None]
EXIT_CANCELLED = 3


@dataclass(frozen=True)
class MapOptions:
    """How to make the map: the model (`""`: the latest finished run, else an ImageNet
    backbone whose weights are cached), the layout method (auto, tsne, umap) and its seed,
    the device and batch size of the embedding worker."""

    model: str = ""
    method: str = data_map.AUTO
    seed: int = data_map.DEFAULT_SEED
    device: str = "auto"
    batch_size: int = DEFAULT_BATCH_SIZE


@dataclass(frozen=True)
class MapPoint:
    """One image on the map: x and y in [0, 1]; `label` is its class (see
    `studio.core.map_colours.item_classes`)."""

    item_id: int
    x: float
    y: float
    path: str
    sha256: str
    label: str
    split: str | None
    status: str


@dataclass(frozen=True)
class DataMap:
    """A map: its points, the model whose features placed them, the layout method, and how
    many images could not be read (left off the map)."""

    points: tuple[MapPoint, ...]
    model: str
    model_sha256: str
    method: str
    skipped: int = 0

    def rows(self) -> list[dict[str, Any]]:
        """One mapping per point (item_id, x, y, path, sha256, label, split, status), for CSV or
        JSON."""
        return [asdict(point) for point in self.points]


class DataMapService:
    """Embeddings, their layout and the colourings of the map; `Project` delegates to it."""

    def __init__(self, context: ProjectContext) -> None:
        self._context = context

    def data_map(
        self,
        item_ids: Sequence[int] = (),
        options: MapOptions = MapOptions(),
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> DataMap:
        """The map of the items (all of the project's without ids).

        Features are computed in a worker for the images not yet cached; `on_event` gets its
        events ("model", "progress", "skipped") and then {"event": "layout", "method",
        "points", "cached"}. When the model is a run of the project whose features of every
        image are cached already, no worker starts (nor torch): the map is read back at once.
        Setting `cancel` (from another thread) stops the worker between batches and raises
        OperationCancelledError; so does an exception in `on_event`.
        """
        method = data_map.choose_method(options.method)
        ids = list(item_ids) or self._all_item_ids()
        if not ids:
            raise DataMapError(f"{self._context.path}: the project has no images to map")
        model = self._cached_run_model(ids, options.model)
        if model is None:
            model = self._embed(item_ids, options, on_event, cancel)
        return self._layout(ids, model, method, options.seed, on_event, cancel)

    def _cached_run_model(self, ids: Sequence[int], ref: str) -> dict[str, Any] | None:
        """The model event of the run `ref` names (the latest with ""), when every item's
        features from it are cached; None when a worker is needed. A reference to nothing
        fails here, in one line, before any worker starts."""
        found = find_run_checkpoint(self._context.database, self._context.path, ref)
        if found is None:
            return None
        with self._context.database.read() as connection:
            digests = [record.sha256 for record in queries.items_by_ids(connection, list(ids))]
        store = EmbeddingCache()
        if not all(store.contains(found.model.key_of(digest)) for digest in digests):
            return None
        return found.model.as_event(device="")

    def _embed(
        self,
        item_ids: Sequence[int],
        options: MapOptions,
        on_event: EventCallback | None,
        cancel: threading.Event | None,
    ) -> Mapping[str, Any]:
        """Run the `embed-images` worker; its "model" event."""
        embedding = EmbeddingOptions(options.model, options.device, options.batch_size)
        # Without ids the worker takes every item: no command line as long as the project.
        command = embed_images_command(self._context.path, embedding, item_ids)
        job = WorkerJob.start(self._context.path, command)
        if cancel is not None:
            job.cancel_when_set(cancel)
        outcome = job.follow(on_event)
        if outcome.code == EXIT_CANCELLED or (cancel is not None and cancel.is_set()):
            raise OperationCancelledError("the map was cancelled")
        model = outcome.last.get("model")
        if outcome.code != 0 or model is None:
            raise DataMapError(outcome.detail())
        return model

    def _all_item_ids(self) -> list[int]:
        with self._context.database.read() as connection:
            return queries.item_ids(connection, ItemQuery())

    def _layout(
        self,
        ids: Sequence[int],
        model: Mapping[str, Any],
        method: str,
        seed: int,
        on_event: EventCallback | None,
        cancel: threading.Event | None,
    ) -> DataMap:
        with self._context.database.read() as connection:
            records = queries.items_by_ids(connection, list(ids))
            labels = item_classes(connection, [record.id for record in records])
        store = EmbeddingCache()
        sha256, input_size = str(model["sha256"]), int(model["input_size"])
        mapped, vectors = [], []
        for record in records:
            cached = store.get(EmbeddingKey(record.sha256, sha256, input_size))
            if cached is not None:
                mapped.append(record)
                vectors.append(cached.array.astype(np.float32).ravel())
        if not mapped:
            raise DataMapError(f"{self._context.path}: none of the images could be embedded")
        key = data_map.layout_key(sha256, [record.sha256 for record in mapped], method, seed)
        layouts = LayoutCache()
        placed = layouts.get(key, len(mapped))
        if on_event is not None:
            layout = {"method": method, "points": len(mapped), "cached": placed is not None}
            on_event({"event": "layout", **layout})
        if placed is None:
            placed = data_map.compute_layout(np.stack(vectors), method, seed)
            if cancel is not None and cancel.is_set():
                raise OperationCancelledError("the map was cancelled")
            layouts.put(key, placed)
        points = tuple(
            MapPoint(
                record.id,
                float(x),
                float(y),
                record.path,
                record.sha256,
                labels[record.id],
                record.split,
                record.status,
            )
            for record, (x, y) in zip(mapped, placed, strict=True)
        )
        skipped = len(ids) - len(points)
        return DataMap(points, str(model["description"]), sha256, method, skipped)

    # -- colouring -------------------------------------------------------------------------

    def map_colourings(self) -> list[ColouringSpec]:
        """The "colour by" entries: Studio's (class, split, status) and the plugins'."""
        found = self._context.plugins.collect("studio_map_colourings")
        return [spec for spec in found if isinstance(spec, ColouringSpec)]

    def map_colours(self, name: str, item_ids: Sequence[int]) -> dict[int, ColourValue]:
        """Item id → its value under the colouring `name` (ids without one are left out)."""
        specs = {spec.name: spec for spec in self.map_colourings()}
        spec = specs.get(name)
        if spec is None:
            raise DataMapError(
                f"no map colouring {name!r}; there are: {', '.join(specs) or 'none'}"
            )
        with (
            self._context.database.read() as connection,
            self._context.plugins.guard(spec, f"map colouring {name}"),
        ):
            return dict(spec.values(connection, list(item_ids)))
