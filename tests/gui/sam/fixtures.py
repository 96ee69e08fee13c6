"""A tiny random SAM for the window's tests: its checkpoint, its decoder exported once per test
session, and helpers that put an image's embedding into the test's own cache folder
(tests/gui/conftest.py offers these fixtures to the GUI tests)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.api import Project
from studio.api.sam import SAM_CHECKPOINT_SETTING
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.ml.sam.checkpoint import load_sam, save_random_sam
from studio.ml.sam.decoder_export import export_decoder
from studio.ml.sam.encoder import SamEncoder
from studio.ml.sam.onnx_decoder import decoder_folder


@dataclass(frozen=True)
class TinySam:
    checkpoint: Path
    sha256: str
    image_size: int
    model_type: str
    decoders: Path  # a cache folder's sam/decoders/v2 with this checkpoint's decoder
    encoder: SamEncoder

    def install_decoder(self) -> None:
        """Copy the exported decoder into the running test's cache folder."""
        target = decoder_folder(self.sha256)
        shutil.copytree(self.decoders / self.sha256, target, dirs_exist_ok=True)

    def choose_for(self, project: Project) -> None:
        """Record this checkpoint as the project's, as `Project.set_sam_checkpoint` does once
        its `sam-inspect` worker has read the file (a worker run saved: the values are known)."""
        status = self.checkpoint.stat()
        recorded = {
            "path": str(self.checkpoint),
            "sha256": self.sha256,
            "model_type": self.model_type,
            "input_size": self.image_size,
            "size": status.st_size,
            "mtime_ns": status.st_mtime_ns,
        }
        project.set_setting(SAM_CHECKPOINT_SETTING, recorded)
        chosen = project.sam_checkpoint()
        assert chosen is not None
        assert chosen.usable, chosen.problem

    def cache_embedding(self, image: Path, sha256: str) -> None:
        """Encode `image` here (no worker) into the running test's embedding cache."""
        pixels = np.asarray(Image.open(image).convert("RGB"))
        embedding = self.encoder.encode(pixels)
        key = EmbeddingKey(sha256, self.sha256, self.image_size)
        EmbeddingCache().put(key, embedding.embedding, embedding.meta(self.model_type))


@pytest.fixture(scope="session")
def tiny_sam(tmp_path_factory: pytest.TempPathFactory) -> TinySam:
    folder = tmp_path_factory.mktemp("tiny_sam")
    path = folder / "tiny_sam.pth"
    save_random_sam(path)
    sam, checkpoint = load_sam(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_CACHE_DIR", str(folder / "cache"))
        exported = export_decoder(sam, checkpoint)
    decoders = exported.path.parent.parent
    return TinySam(
        path,
        checkpoint.sha256,
        checkpoint.architecture.image_size,
        checkpoint.model_type,
        decoders,
        SamEncoder(sam, "cpu"),
    )
