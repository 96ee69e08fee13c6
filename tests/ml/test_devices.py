"""Choosing, describing and recording the training device."""

from __future__ import annotations

import json

import pytest
import torch

from studio.core.errors import TrainingConfigError
from studio.ml.devices import choose_device, describe_device, environment

ENVIRONMENT_KEYS = {
    "studio",
    "python",
    "platform",
    "torch",
    "torchvision",
    "cuda",
    "cudnn",
    "gpu",
    "numpy",
}


def test_cpu_is_always_available() -> None:
    assert choose_device("cpu") == torch.device("cpu")


def test_auto_takes_the_best_device_there_is() -> None:
    chosen = choose_device("auto")
    if torch.cuda.is_available():
        assert chosen.type == "cuda"
    elif torch.backends.mps.is_available():
        assert chosen.type == "mps"
    else:
        assert chosen == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("preference", ["cuda", "cuda:1"])
def test_an_unavailable_gpu_is_refused_not_replaced(preference: str) -> None:
    with pytest.raises(TrainingConfigError, match=f"device '{preference}'.*no usable CUDA"):
        choose_device(preference)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_unavailable_mps_is_refused() -> None:
    with pytest.raises(TrainingConfigError, match=r"'mps'"):
        choose_device("mps")


@pytest.mark.parametrize("preference", ["tpu", "gpu", "cuda:x", ""])
def test_unknown_device_names_are_refused(preference: str) -> None:
    with pytest.raises(TrainingConfigError, match=r"device"):
        choose_device(preference)


def test_cpu_description_names_its_threads() -> None:
    assert describe_device(torch.device("cpu")) == f"cpu ({torch.get_num_threads()} threads)"
    assert describe_device("cpu").startswith("cpu (")


def test_environment_records_the_software_and_is_json() -> None:
    recorded = environment(torch.device("cpu"))
    assert set(recorded) >= ENVIRONMENT_KEYS
    assert recorded["torch"] == torch.__version__
    assert recorded["gpu"] is None
    assert recorded["cuda"] is None
    assert json.loads(json.dumps(recorded)) == recorded


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_environment_names_the_card() -> None:
    device = choose_device("cuda")
    recorded = environment(device)
    assert recorded["gpu"]["name"] == torch.cuda.get_device_name(device.index)
    assert recorded["cuda"] == torch.version.cuda
    assert describe_device(device).startswith(f"cuda:{device.index} (")
