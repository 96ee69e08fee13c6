"""Checkpoint files: written atomically, read back as plain tensors and values only.

A checkpoint may come from anywhere (a shared project folder, a download), and unpickling
runs code, so reading goes through `torch.load(weights_only=True)` and nothing else: a file
that holds anything but tensors and plain containers is refused before any of it runs.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import torch

from studio.core.errors import CheckpointError
from studio.core.object_store import fsync_directory, write_atomically


class _HashingWriter:
    """A write-only stream that forwards to `out` and hashes what passes through."""

    def __init__(self, out: BinaryIO, digest: Any) -> None:
        self._out = out
        self.digest = digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()


def save_checkpoint(path: Path, state: Mapping[str, Any]) -> str:
    """Write `state` to `path` through a temporary file, fsync, rename; return its sha256.

    A crash mid-write leaves the previous file at `path` untouched.
    """
    digest = hashlib.sha256()

    def write(out: BinaryIO) -> None:
        torch.save(dict(state), _HashingWriter(out, digest))

    write_atomically(Path(path), write)
    return digest.hexdigest()


def link_checkpoint(source: Path, target: Path) -> None:
    """Make `target` hold the same bytes as `source` (a hard link when the disk allows it).

    A hard link costs no space or time; once `source` is replaced by the next epoch's
    file, `target` keeps the old contents. The rename into place keeps it atomic.
    """
    source, target = Path(source), Path(target)
    temporary = target.with_name(f".{target.name}-{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        with source.open("rb") as reader:
            write_atomically(target, lambda out: shutil.copyfileobj(reader, out, 1 << 20))
        return
    try:
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def load_checkpoint(path: Path, map_location: Any = "cpu") -> dict[str, Any]:
    """The dictionary saved at `path`; CheckpointError naming the file when it cannot be read.

    Missing, truncated or damaged files and files holding anything but tensors and plain
    values (which could run code when unpickled) are all refused.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Detected pickle protocol", UserWarning)
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"checkpoint {path} is refused: it holds objects other than tensors and plain "
            f"values, which could run code when loaded ({_refused_object(error)})"
        ) from error
    except Exception as error:
        text = str(error).strip()
        reason = text.splitlines()[0].split(". ")[0] if text else type(error).__name__
        raise CheckpointError(
            f"checkpoint {path} cannot be read (damaged or truncated): {reason}"
        ) from error
    if not isinstance(state, dict):
        raise CheckpointError(
            f"checkpoint {path} holds a {type(state).__name__}, not a dictionary of tensors"
        )
    return state


def _refused_object(error: pickle.UnpicklingError) -> str:
    """What torch's safe loader refused, without its advice to load the file unsafely.

    torch's message tells the user to retry with `weights_only=False`, which would run
    whatever code the file holds: the one thing never to do with a file of unknown origin.
    Only its line naming what was refused (a GLOBAL such as `posix.system`, an opcode) is kept.
    """
    for line in str(error).splitlines():
        text = line.strip()
        if ("GLOBAL" in text or text.startswith("Unsupported")) and "weights_only" not in text:
            return text.rstrip(".")
    return type(error).__name__


def load_model_weights(module: torch.nn.Module, path: Path, model_text: str) -> int | None:
    """Load the model weights of the checkpoint at `path` into `module`; returns the
    checkpoint's epoch. `model_text` names the model in the error when they do not fit."""
    state = load_checkpoint(path)
    weights = state.get("model")
    if not isinstance(weights, Mapping):
        raise CheckpointError(f"{path}: holds no model weights")
    try:
        module.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: does not fit {model_text}: {error}") from error
    epoch = state.get("epoch")
    return int(epoch) if epoch is not None else None
