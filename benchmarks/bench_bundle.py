"""Deployment bundle speed: ONNX Runtime (through the bundle's runtime) against torch eager.

A classifier (resnet18 at 224 px; mobilenet_v3_small at 32 px in quick mode) is exported
through Studio's whole export (parity gate included) from a run whose checkpoint holds
seeded weights. Both sides then run the same model on the same pre-processed images:

- batch-1 latency: `Bundle.run` on one image against `module(tensor)` under inference mode
  (median of many calls); the issue's target is ONNX Runtime at most half torch's latency;
- throughput at batch 16: `Bundle.run` on a batch against the torch module on it;
- cold start: `python predict.py IMAGE` in a fresh interpreter against
  `python -c "import onnxruntime"`, the least any ONNX Runtime program pays;
- serving: `serve.py` answering 200 clients (20 in quick mode) that connect at once, each
  posting images one after another, against `Bundle.predict` on the same images in one thread
  (the HTTP server's cost: parsing, threads, JSON); every answer must be a 200.
"""

from __future__ import annotations

import http.client
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.harness import Measurement, Session, median, timed
from studio.api import Project
from studio.bundle.preprocess import preprocess
from studio.bundle.runtime import Bundle
from studio.core import runs
from studio.core.export_options import ExportOptions
from studio.jobs.export_job import export_source
from studio.ml.architectures import build_model
from studio.ml.checkpoints import save_checkpoint

LATENCY_TARGET = 2.0  # torch's latency ÷ ONNX Runtime's: ORT at most half of torch's
CLASSES = ("circle", "square", "triangle")


@dataclass(frozen=True)
class Sizes:
    model: str
    input_size: int
    images: int
    calls: int
    batches: int
    cold_starts: int
    clients: int  # connecting to serve.py at once
    requests_per_client: int


FULL = Sizes("resnet18", 224, 24, 50, 6, 3, 200, 3)
QUICK = Sizes("mobilenet_v3_small", 32, 6, 10, 2, 1, 20, 1)


def _write_images(folder: Path, count: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        coarse = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((256, 192), Image.Resampling.BICUBIC)
        path = folder / f"photo_{index:03d}.png"
        image.save(path)
        paths.append(path)
    return paths


def _project_with_run(
    folder: Path, sizes: Sizes, seed: int
) -> tuple[Project, int, torch.nn.Module]:
    """A project of tagged images, a version, and a finished run with seeded weights."""
    paths = _write_images(folder / "images", sizes.images, seed)
    project = Project.create(folder / "bench.studio", author="bench")
    project.add_classes(CLASSES)
    project.import_media(paths)
    items = project.items()
    project.add_annotations(
        {"item_id": item.id, "label": CLASSES[index % len(CLASSES)]}
        for index, item in enumerate(items)
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
    module = build_model(sizes.model, "classification", len(CLASSES), sizes.input_size, "never")
    relative = f"{runs.run_folder(run.id)}/best.pt"
    target = project.store_dir / relative
    state = {"task": "classification", "model_name": sizes.model, "epoch": 1}
    digest = save_checkpoint(target, {**state, "model": module.module.state_dict()})
    size = target.stat().st_size
    runs.save_artifact(
        project.context.database,
        run.id,
        name="best.pt",
        kind="checkpoint",
        path=relative,
        sha256=digest,
        size_bytes=size,
        epoch=1,
    )
    runs.finish_run(project.context.database, run.id, "finished")
    return project, run.id, module.module.eval()


ROUNDS = 3  # blocks of each side, alternating, so both see the same machine load
SETTLE = 2  # calls after each switch left untimed: the other side's threads still spin


def _interleaved(studio, baseline, inputs: list, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds per call of each side: alternating blocks of calls, the first calls of each
    block untimed (thread pools of the other runtime spin for a while after it returns)."""
    times: tuple[list[float], list[float]] = ([], [])
    block = max(1, repeats // ROUNDS)
    for _ in range(ROUNDS):
        for call, samples in ((studio, times[0]), (baseline, times[1])):
            for index in range(SETTLE + block):
                item = inputs[index % len(inputs)]
                start = time.perf_counter()
                call(item)
                if index >= SETTLE:
                    samples.append(time.perf_counter() - start)
    return times


def _seconds(argv: list[str], cwd: Path, tries: int) -> float:
    samples = []
    for _ in range(tries):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True, timeout=120)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _serve_rate(folder: Path, bodies: list[bytes], sizes: Sizes) -> float:
    """Images/s that `serve.py` answers to `sizes.clients` clients connecting at once; every
    answer must be a 200 (a reset or a 503 fails the benchmark)."""
    process = subprocess.Popen(
        [sys.executable, "serve.py", "--port", "0"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        host, port = line.split("http://")[1].strip().rsplit(":", 1)
        ready = threading.Barrier(sizes.clients + 1)

        def client(number: int) -> list[int]:
            ready.wait()
            statuses = []
            for request in range(sizes.requests_per_client):
                connection = http.client.HTTPConnection(host, int(port), timeout=600)
                body = bodies[(number + request) % len(bodies)]
                connection.request("POST", "/predict", body)
                statuses.append(connection.getresponse().status)
                connection.close()
            return statuses

        with ThreadPoolExecutor(max_workers=sizes.clients) as pool:
            futures = [pool.submit(client, number) for number in range(sizes.clients)]
            ready.wait()
            start = time.perf_counter()
            statuses = [status for future in futures for status in future.result()]
            seconds = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=30)
    if set(statuses) != {200}:
        raise RuntimeError(f"serve.py did not answer every request with 200: {set(statuses)}")
    return len(statuses) / seconds


def run(session: Session) -> list[Measurement]:
    sizes = QUICK if session.quick else FULL
    folder = session.folder("bundle")
    project, run_id, module = _project_with_run(folder, sizes, session.seed)
    with project:
        out = folder / "bundle"
        export_source(
            project.path, str(run_id), out, ExportOptions(parity_images=4), lambda _: None
        )
    bundle = Bundle.load(out)
    steps = bundle.manifest["preprocess"]
    images = sorted((folder / "images").glob("*.png"))
    arrays = [preprocess(path, steps)[0] for path in images]

    def torch_call(array: np.ndarray | torch.Tensor) -> None:
        tensor = torch.as_tensor(array)
        with torch.inference_mode():
            module(tensor if tensor.ndim == 4 else tensor[None])

    with session.studio_side("bundle"):
        onnx_calls, torch_calls = _interleaved(bundle.run, torch_call, arrays, sizes.calls)
        batch = np.stack([arrays[index % len(arrays)] for index in range(16)])
        onnx_batches, torch_batches = _interleaved(
            bundle.run, lambda b: torch_call(torch.from_numpy(b)), [batch], sizes.batches
        )
    onnx_ms, torch_ms = median(onnx_calls) * 1000, median(torch_calls) * 1000
    onnx_rate, torch_rate = 16 / median(onnx_batches), 16 / median(torch_batches)
    predict = [sys.executable, "predict.py", str(images[0])]
    cold = _seconds(predict, out, sizes.cold_starts)
    bare = _seconds([sys.executable, "-c", "import onnxruntime"], out, sizes.cold_starts)
    bodies = [path.read_bytes() for path in images]
    with session.studio_side("bundle"):
        served = _serve_rate(out, bodies, sizes)
    direct_calls = max(1, sizes.clients * sizes.requests_per_client // 4)
    direct = [images[index % len(images)] for index in range(direct_calls)]
    direct_seconds, _results = timed(lambda: [bundle.predict(image) for image in direct])
    bundle.close()
    label = f"bundle {sizes.model} {sizes.input_size} px on CPU"
    threads = torch.get_num_threads()
    return [
        Measurement(
            benchmark=f"{label}: ONNX Runtime vs torch eager",
            metric="batch-1 latency",
            unit="ms",
            studio=onnx_ms,
            baseline=torch_ms,
            higher_is_better=False,
            target=LATENCY_TARGET,
            note=f"bundle: same weights and pre-processed images; median of {sizes.calls} "
            f"calls in alternating blocks; target = ONNX Runtime's latency at most 0.5 × torch's "
            f"({threads} torch threads)",
        ),
        Measurement(
            benchmark=f"{label}: ONNX Runtime vs torch eager",
            metric="batch 16",
            unit="images/s",
            studio=onnx_rate,
            baseline=torch_rate,
            higher_is_better=True,
        ),
        Measurement(
            benchmark=f"{label}: predict.py cold start vs import onnxruntime",
            metric="cold start",
            unit="s",
            studio=cold,
            baseline=bare,
            higher_is_better=False,
            note="bundle cold start: a fresh `python predict.py IMAGE` (load, verify sha256, "
            "self-test, predict, print) against a bare `python -c 'import onnxruntime'`",
        ),
        Measurement(
            benchmark=f"{label}: serve.py under {sizes.clients} clients vs Bundle.predict",
            metric="throughput",
            unit="images/s",
            studio=served,
            baseline=direct_calls / direct_seconds,
            higher_is_better=True,
            note=f"serving: {sizes.clients} clients connect at once and post "
            f"{sizes.requests_per_client} image(s) each to serve.py (default 8 workers), all "
            "answered 200, against Bundle.predict on the same files in one thread",
        ),
    ]
