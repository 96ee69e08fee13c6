"""`python -m tests.jobs.slow_worker ACTION PROJECT RUN ...`: Studio's worker, with a delay
added to each training step and each prediction batch (validation and evaluation), so tests
can act while a worker is mid-step, mid-validation or mid-evaluation without a long run.

The delays come from the environment: SLOW_STEP_S and SLOW_PREDICTION_S (seconds, default
0). Each delayed prediction batch prints a "log" event saying so, for tests to count.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from studio.jobs import events
from studio.jobs.launcher import worker_environment
from studio.ml import evaluation, trainer

STEP_DELAY = "SLOW_STEP_S"
PREDICTION_DELAY = "SLOW_PREDICTION_S"
PREDICTION_BATCH_MESSAGE = "slow worker: prediction batch"


def slow_worker_command(worker_argv: list[str]) -> list[str]:
    """The argv of a slow worker for a worker command line (`Run.worker_command()`)."""
    return [sys.executable, "-m", "tests.jobs.slow_worker", *worker_argv[3:]]


def slow_worker_environment(step_s: float = 0.0, prediction_s: float = 0.0) -> dict[str, str]:
    return {**worker_environment(), STEP_DELAY: str(step_s), PREDICTION_DELAY: str(prediction_s)}


def _delayed(function: Any, seconds: float, message: str | None = None) -> Any:
    def delayed(*arguments: Any, **options: Any) -> Any:
        time.sleep(seconds)
        if message is not None:
            events.emit({"event": "log", "message": message})
        return function(*arguments, **options)

    return delayed


def main() -> int:
    from studio.jobs.worker import main as worker_main

    step_s = float(os.environ.get(STEP_DELAY, "0"))
    prediction_s = float(os.environ.get(PREDICTION_DELAY, "0"))
    trainer.Trainer._train_step = _delayed(trainer.Trainer._train_step, step_s)
    evaluation._predict_tags = _delayed(
        evaluation._predict_tags, prediction_s, PREDICTION_BATCH_MESSAGE
    )
    return worker_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
