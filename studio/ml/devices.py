"""Where training runs: the device a setting names, how to show it, what to record with a run."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

import numpy
import torch
import torchvision

import studio
from studio.core.errors import TrainingConfigError


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _cuda_device(preference: str) -> torch.device:
    if not torch.cuda.is_available():
        raise TrainingConfigError(
            f"device {preference!r} asked for, but this machine has no usable CUDA GPU "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}); "
            "choose device 'auto' or 'cpu'"
        )
    device = torch.device(preference)
    index = 0 if device.index is None else device.index
    count = torch.cuda.device_count()
    if index >= count:
        raise TrainingConfigError(
            f"device {preference!r} asked for, but this machine has {count} CUDA GPU(s) "
            f"(cuda:0 to cuda:{count - 1})"
        )
    return torch.device("cuda", index)


def choose_device(preference: str = "auto") -> torch.device:
    """The device for `preference`: "auto" takes CUDA, then MPS, then the CPU.

    An explicit choice the machine cannot honour is an error rather than a silent fallback,
    so a run never trains on the CPU for days when the user asked for the GPU.
    """
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cpu":
        return torch.device("cpu")
    if preference == "mps":
        if not _mps_available():
            raise TrainingConfigError(
                "device 'mps' asked for, but Apple's Metal backend is not available here; "
                "choose device 'auto' or 'cpu'"
            )
        return torch.device("mps")
    if preference == "cuda" or preference.startswith("cuda:"):
        try:
            return _cuda_device(preference)
        except RuntimeError as error:
            raise TrainingConfigError(f"invalid device {preference!r}: {error}") from None
    raise TrainingConfigError(
        f"unknown device {preference!r}; choose from: auto, cpu, cuda, cuda:N, mps"
    )


def _cuda_index(device: torch.device) -> int:
    return torch.cuda.current_device() if device.index is None else device.index


def describe_device(device: torch.device | str) -> str:
    """Human text: "cuda:0 (NVIDIA H100 80GB HBM3)", "cpu (2 threads)", "mps (Apple GPU)"."""
    device = torch.device(device)
    if device.type == "cuda":
        index = _cuda_index(device)
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)


def _gpu_details(device: torch.device) -> dict[str, Any] | None:
    if device.type != "cuda":
        return None
    properties = torch.cuda.get_device_properties(_cuda_index(device))
    return {
        "name": properties.name,
        "memory_gb": round(properties.total_memory / 2**30, 1),
        "capability": f"{properties.major}.{properties.minor}",
        "count": torch.cuda.device_count(),
    }


def environment(device: torch.device | str) -> dict[str, Any]:
    """The software and hardware a run used (stored with the run, shown in comparisons)."""
    device = torch.device(device)
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {
        "studio": studio.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "cudnn": cudnn if device.type == "cuda" else None,
        "gpu": _gpu_details(device),
        "numpy": numpy.__version__,
        "device": describe_device(device),
        "cpu_count": os.cpu_count(),
    }
