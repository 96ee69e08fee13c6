"""Fixtures of the SAM tests: a tiny SAM checkpoint with random weights, its exported decoder,
and a real photograph (scikit-image's astronaut, shrunk) with its embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from segment_anything.modeling import Sam
from skimage import data

from studio.ml.sam.checkpoint import SamCheckpoint, load_sam, save_random_sam
from studio.ml.sam.decoder_export import write_decoder_onnx
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.encoder import SamEncoder


@pytest.fixture(scope="package")
def tiny_checkpoint_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sam") / "tiny_sam.pth"
    save_random_sam(path)
    return path


@pytest.fixture(scope="package")
def tiny_sam(tiny_checkpoint_path: Path) -> tuple[Sam, SamCheckpoint]:
    return load_sam(tiny_checkpoint_path)


@pytest.fixture(scope="package")
def tiny_decoder(tmp_path_factory: pytest.TempPathFactory, tiny_sam: tuple) -> Path:
    """The tiny SAM's decoder as ONNX, written but not parity-checked or cached."""
    sam, checkpoint = tiny_sam
    path = tmp_path_factory.mktemp("decoder") / "decoder.onnx"
    write_decoder_onnx(sam, path, checkpoint)
    return path


@pytest.fixture(scope="package")
def photograph() -> np.ndarray:
    """scikit-image's astronaut at 96×128 (not square, so padding and cropping matter)."""
    return np.asarray(Image.fromarray(data.astronaut()).resize((128, 96)))


@pytest.fixture(scope="package")
def photograph_embedding(tiny_sam: tuple, photograph: np.ndarray) -> ImageEmbedding:
    return SamEncoder(tiny_sam[0], "cpu").encode(photograph)
