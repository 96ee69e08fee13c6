"""The map of the data: image features and their 2-D layout.

Embeddings: Studio's `embed-images` work (`studio.jobs.image_embeddings_job.embed_images`,
as the worker runs it, model already loaded: decode, preprocess, batch forward through the
run's network without its last layer, float16 entries into a fresh embedding cache, progress
events) against a bare torch loop over the same JPEG files (PIL decode, the same transform,
the same headless network, same batch size, nothing stored). A second row times Studio asked
again for the same images: every feature is a cache hit.

Layout: `studio.core.data_map.compute_layout` (PCA to 50 dimensions, then scikit-learn's
t-SNE with half the cores' threads) against scikit-learn's t-SNE on the raw features with its
defaults, same seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from sklearn import manifold

from benchmarks.fixtures import write_jpegs
from benchmarks.harness import Measurement, Session, timed
from studio.api import Project
from studio.core import runs
from studio.core.data_map import TSNE, compute_layout
from studio.core.embedding_cache import EmbeddingCache
from studio.jobs.image_embeddings_job import embed_images, load_extractor
from studio.jobs.sam_encode_job import images_of
from studio.ml.architectures import build_model
from studio.ml.checkpoints import save_checkpoint

CLASSES = ("left", "right")
BATCH_SIZE = 32


@dataclass(frozen=True)
class Sizes:
    model: str
    input_size: int
    images: int


FULL = Sizes("resnet18", 128, 600)
QUICK = Sizes("resnet18", 32, 24)


def _project_with_run(folder: Path, sizes: Sizes, seed: int) -> Path:
    """A project of photographs and a finished run of `sizes.model` with seeded weights."""
    write_jpegs(folder / "images", sizes.images, seed)
    path = folder / "map.studio"
    with Project.create(path, author="bench") as project:
        project.add_classes(CLASSES)
        project.import_media([folder / "images"])
        items = project.items()
        project.add_annotations(
            {"item_id": item.id, "label": CLASSES[index % 2]} for index, item in enumerate(items)
        )
        project.set_status([item.id for item in items], "done")
        project.create_version()
        run = project.new_run(
            task="classification",
            model=sizes.model,
            epochs=1,
            input_size=sizes.input_size,
            augmentations=[],
            device="cpu",
            workers=0,
            pretrained="never",
        )
        torch.manual_seed(seed)
        module = build_model(sizes.model, "classification", 2, sizes.input_size, "never").module
        relative = f"{runs.run_folder(run.id)}/best.pt"
        state = {"task": "classification", "model_name": sizes.model, "epoch": 1}
        digest = save_checkpoint(
            project.store_dir / relative, {**state, "model": module.state_dict()}
        )
        size = (project.store_dir / relative).stat().st_size
        database = project.context.database
        runs.save_artifact(
            database,
            run.id,
            name="best.pt",
            kind="checkpoint",
            path=relative,
            sha256=digest,
            size_bytes=size,
            epoch=1,
        )
        runs.finish_run(database, run.id, "finished")
    return path


def _bare_loop(paths: list[Path], network: torch.nn.Module, transform: object) -> np.ndarray:
    """What anyone would write: decode, transform, batch, forward; keep the features."""
    found = []
    with torch.inference_mode():
        for start in range(0, len(paths), BATCH_SIZE):
            batch = []
            for path in paths[start : start + BATCH_SIZE]:
                with Image.open(path) as image:
                    batch.append(transform(image.convert("RGB")))
            found.append(network(torch.stack(batch)).numpy())
    return np.concatenate(found)


def run(session: Session) -> list[Measurement]:
    sizes = QUICK if session.quick else FULL
    folder = session.folder("data-map")
    project_path = _project_with_run(folder, sizes, session.seed)
    images = images_of(project_path)
    model, extractor = load_extractor(project_path, "", "cpu")
    paths = [image.path for image in images]
    _bare_loop(paths[:BATCH_SIZE], extractor.network, extractor.prepare)  # warm-up
    baseline_s, bare = timed(lambda: _bare_loop(paths, extractor.network, extractor.prepare))
    store = EmbeddingCache(folder / "cache", limit_bytes=1 << 30)

    def embed() -> object:
        with session.studio_side("data map embeddings, fresh cache"):
            return embed_images(
                images, model, extractor, store, batch_size=BATCH_SIZE, emit=lambda _event: None
            )

    studio_s, first = timed(embed)
    again_s, second = timed(embed)
    if first.embedded != len(images) or second.cached != len(images):
        raise RuntimeError(f"expected {len(images)} embedded then cached: {first}, {second}")
    features = np.stack([store.get(model.key_of(image.sha256)).array for image in images])
    if not np.allclose(features.astype(np.float32), bare, rtol=1e-2, atol=1e-2):
        raise RuntimeError("Studio's features differ from the bare loop's")

    raw = features.astype(np.float32)
    bare_layout_s, _ = timed(
        lambda: manifold.TSNE(
            perplexity=min(30.0, (len(raw) - 1) / 3), init="pca", random_state=0
        ).fit_transform(raw)
    )
    with session.studio_side("data map layout"):
        layout_s, _ = timed(lambda: compute_layout(raw, TSNE, 0))

    count = len(images)
    what = f"{count} {sizes.input_size}px JPEG-decoded images, {sizes.model} features"
    return [
        Measurement(
            benchmark="data map embeddings, fresh cache",
            metric="images/s",
            unit="images/s",
            studio=count / studio_s,
            baseline=count / baseline_s,
            higher_is_better=True,
            note=f"embed_images into a fresh cache vs a bare torch loop: {what}",
        ),
        Measurement(
            benchmark="data map embeddings, cached",
            metric="images/s",
            unit="images/s",
            studio=count / again_s,
            baseline=count / baseline_s,
            higher_is_better=True,
            note=f"embed_images asked again (all cache hits) vs the bare torch loop: {what}",
        ),
        Measurement(
            benchmark="data map layout",
            metric="seconds",
            unit="s",
            studio=layout_s,
            baseline=bare_layout_s,
            higher_is_better=False,
            note=(
                f"PCA to 50 + t-SNE (half the cores' threads) vs scikit-learn t-SNE with its "
                f"defaults on the raw {raw.shape[1]}-d features of {count} images"
            ),
        ),
    ]
