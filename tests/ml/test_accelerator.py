"""The device kind presets fit to, found without torch, agrees with the worker's device."""

from __future__ import annotations

import pytest

from studio.ml.accelerator import auto_device_kind, device_kind


def test_an_explicit_device_gives_its_kind() -> None:
    assert device_kind("cpu") == "cpu"
    assert device_kind("cuda") == "cuda"
    assert device_kind("cuda:1") == "cuda"
    assert device_kind("mps") == "mps"


def test_auto_gives_the_kind_the_worker_trains_on() -> None:
    from studio.ml.devices import choose_device

    assert device_kind("auto") == choose_device("auto").type


def test_hidden_gpus_leave_auto_off_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert auto_device_kind() != "cuda"
