"""Checkpoint files: atomic writes, plain-tensor reads, refusals that name the file."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from pathlib import Path

import pytest
import torch

from studio.core.errors import CheckpointError
from studio.ml.checkpoints import (
    link_checkpoint,
    load_checkpoint,
    load_model_weights,
    save_checkpoint,
)


def _state() -> dict:
    model = torch.nn.Linear(4, 3)
    return {
        "epoch": 3,
        "model": model.state_dict(),
        "best_value": 0.75,
        "best_epoch": None,
        "config": {"task": "classification", "augmentations": ["hflip"], "amp": True},
        "rng": {"cpu": torch.get_rng_state()},
    }


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    state = _state()
    path = tmp_path / "runs" / "000001" / "last.pt"
    digest = save_checkpoint(path, state)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = load_checkpoint(path)
    assert loaded["epoch"] == 3
    assert loaded["best_epoch"] is None
    assert loaded["config"] == state["config"]
    for name, tensor in state["model"].items():
        assert torch.equal(loaded["model"][name], tensor)
    assert torch.equal(loaded["rng"]["cpu"], state["rng"]["cpu"])
    assert [entry.name for entry in path.parent.iterdir()] == ["last.pt"]


def test_overwriting_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"epoch": 1, "weights": torch.zeros(1000)})
    save_checkpoint(path, {"epoch": 2})
    assert load_checkpoint(path) == {"epoch": 2}


def test_a_linked_copy_keeps_its_contents_when_the_source_is_replaced(tmp_path: Path) -> None:
    last, best = tmp_path / "last.pt", tmp_path / "best.pt"
    save_checkpoint(last, {"epoch": 1})
    link_checkpoint(last, best)
    save_checkpoint(last, {"epoch": 2})
    assert load_checkpoint(best) == {"epoch": 1}
    assert load_checkpoint(last) == {"epoch": 2}


class _Exploit:
    """Unpickling this would run a shell command that creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"model": _Exploit(marker)}))
    with pytest.raises(CheckpointError, match=r"evil.pt"):
        load_checkpoint(path)
    assert not marker.exists()


def test_a_malicious_torch_save_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "evil-zip.pt"
    torch.save({"epoch": 1, "payload": _Exploit(marker)}, path)
    with pytest.raises(CheckpointError, match=r"evil-zip.pt"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_a_tampered_checkpoint_gives_one_line_without_unsafe_advice(
    tmp_path: Path, writer: str
) -> None:
    path = tmp_path / "best.pt"
    state = {"epoch": 1, "model": _Exploit(tmp_path / "marker")}
    if writer == "pickle":
        path.write_bytes(pickle.dumps(state))
    else:
        torch.save(state, path)
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(path)
    message = str(refused.value)
    assert str(path) in message
    assert "\n" not in message
    assert "weights_only" not in message


def test_a_truncated_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(path, _state())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=re.escape(str(path))):
        load_checkpoint(path)


def test_garbage_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.pt"
    path.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match=r"notes.pt"):
        load_checkpoint(path)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nothing.pt does not exist"):
        load_checkpoint(tmp_path / "nothing.pt")


def test_a_checkpoint_that_is_not_a_dictionary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tensor.pt"
    torch.save(torch.ones(2), path)
    with pytest.raises(CheckpointError, match=r"tensor.pt holds a Tensor"):
        load_checkpoint(path)


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"epoch": 1})
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save_checkpoint(path, {"epoch": 2, "bad": lambda: None})
    assert load_checkpoint(path) == {"epoch": 1}
    assert [entry.name for entry in tmp_path.iterdir()] == ["last.pt"]


def test_model_weights_load_into_a_module_and_give_the_epoch(tmp_path: Path) -> None:
    state = _state()
    save_checkpoint(tmp_path / "best.pt", state)
    module = torch.nn.Linear(4, 3)

    assert load_model_weights(module, tmp_path / "best.pt", "the run's model") == 3
    assert torch.equal(module.weight, state["model"]["weight"])


def test_model_weights_that_are_missing_or_do_not_fit_are_refused(tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "empty.pt", {"epoch": 1})
    save_checkpoint(tmp_path / "best.pt", _state())

    with pytest.raises(CheckpointError, match=r"empty\.pt: holds no model weights"):
        load_model_weights(torch.nn.Linear(4, 3), tmp_path / "empty.pt", "the run's model")
    with pytest.raises(CheckpointError, match=r"best\.pt: does not fit run a's resnet18"):
        load_model_weights(torch.nn.Linear(5, 3), tmp_path / "best.pt", "run a's resnet18")
