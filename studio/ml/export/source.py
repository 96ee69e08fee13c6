"""What an export starts from, as values: a checkpoint file, its architecture and task, its
classes, its pre-processing, the held-out images the parity gate checks, and where it came
from. `studio.jobs.export_job` loads these from the project; exporters never see a database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.enums import Task
from studio.core.media import resolve
from studio.core.versions import VersionItem
from studio.ml.data import ClassIndex, tag_class_ids

if TYPE_CHECKING:
    import torch

    from studio.ml.export.parity import ParityImage


@dataclass(frozen=True)
class ExportSource:
    """A trained model to export.

    `checkpoint_path`: the verified checkpoint file; `preprocess`: the bundle's pre-processing
    steps (Studio's evaluation transform for `task`); `parity_items`/`parity_splits`: up to
    the requested number of usable images, held-out first, their files under `image_root`;
    `metrics`: the test figures the manifest reports; `lineage`: the run, dataset version,
    model version and checkpoint, as the manifest records them.
    """

    task: str
    architecture: str
    input_size: int
    class_index: ClassIndex
    checkpoint_name: str
    checkpoint_path: Path
    checkpoint_epoch: int | None
    description: str  # "run digits-1" or "model digits:2", for messages
    preprocess: Sequence[Mapping[str, Any]]
    image_root: Path
    parity_items: Sequence[VersionItem] = ()
    parity_splits: Sequence[str] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)

    def load_module(self) -> torch.nn.Module:
        """The trained model in eval mode, built from its architecture with the checkpoint's
        weights (no pretrained weights are fetched)."""
        from studio.ml.architectures import build_model
        from studio.ml.checkpoints import load_model_weights

        classes = len(self.class_index)
        module = build_model(self.architecture, self.task, classes, self.input_size, "never")
        load_model_weights(
            module.module, self.checkpoint_path, f"{self.description}'s {self.architecture}"
        )
        return module.module.eval()

    def parity_images(self) -> list[ParityImage]:
        """The parity items as images with what each truly shows (for accuracy)."""
        from studio.ml.export.parity import ParityImage

        return [
            ParityImage(item.item_id, resolve(self.image_root, item.path), split, self._truth(item))
            for item, split in zip(self.parity_items, self.parity_splits, strict=True)
        ]

    def _truth(self, item: VersionItem) -> Any:
        index = self.class_index
        if self.task == Task.CLASSIFICATION.value:
            return index.index_of(tag_class_ids(item, index)[0])
        if self.task == Task.MULTILABEL.value:
            tagged = set(tag_class_ids(item, index))
            return [class_id in tagged for class_id in index.class_ids]
        return None
