"""Helpers of the Models view tests: finished runs with a checkpoint file, made without
training (a worker leaves exactly these rows and files)."""

from __future__ import annotations

from studio.api import Project
from studio.core import runs as core_runs
from studio.core.object_store import file_sha256
from tests.gui.training import TINY_SETTINGS


def finished_run(project: Project, name: str, accuracy: float = 0.9) -> int:
    """A finished run with best.pt and last.pt on disk and a test evaluation of best.pt."""
    run = project.new_run(name=name, **TINY_SETTINGS)
    database = project.context.database
    core_runs.mark_started(
        database, run.id, pid=1, host="elsewhere", device="cpu", environment={}, pretrained="none"
    )
    core_runs.record_epoch(database, run.id, 1, {"train/loss": 0.5, "val/accuracy": accuracy})
    folder = project.store_dir / core_runs.run_folder(run.id)
    folder.mkdir(parents=True, exist_ok=True)
    for checkpoint in ("best.pt", "last.pt"):
        path = folder / checkpoint
        path.write_bytes(f"{name} {checkpoint}".encode())
        core_runs.save_artifact(
            database,
            run.id,
            name=checkpoint,
            kind="checkpoint",
            path=f"{core_runs.run_folder(run.id)}/{checkpoint}",
            sha256=file_sha256(path),
            size_bytes=path.stat().st_size,
            epoch=1,
        )
    metrics = {"accuracy": accuracy, "macro_f1": accuracy - 0.05, "items": 4}
    core_runs.save_evaluation(
        database,
        run.id,
        checkpoint="best.pt",
        epoch=1,
        split="test",
        metrics=metrics,
        predictions=[],
    )
    summary = {"best_value": accuracy, "best_epoch": 1, "monitor": "val/accuracy"}
    core_runs.finish_run(database, run.id, "finished", summary={**summary, "test": metrics})
    return run.id
