"""Which kind of device a device setting will train on, found without importing torch.

Presets fit the batch size and the epochs to the device, and they are chosen where a run is
created: in the GUI process and the command line, which must not load torch (seconds of
start-up, and the GUI keeps torch out by rule). So "auto" is resolved here the way
`studio.ml.devices.choose_device` resolves it in the worker (CUDA, then MPS, then the CPU),
from what the machine shows: NVIDIA's management library (shipped with the driver) for CUDA
GPUs, Apple silicon for MPS, and the installed torch build (a "+cpu" build has no CUDA).
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import sys
from importlib import metadata

DEVICE_KINDS = ("cpu", "cuda", "mps")
_NVML_LIBRARIES = {"win32": "nvml.dll"}
_NVML_LIBRARY = "libnvidia-ml.so.1"


def device_kind(setting: str) -> str:
    """ "cuda", "mps" or "cpu": the kind of device `setting` ("auto", "cpu", "cuda:1", ...)
    trains on here."""
    if setting == "auto":
        return auto_device_kind()
    kind = setting.split(":", 1)[0]
    return kind if kind in DEVICE_KINDS else "cpu"


def auto_device_kind() -> str:
    """The kind of device "auto" gives on this machine."""
    if _torch_has_cuda() and _visible_nvidia_gpus() > 0:
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    return "cpu"


def _torch_has_cuda() -> bool:
    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        return False
    return "+cpu" not in version


def _visible_nvidia_gpus() -> int:
    """NVIDIA GPUs the driver reports, 0 when CUDA_VISIBLE_DEVICES hides them all."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    return _driver_gpu_count()


@functools.cache
def _driver_gpu_count() -> int:
    """Asked of the driver once a process: initialising NVML can take a noticeable fraction of
    a second, and the window asks on the GUI thread whenever the chosen version changes."""
    try:
        library = ctypes.CDLL(_NVML_LIBRARIES.get(sys.platform, _NVML_LIBRARY))
    except OSError:
        return 0
    if library.nvmlInit_v2() != 0:
        return 0
    try:
        count = ctypes.c_uint(0)
        if library.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            return 0
        return int(count.value)
    finally:
        library.nvmlShutdown()
