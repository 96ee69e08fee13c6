"""The worker process: `python -m studio.jobs.worker ACTION PROJECT RUN [options]`.

    python -m studio.jobs.worker train PROJECT RUN [--resume]
    python -m studio.jobs.worker evaluate PROJECT RUN [--checkpoint best.pt] [--split test]
    python -m studio.jobs.worker export PROJECT SOURCE OUT [--target NAME] [--checkpoint C]
                                        [--zip] [--int8] [--nms graph|manifest] [--static-batch]
                                        [--opset N] [--parity-images N] [--overwrite]
    python -m studio.jobs.worker sam-encode PROJECT CHECKPOINT [--item ID ...] [--device D]
                                            [--cache-limit-mb N]
    python -m studio.jobs.worker sam-inspect CHECKPOINT
    python -m studio.jobs.worker sam-everything PROJECT CHECKPOINT LABEL [--item ID ...]
                                                [--points-per-side N] [--min-iou X]
                                                [--min-stability X] [--device D] [--author A]
    python -m studio.jobs.worker prelabel PROJECT SOURCE [--item ID ...] [--threshold T]
                                          [--map MODEL_CLASS=PROJECT_CLASS ...]
                                          [--include-labeled] [--device D] [--batch-size N]
                                          [--author A]
    python -m studio.jobs.worker embed-images PROJECT [--model REF] [--item ID ...]
                                              [--device D] [--batch-size N]
    python -m studio.jobs.worker label-issues PROJECT [--folds K] [--image-size N] [--seed S]
    python -m studio.jobs.worker queue-score PROJECT [--model REF] [--device D]

Progress goes to stdout as JSON lines (`studio.jobs.events`), the run's log to
`runs/<id>/train.log`. SIGTERM and SIGINT cancel: training stops after the current batch
and keeps its last complete checkpoint; an evaluation or an export is abandoned whole.
Exit status: 0 finished (or stopped early), 3 cancelled, 1 failed (the run is marked failed
with the error; a failed export prints a `failed` event and leaves nothing at OUT),
2 bad arguments. An export ends with {"event": "exported", "folder", "zip", "parity", ...}.
`sam-encode` writes SAM image embeddings to the user's cache (`studio.jobs.sam_encode_job`)
and stops between images on a signal. `sam-inspect` reads a checkpoint and prints
{"event": "checkpoint", "path", "sha256", "model_type", "input_size", "architecture"} (so the
window and the API learn a checkpoint's type without importing torch). `sam-everything` fills
pending SAM suggestions (`studio.jobs.sam_everything_job`), stopping between images on a signal.
`prelabel` fills pending model suggestions (`studio.jobs.prelabel_job`), stopping between
batches on a signal.
`embed-images` writes the map of the data's image features to the user's cache
(`studio.jobs.image_embeddings_job`), stopping between batches on a signal.
`label-issues` stores the labels cleanlab doubts (`studio.jobs.label_issues_job`), stopping
between images or folds on a signal (then nothing is stored).
`queue-score` caches a model's outputs for the unlabeled images of the active-learning queue
(`studio.jobs.queue_job`), stopping between batches on a signal.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from studio.core import export_options
from studio.core.errors import OperationCancelledError, StudioError
from studio.core.export_options import ExportOptions
from studio.core.prelabels import (
    DEFAULT_BATCH_SIZE as PRELABEL_BATCH_SIZE,
)
from studio.core.prelabels import (
    DEFAULT_THRESHOLD,
    PrelabelOptions,
    parse_mapping,
)
from studio.jobs import events
from studio.jobs.image_embeddings_job import (
    DEFAULT_BATCH_SIZE as EMBEDDING_BATCH_SIZE,
)
from studio.jobs.image_embeddings_job import (
    EMBED_IMAGES_ACTION,
    EmbeddingOptions,
)
from studio.jobs.label_issues_job import LABEL_ISSUES_ACTION
from studio.jobs.launcher import SAM_ENCODE_ACTION
from studio.jobs.prelabel_job import PRELABEL_ACTION
from studio.jobs.queue_job import QUEUE_SCORE_ACTION
from studio.jobs.run_context import error_text
from studio.jobs.sam_everything_job import (
    DEFAULT_MIN_IOU,
    DEFAULT_MIN_STABILITY,
    DEFAULT_POINTS_PER_SIDE,
    SAM_EVERYTHING_ACTION,
    EverythingOptions,
)
from studio.ml.label_quality import DEFAULT_FOLDS, DEFAULT_IMAGE_SIZE, LabelQualityOptions

SAM_INSPECT_ACTION = "sam-inspect"

EXIT_FINISHED = 0
EXIT_FAILED = 1
EXIT_CANCELLED = 3
EXIT_CODES = {"finished": EXIT_FINISHED, "cancelled": EXIT_CANCELLED, "failed": EXIT_FAILED}


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m studio.jobs.worker",
        description="Run a Studio training, evaluation, export or SAM encoding.",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train a queued run, or resume one")
    train.add_argument("project", type=Path)
    train.add_argument("run", type=int)
    train.add_argument("--resume", action="store_true", help="continue from last.pt")
    evaluate = actions.add_parser("evaluate", help="evaluate a checkpoint of a run")
    evaluate.add_argument("project", type=Path)
    evaluate.add_argument("run", type=int)
    evaluate.add_argument("--checkpoint", default="best.pt", help="best, last or epoch-NNN.pt")
    evaluate.add_argument("--split", default="test", choices=("train", "val", "test"))
    add_export_parser(actions)
    add_sam_encode_parser(actions)
    add_sam_inspect_parser(actions)
    add_sam_everything_parser(actions)
    add_prelabel_parser(actions)
    add_embed_images_parser(actions)
    add_label_issues_parser(actions)
    add_queue_score_parser(actions)
    return parser.parse_args(argv)


def add_export_parser(actions: argparse._SubParsersAction) -> None:
    export = actions.add_parser("export", help="export a run or a model as a deployment bundle")
    export.add_argument("project", type=Path)
    export.add_argument("source", help="a run (id or name) or a model: NAME[:VERSION|:ALIAS]")
    export.add_argument("out", type=Path, help="the bundle folder to write")
    export_options.add_arguments(export)


def add_sam_encode_parser(actions: argparse._SubParsersAction) -> None:
    encode = actions.add_parser(
        SAM_ENCODE_ACTION, help="encode a project's images with a SAM checkpoint's encoder"
    )
    encode.add_argument("project", type=Path)
    encode.add_argument("checkpoint", type=Path, help="a Segment Anything checkpoint (.pth)")
    encode.add_argument(
        "--item", type=int, action="append", default=[], help="an item id (repeat); all if none"
    )
    encode.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    encode.add_argument(
        "--cache-limit-mb",
        type=int,
        default=None,
        help="embedding cache size (default: the user's setting)",
    )


def add_sam_inspect_parser(actions: argparse._SubParsersAction) -> None:
    inspect = actions.add_parser(
        SAM_INSPECT_ACTION, help="read a SAM checkpoint: its sha256 and architecture"
    )
    inspect.add_argument("checkpoint", type=Path, help="a Segment Anything checkpoint (.pth)")


def add_sam_everything_parser(actions: argparse._SubParsersAction) -> None:
    everything = actions.add_parser(
        SAM_EVERYTHING_ACTION, help="suggest masks for everything SAM finds in a project's images"
    )
    everything.add_argument("project", type=Path)
    everything.add_argument("checkpoint", type=Path, help="a Segment Anything checkpoint (.pth)")
    everything.add_argument("label", help="the class the suggestions get")
    everything.add_argument(
        "--item", type=int, action="append", default=[], help="an item id (repeat); all if none"
    )
    everything.add_argument(
        "--points-per-side", type=int, default=DEFAULT_POINTS_PER_SIDE, help="the prompt grid"
    )
    everything.add_argument(
        "--min-iou", type=float, default=DEFAULT_MIN_IOU, help="keep masks with this IoU"
    )
    everything.add_argument(
        "--min-stability", type=float, default=DEFAULT_MIN_STABILITY, help="and this stability"
    )
    everything.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    everything.add_argument("--author", default="", help="who the suggestions are recorded for")


def add_prelabel_parser(actions: argparse._SubParsersAction) -> None:
    prelabel = actions.add_parser(
        PRELABEL_ACTION, help="store a model's predictions as pending suggestions"
    )
    prelabel.add_argument("project", type=Path)
    prelabel.add_argument(
        "source", help="a run (id, name or latest), a model NAME[:VERSION|:ALIAS], or a bundle"
    )
    prelabel.add_argument(
        "--item", type=int, action="append", default=None, help="an item id (repeat); all if none"
    )
    prelabel.add_argument(
        "--map", action="append", default=[], help="MODEL_CLASS=PROJECT_CLASS (repeat)"
    )
    prelabel.add_argument("--include-labeled", action="store_true", help="labeled items too")
    prelabel.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    prelabel.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    prelabel.add_argument("--batch-size", type=int, default=PRELABEL_BATCH_SIZE)
    prelabel.add_argument("--author", default="", help="who the suggestions are recorded for")


def add_embed_images_parser(actions: argparse._SubParsersAction) -> None:
    embed = actions.add_parser(
        EMBED_IMAGES_ACTION, help="compute image features for the map of the data"
    )
    embed.add_argument("project", type=Path)
    embed.add_argument(
        "--model", default="", help="a run (id or name) or NAME[:VERSION|:ALIAS]; default: latest"
    )
    embed.add_argument(
        "--item", type=int, action="append", default=[], help="an item id (repeat); all if none"
    )
    embed.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    embed.add_argument(
        "--batch-size", type=int, default=EMBEDDING_BATCH_SIZE, help="images a batch"
    )


def add_label_issues_parser(actions: argparse._SubParsersAction) -> None:
    search = actions.add_parser(
        LABEL_ISSUES_ACTION, help="find the labels a K-fold quick model and cleanlab doubt"
    )
    search.add_argument("project", type=Path)
    search.add_argument("--folds", type=int, default=DEFAULT_FOLDS, help="K of the K folds")
    search.add_argument(
        "--image-size", type=int, default=DEFAULT_IMAGE_SIZE, help="images are scaled to N × N"
    )
    search.add_argument("--seed", type=int, default=0, help="the seed of the folds")


def add_queue_score_parser(actions: argparse._SubParsersAction) -> None:
    score = actions.add_parser(
        QUEUE_SCORE_ACTION, help="score unlabeled images for the active-learning queue"
    )
    score.add_argument("project", type=Path)
    score.add_argument("--model", default=None, help="a run or NAME[:VERSION]; the latest if none")
    score.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")


def install_cancel_handlers(on_signal: Callable[[int, FrameType | None], None]) -> None:
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, on_signal)


def run_training(arguments: argparse.Namespace) -> int:
    from studio.jobs.training_job import train_run

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    status = train_run(arguments.project, arguments.run, resume=arguments.resume, cancel=cancel)
    return EXIT_CODES.get(status, EXIT_FINISHED)


def _abandon_on_signal(what: str, work: Callable[[], object]) -> int:
    """Run `work`; a signal abandons it whole (a `finished` event with status cancelled)."""

    def on_signal(number: int, _frame: FrameType | None) -> None:
        raise OperationCancelledError(f"{what} cancelled by signal {number}")

    install_cancel_handlers(on_signal)
    try:
        work()
    except OperationCancelledError as error:
        events.emit({"event": "finished", "status": "cancelled", "summary": {}})
        print(error, file=sys.stderr)
        return EXIT_CANCELLED
    return EXIT_FINISHED


def run_evaluation(arguments: argparse.Namespace) -> int:
    """Evaluate; a signal abandons it (the evaluation is stored in one transaction, so
    either all of it is in the project or nothing)."""
    from studio.jobs.evaluation_job import evaluate_run

    try:
        code = _abandon_on_signal(
            "evaluation",
            lambda: evaluate_run(
                arguments.project,
                arguments.run,
                checkpoint=arguments.checkpoint,
                split=arguments.split,
            ),
        )
    except StudioError as error:
        events.emit({"event": "failed", "error": error_text(error)})
        return EXIT_FAILED
    if code == EXIT_FINISHED:
        events.emit({"event": "finished", "status": "finished", "summary": {}})
    return code


def run_export(arguments: argparse.Namespace) -> int:
    """Export; a signal abandons it (the bundle is renamed into place only at the end)."""
    from studio.jobs.export_job import export_source

    return _abandon_on_signal(
        "export",
        lambda: export_source(
            arguments.project,
            arguments.source,
            arguments.out,
            ExportOptions.from_arguments(arguments),
        ),
    )


def run_sam_encode(arguments: argparse.Namespace) -> int:
    """Encode; a signal stops between images (what was stored stays stored)."""
    from studio.jobs.sam_encode_job import encode_project

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    summary = encode_project(
        arguments.project,
        arguments.checkpoint,
        arguments.item,
        device=arguments.device,
        cache_limit_mb=arguments.cache_limit_mb,
        cancel=cancel,
    )
    status = "cancelled" if summary.cancelled else "finished"
    events.emit({"event": "finished", "status": status, "summary": summary.as_dict()})
    return EXIT_CODES[status]


def run_sam_inspect(arguments: argparse.Namespace) -> int:
    from studio.ml.sam.checkpoint import read_checkpoint

    checkpoint, _state = read_checkpoint(arguments.checkpoint)
    architecture = checkpoint.architecture
    events.emit(
        {
            "event": "checkpoint",
            "path": str(checkpoint.path.resolve()),
            "sha256": checkpoint.sha256,
            "model_type": checkpoint.model_type,
            "input_size": architecture.image_size,
            "architecture": architecture.describe(),
        }
    )
    return EXIT_FINISHED


def run_sam_everything(arguments: argparse.Namespace) -> int:
    """Segment everything; a signal stops between images (stored suggestions stay)."""
    from studio.jobs.sam_everything_job import segment_everything

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    options = EverythingOptions(
        arguments.label,
        arguments.points_per_side,
        arguments.min_iou,
        arguments.min_stability,
        arguments.device,
        arguments.author,
    )
    summary = segment_everything(
        arguments.project, arguments.checkpoint, options, arguments.item, cancel=cancel
    )
    status = "cancelled" if summary.cancelled else "finished"
    events.emit({"event": "finished", "status": status, "summary": summary.as_dict()})
    return EXIT_CODES[status]


def run_prelabel(arguments: argparse.Namespace) -> int:
    """Pre-label; a signal stops between batches (stored suggestions stay)."""
    from studio.jobs.prelabel_job import prelabel_project

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    options = PrelabelOptions(
        source=arguments.source,
        threshold=arguments.threshold,
        class_mapping=parse_mapping(arguments.map),
        include_labeled=arguments.include_labeled,
        device=arguments.device,
        batch_size=arguments.batch_size,
    )
    summary = prelabel_project(
        arguments.project, options, arguments.item, arguments.author, cancel=cancel
    )
    status = "cancelled" if summary.cancelled else "finished"
    events.emit({"event": "finished", "status": status, "summary": summary.as_dict()})
    return EXIT_CODES[status]


def run_embed_images(arguments: argparse.Namespace) -> int:
    """Embed; a signal stops between batches (what was stored stays stored)."""
    from studio.jobs.image_embeddings_job import embed_project

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    options = EmbeddingOptions(arguments.model, arguments.device, arguments.batch_size)
    summary = embed_project(arguments.project, options, arguments.item, cancel=cancel)
    status = "cancelled" if summary.cancelled else "finished"
    events.emit({"event": "finished", "status": status, "summary": summary.as_dict()})
    return EXIT_CODES[status]


def run_label_issues(arguments: argparse.Namespace) -> int:
    """Search; a signal stops between images or folds and stores nothing."""
    from studio.jobs.label_issues_job import find_label_issues

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    options = LabelQualityOptions(arguments.folds, arguments.image_size, arguments.seed)
    summary = find_label_issues(arguments.project, options, cancel=cancel)
    status = "cancelled" if summary.cancelled else "finished"
    events.emit({"event": "finished", "status": status, "summary": summary.as_dict()})
    return EXIT_CODES[status]


def run_queue_score(arguments: argparse.Namespace) -> int:
    """Score; a signal stops between batches (the batches scored stay cached)."""
    from studio.jobs.queue_job import score_unlabeled

    cancel = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        cancel.set()

    install_cancel_handlers(on_signal)
    summary = score_unlabeled(
        arguments.project, arguments.model, device=arguments.device, cancel=cancel
    )
    status = "cancelled" if summary.cancelled else "finished"
    events.emit({"event": "finished", "status": status, "summary": summary.as_dict()})
    return EXIT_CODES[status]


ACTIONS = {
    "train": run_training,
    "evaluate": run_evaluation,
    "export": run_export,
    SAM_ENCODE_ACTION: run_sam_encode,
    SAM_INSPECT_ACTION: run_sam_inspect,
    SAM_EVERYTHING_ACTION: run_sam_everything,
    PRELABEL_ACTION: run_prelabel,
    EMBED_IMAGES_ACTION: run_embed_images,
    LABEL_ISSUES_ACTION: run_label_issues,
    QUEUE_SCORE_ACTION: run_queue_score,
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        return ACTIONS[arguments.action](arguments)
    except StudioError as error:
        # Before the run could be loaded (no such project or run, not resumable, ...), or a
        # failed export (nothing was written at OUT).
        events.emit({"event": "failed", "error": error_text(error)})
        print(f"studio worker: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
