"""The training command with no option on the demo project, on the CPU (issue 11).

Studio's figures are what a newcomer meets: `studio train demo.studio --task classification`
run as a command (its own process, then the worker), with the torch weight cache empty (so
the model trains from scratch) and GPUs hidden. The balanced preset picks the input size,
batch size and epochs from the demo's images and the CPU; the rows report the command's wall
time and the run's test accuracy. The baseline is the bare PyTorch loop of `bench_digits` on
the same train and test images with the settings the preset picked (model, input size, batch
size, epochs, learning rate; no augmentation, decoding not timed), so the time ratio is what
the whole command costs over the bare arithmetic, and the accuracy ratio what Studio's
recipe gains or loses against it. The full run must reach ACCURACY_FLOOR.

Quick mode runs the same command with `--epochs 1` on 100 digits and reports only the time
(one epoch's accuracy is near chance).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.bench_digits import Recipe, digits_project, hand_loop
from benchmarks.harness import Measurement, Session, timed
from studio.core.demo import create_demo_project

ACCURACY_FLOOR = 0.9
QUICK_DIGITS = 100
DEMO_DIGITS = 1797
COMMAND_TIMEOUT_S = 1800


def no_option_command(project_path: Path, extra: list[str], torch_home: Path) -> dict[str, Any]:
    """Run `studio train PROJECT --task classification` as a user would; the run's record."""
    torch_home.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "TORCH_HOME": str(torch_home), "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-m", "studio.cli", "train", str(project_path)]
    command += ["--task", "classification", *extra, "--json"]
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {finished.stderr.strip()[-2000:]}")
    return json.loads(finished.stdout)


def run(session: Session) -> list[Measurement]:
    folder = session.folder("presets")
    if session.quick:
        project_path, extra = digits_project(folder, QUICK_DIGITS), ["--epochs", "1"]
    else:
        project_path, extra = create_demo_project(folder), []
    with session.studio_side("presets"):
        studio_seconds, record = timed(
            lambda: no_option_command(project_path, extra, folder / "torch-home")
        )
    config = record["config"]
    studio_accuracy = float(record["summary"]["test"]["accuracy"])
    recipe = Recipe(
        digits=QUICK_DIGITS if session.quick else DEMO_DIGITS,
        epochs=config["epochs"],
        model=config["model"],
        input_size=config["input_size"],
        batch_size=config["batch_size"],
        learning_rate=config["learning_rate"],
    )
    baseline_seconds, baseline_accuracy = hand_loop(project_path, recipe, session.seed)
    picked = (
        f"{config['model']}, {config['input_size']} px, batch {config['batch_size']}, "
        f"{config['epochs']} epochs"
    )
    note = (
        f"presets: Studio = `studio train PROJECT --task classification` in a subprocess, "
        f"empty weight cache, GPUs hidden; the balanced preset picked {picked}; test "
        f"accuracy {studio_accuracy:.3f}; baseline = the bare PyTorch loop of the digits row "
        f"with those settings, no augmentation (test accuracy {baseline_accuracy:.3f})"
    )
    if session.quick:  # one epoch on 100 digits: an accuracy near chance, possibly 0
        name = f"presets no-option train quick ({QUICK_DIGITS} digits, --epochs 1, CPU)"
        return [_wall_time(name, studio_seconds, baseline_seconds, note)]
    if studio_accuracy < ACCURACY_FLOOR:
        raise RuntimeError(
            f"the no-option command missed {ACCURACY_FLOOR:.0%} test accuracy on the demo: "
            f"{studio_accuracy:.3f} ({json.dumps(config['reasons'])})"
        )
    name = f"presets no-option train on the demo ({DEMO_DIGITS:,} digits, CPU)"
    return [
        _wall_time(name, studio_seconds, baseline_seconds, note),
        Measurement(
            benchmark=name,
            metric="test accuracy",
            unit="accuracy",
            studio=studio_accuracy,
            baseline=baseline_accuracy,
            higher_is_better=True,
            note=note,
        ),
    ]


def _wall_time(name: str, studio: float, baseline: float, note: str) -> Measurement:
    return Measurement(
        benchmark=name,
        metric="wall time",
        unit="s",
        studio=studio,
        baseline=baseline,
        higher_is_better=False,
        note=note,
    )
