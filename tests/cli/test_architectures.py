"""`studio architectures`: Studio's own and an installed plugin's, with the plugin of each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.plugin_helpers import install_distribution

TINY_CNN = """
from studio.plugins import hookimpl

STUDIO_PLUGIN_API = 1


@hookimpl
def studio_model_architectures():
    from studio.ml.architectures import ArchitectureSpec

    def build(num_classes, input_size, pretrained):
        import torch

        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(num_classes))

    return [ArchitectureSpec("tiny_cnn", frozenset({"classification"}), "A tiny CNN", build)]
"""


def listed(*args: str) -> dict[str, dict]:
    result = run_cli("architectures", "--json", *args)
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_an_installed_plugins_architecture_is_listed_with_its_plugin(
    isolated_plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path / "site", monkeypatch, "tinyarch", TINY_CNN)
    rows = listed()
    assert rows["tiny_cnn"]["plugin"] == "tinyarch"
    assert rows["tiny_cnn"]["tasks"] == ["classification"]
    assert rows["resnet18"]["plugin"] == "studio.ml.builtin_plugin"


def test_the_task_option_keeps_only_the_architectures_able_to_do_it(
    isolated_plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path / "site", monkeypatch, "tinyarch", TINY_CNN)
    detection = listed("--task", "detection")
    assert "tiny_cnn" not in detection
    assert "fasterrcnn_mobilenet_v3_large_fpn" in detection
    assert all("detection" in row["tasks"] for row in detection.values())
