"""The SAM service: a project's Segment Anything checkpoint, and SAM's answers to prompts
stored as pending suggestions.

    project.set_sam_checkpoint("sam_vit_b_01ec64.pth")     # recorded with its sha256 and type
    ids = project.segment(item_id, points=[(120, 80, 1)], label="cat")
    project.accept_suggestions(ids)

The checkpoint is read in a short `sam-inspect` worker and images are encoded by the
`sam-encode` worker (`studio.jobs`), so this process never imports torch: the window uses this
service too. Prompts are decoded here with the ONNX prompt decoder, from the embedding cache.
"""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from studio.api.assistance import AnswerShape, PointPrompt, prompts_from
from studio.api.context import ProjectContext
from studio.api.labels import LabelsService
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.core.enums import AnnotationSource
from studio.core.errors import StudioError
from studio.core.geometry import encode_mask, mask_to_polygons
from studio.core.object_store import file_sha256
from studio.core.prompts import Prompts
from studio.core.records import ItemRecord
from studio.core.schema import item_table
from studio.jobs.launcher import JobOutcome, WorkerJob, sam_encode_command
from studio.jobs.sam_everything_job import EverythingOptions, sam_everything_command
from studio.jobs.worker import SAM_INSPECT_ACTION
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError
from studio.ml.sam.onnx_decoder import OnnxPromptDecoder, cached_decoder_path

SAM_CHECKPOINT_SETTING = "sam_checkpoint"
OFFICIAL_CHECKPOINTS = "https://github.com/facebookresearch/segment-anything#model-checkpoints"
PICKLE_PROTOCOL_MARK = b"\x80"  # the first byte of a pickle of protocol 2 or later
EventCallback = Callable[[dict[str, Any]], None]
CANCEL_POLL_SECONDS = 0.1  # how often a worker's watcher looks whether it was cancelled


def _is_torch_save_file(path: Path) -> bool:
    """Whether `path` may be a `torch.save` file (a zip archive, or a pickle in the legacy
    format): checked here so that an obviously wrong file is refused without starting a
    worker that imports torch."""
    if zipfile.is_zipfile(path):
        return True
    with path.open("rb") as file:
        return file.read(1) == PICKLE_PROTOCOL_MARK


def no_checkpoint_message(project_path: Path) -> str:
    """The one line every SAM entry point gives when the project has no checkpoint."""
    return (
        f"{project_path}: no SAM checkpoint chosen. Download one from {OFFICIAL_CHECKPOINTS} "
        "(ViT-B 375 MB, fastest, the one for a CPU; ViT-L 1.25 GB; ViT-H 2.56 GB, best masks, "
        f"wants a GPU), then run: studio sam set {project_path} FILE"
    )


@dataclass(frozen=True)
class SamCheckpointChoice:
    """The checkpoint a project uses, as recorded when it was chosen.

    `problem` is "" while the file is still there with the same bytes; otherwise it says in
    one line what happened (moved, deleted or changed) and how to choose it again.
    """

    path: Path
    sha256: str
    model_type: str
    input_size: int
    problem: str = ""

    @property
    def usable(self) -> bool:
        return not self.problem


class SamService:
    """Checkpoint choice, encoding, prompts → suggestions; `Project` delegates to it."""

    def __init__(self, context: ProjectContext, labels: LabelsService) -> None:
        self._context = context
        self._labels = labels
        self._decoder: OnnxPromptDecoder | None = None

    # -- the checkpoint --------------------------------------------------------------------

    def set_sam_checkpoint(self, path: str | Path) -> SamCheckpointChoice:
        """Choose the project's SAM checkpoint: its sha256 and type are read in a worker
        (the file is refused with one line when it is not a SAM state dict)."""
        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise SamError(f"{path}: no such checkpoint file")
        if not _is_torch_save_file(path):
            raise SamError(
                f"{path} is not a Segment Anything checkpoint: not a file saved by torch.save "
                "(neither a zip archive nor a pickle)"
            )
        job = WorkerJob.start(self._context.path, [SAM_INSPECT_ACTION, str(path)])
        outcome = job.follow(None)
        found = outcome.last.get("checkpoint")
        if outcome.code != 0 or found is None:
            raise SamError(outcome.detail())
        status = path.stat()
        self._labels.set_setting(
            SAM_CHECKPOINT_SETTING,
            {
                "path": str(path),
                "sha256": found["sha256"],
                "model_type": found["model_type"],
                "input_size": int(found["input_size"]),
                "size": status.st_size,
                "mtime_ns": status.st_mtime_ns,
            },
        )
        return self._choice(self._labels.setting(SAM_CHECKPOINT_SETTING))

    def sam_checkpoint(self) -> SamCheckpointChoice | None:
        """The project's checkpoint, None when none was chosen; see `problem` for a file
        that moved or changed since (its sha256 is computed again only when its size or
        modification time differ from those recorded)."""
        recorded = self._labels.setting(SAM_CHECKPOINT_SETTING)
        return None if recorded is None else self._choice(recorded)

    def _choice(self, recorded: Mapping[str, Any]) -> SamCheckpointChoice:
        path = Path(recorded["path"])
        choice = SamCheckpointChoice(
            path, recorded["sha256"], recorded["model_type"], int(recorded["input_size"])
        )
        again = f"choose it again with: studio sam set {self._context.path} FILE"
        try:
            status = path.stat()
        except OSError:
            return _with_problem(choice, f"{path}: the project's SAM checkpoint is gone; {again}")
        unchanged = (status.st_size, status.st_mtime_ns) == (
            recorded.get("size"),
            recorded.get("mtime_ns"),
        )
        if not unchanged and file_sha256(path) != choice.sha256:
            return _with_problem(
                choice,
                f"{path}: the SAM checkpoint changed since it was chosen (its sha256 differs); "
                + again,
            )
        return choice

    def require_checkpoint(self) -> SamCheckpointChoice:
        """The usable checkpoint, or a SamError saying in one line what to do."""
        choice = self.sam_checkpoint()
        if choice is None:
            raise SamError(no_checkpoint_message(self._context.path))
        if choice.problem:
            raise SamError(choice.problem)
        return choice

    def cached_embeddings(self) -> tuple[int, int]:
        """(images whose embedding for the checkpoint is cached, images in the project)."""
        choice = self.require_checkpoint()
        cache = EmbeddingCache()
        with self._context.database.read() as connection:
            digests = connection.execute(select(item_table.c.sha256)).scalars().all()
        cached = sum(
            cache.contains(EmbeddingKey(digest, choice.sha256, choice.input_size))
            for digest in digests
        )
        return cached, len(digests)

    # -- workers ---------------------------------------------------------------------------

    def precompute(
        self, item_ids: Sequence[int] = (), on_event: EventCallback | None = None
    ) -> JobOutcome:
        """Encode the items' images (all the project's without ids) into the embedding cache
        in a `sam-encode` worker; images already cached are skipped. Ctrl-C (an exception
        in `on_event`) cancels the worker and propagates."""
        choice = self.require_checkpoint()
        command = sam_encode_command(self._context.path, choice.path, item_ids)
        return self._run(command, on_event)

    def segment_everything(
        self,
        item_ids: Sequence[int],
        options: EverythingOptions,
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> JobOutcome:
        """Pending suggestions for everything SAM's automatic mask generator finds in the
        items' images (all the project's without ids), in a `sam-everything` worker (one
        transaction per image). `options.label` may be "" when the project has one class;
        the author is the project's. Ctrl-C cancels as for `precompute`; so does setting
        `cancel` (from another thread, as the window does): the worker is signalled at once,
        keeps the image it is segmenting and starts no other."""
        choice = self.require_checkpoint()
        label = self._class_name(options.label or None)
        options = replace(options, label=label, author=self._context.author)
        command = sam_everything_command(self._context.path, choice.path, options, item_ids)
        return self._run(command, on_event, cancel)

    def _run(
        self,
        command: list[str],
        on_event: EventCallback | None,
        cancel: threading.Event | None = None,
    ) -> JobOutcome:
        job = WorkerJob.start(self._context.path, command)
        if cancel is not None:
            cancel_when_set(job, cancel)
        outcome = job.follow(on_event)
        # A worker signalled while it starts ends before its cancel handler is installed.
        cancelled = cancel is not None and cancel.is_set()
        if outcome.code not in (0, 3) and not cancelled:
            raise SamError(outcome.detail())
        return outcome

    # -- prompts ---------------------------------------------------------------------------

    def segment(
        self,
        item_id: int,
        points: Iterable[PointPrompt] = (),
        box: Sequence[float] | None = None,
        *,
        label: str | int | None = None,
        shape: AnswerShape = "polygon",
        multimask_index: int | None = None,
        polygon_tolerance: float = 1.0,
    ) -> list[int]:
        """SAM's mask for the prompts on an item, stored as a PENDING suggestion (source
        "sam", score its predicted IoU, the prompts in its attributes); returns its id.

        `points` are `(x, y)` or `(x, y, 1|0)` (positive or negative), `box` is
        `[x, y, width, height]`. `label` may be left out when the project has one class.
        `multimask_index` (0–2) picks one of SAM's three ambiguity masks; without it the one
        with the best predicted IoU is kept. The embedding is computed first (in a worker)
        when it is not cached. Accept the suggestion with `accept_suggestions`.
        """
        if shape not in ("mask", "polygon"):
            raise StudioError(f"shape must be 'mask' or 'polygon', not {shape!r}")
        choice = self.require_checkpoint()
        class_name = self._class_name(label)
        item = self._labels.item(item_id)
        image = self._labels.media_path(item)
        prompts = prompts_from(points, box, image)
        prompts.check(item.width, item.height, image)
        mask, score = self._decode(choice, item, prompts, multimask_index)
        if shape == "polygon":
            rings = mask_to_polygons(mask, polygon_tolerance)
            if not rings:
                raise SamError(f"{image}: SAM found no region for these prompts")
            geometry: dict[str, Any] = {"polygon": rings}
        else:
            geometry = {"mask": encode_mask(mask)}
        suggestion = {
            "item_id": item.id,
            "label": class_name,
            **geometry,
            **_sam_fields(prompts, score),
        }
        return self._labels.suggest_annotations([suggestion])

    def answer_image(self, image_path: Path, prompts: Prompts) -> list[dict[str, Any]] | None:
        """The SAM assistant's answer for an image of this project: one mask mapping (none
        when SAM finds nothing); None when no item of this project has this image."""
        found = self._item_with_content(file_sha256(Path(image_path)))
        if found is None:
            return None
        mask, score = self._decode(self.require_checkpoint(), found, prompts, None)
        return [{"mask": encode_mask(mask), **_sam_fields(prompts, score)}] if mask.any() else []

    def _item_with_content(self, sha256: str) -> ItemRecord | None:
        with self._context.database.read() as connection:
            query = select(item_table.c.id).where(item_table.c.sha256 == sha256).limit(1)
            item_id = connection.execute(query).scalar()
        return None if item_id is None else self._labels.item(item_id)

    def _class_name(self, label: str | int | None) -> str:
        """The name of the class SAM's shapes get: `label` (a name or an id), or the
        project's only class when it is None."""
        classes = self._labels.classes(include_archived=False)
        if label is None:
            if len(classes) == 1:
                return classes[0].name
            raise StudioError(
                f"{self._context.path}: say which class SAM's shapes get (the project has "
                f"{len(classes)} classes)"
            )
        for record in classes:
            if label in (record.name, record.id):
                return record.name
        raise StudioError(f"{self._context.path}: no class {label!r}")

    def _decode(
        self,
        choice: SamCheckpointChoice,
        item: ItemRecord,
        prompts: Prompts,
        multimask_index: int | None,
    ) -> tuple[np.ndarray, float]:
        """The chosen mask for `prompts` and its predicted IoU."""
        embedding = self._embedding(choice, item)
        points = [(point.x, point.y) for point in prompts.points] or None
        labels = [1 if point.positive else 0 for point in prompts.points] or None
        box = None
        if prompts.box is not None:
            x, y, width, height = prompts.box
            box = (x, y, x + width, y + height)
        # One click is ambiguous (a shirt or the person?): ask for SAM's three masks, as
        # SamPredictor recommends; several prompts ask for its single mask.
        multimask = multimask_index is not None or (len(prompts.points) == 1 and box is None)
        answer = self._decoder_for(choice).decode(embedding, points, labels, box, None, multimask)
        index = answer.best if multimask_index is None else multimask_index
        if not 0 <= index < len(answer):
            raise StudioError(f"multimask_index must be 0 to {len(answer) - 1}, not {index}")
        return answer.mask(index), float(answer.scores[index])

    def _embedding(self, choice: SamCheckpointChoice, item: ItemRecord) -> ImageEmbedding:
        """The item's cached embedding, encoded first in a worker when it is missing."""
        cache = EmbeddingCache()
        key = EmbeddingKey(item.sha256, choice.sha256, choice.input_size)
        cached = cache.get(key)
        if cached is None or cached_decoder_path(choice.sha256) is None:
            outcome = self.precompute([item.id])
            cached = cache.get(key)
            if cached is None:
                skipped = outcome.last.get("skipped", {}).get("error")
                raise SamError(skipped or f"{self._labels.media_path(item)}: not encoded")
        return ImageEmbedding.from_cached(cached)

    def _decoder_for(self, choice: SamCheckpointChoice) -> OnnxPromptDecoder:
        path = cached_decoder_path(choice.sha256)
        if path is None:
            raise SamError(f"{choice.path}: its prompt decoder was not exported")
        if self._decoder is None or self._decoder.path != path:
            self._decoder = OnnxPromptDecoder(path, threads=min(4, os.cpu_count() or 1))
        return self._decoder


def cancel_when_set(job: WorkerJob, cancel: threading.Event) -> None:
    """Signal the worker as soon as `cancel` is set, watching on a thread until it ends."""

    def watch() -> None:
        while job.process.poll() is None:
            if cancel.wait(CANCEL_POLL_SECONDS):
                job.cancel()
                return

    threading.Thread(target=watch, name="sam-worker-cancel", daemon=True).start()


def _with_problem(choice: SamCheckpointChoice, problem: str) -> SamCheckpointChoice:
    return SamCheckpointChoice(
        choice.path, choice.sha256, choice.model_type, choice.input_size, problem
    )


def _sam_fields(prompts: Prompts, score: float) -> dict[str, Any]:
    """What every SAM shape carries: its source, its predicted IoU and the prompts."""
    return {
        "source": AnnotationSource.SAM.value,
        "score": score,
        "attributes": {"prompts": prompts_as_json(prompts)},
    }


def prompts_as_json(prompts: Prompts) -> dict[str, Any]:
    """Prompts as stored in a shape's attributes: points `[x, y, 1|0]`, box `[x, y, w, h]`."""
    return {
        "points": [[point.x, point.y, int(point.positive)] for point in prompts.points],
        "box": None if prompts.box is None else list(prompts.box),
    }
