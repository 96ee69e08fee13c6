"""A tiny SAM 2 built from sam2's own modules with random weights (no download) answers clicks,
and its second answer on an image comes from Studio's embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("sam2", reason="the sam2 package is not installed")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

import torch  # noqa: E402
from sam2.build_sam import build_sam2  # noqa: E402
from studio_sam2.assistant import HIGH_RES_ARRAYS, Sam2Assistant  # noqa: E402
from studio_sam2.settings import Sam2Settings  # noqa: E402

from studio.plugins.assistants import (  # noqa: E402
    EmbeddingCache,
    EmbeddingKey,
    Point,
    Prompts,
    decode_mask,
    file_sha256,
)

# The official tiny config, shrunk: a 256-pixel input, a 4-block Hiera 8 channels wide.
TINY = [
    "++model.image_size=256",
    "++model.image_encoder.trunk.embed_dim=8",
    "++model.image_encoder.trunk.stages=[1,1,2,1]",
    "++model.image_encoder.trunk.global_att_blocks=[3]",
    "++model.image_encoder.neck.backbone_channel_list=[64,32,16,8]",
    "++model.memory_attention.num_layers=1",
]


@pytest.fixture(scope="module")
def tiny_model():
    """The tiny SAM 2, built once; every assistant here shares it."""
    torch.manual_seed(0)
    config = Sam2Settings(Path("unused")).config_name
    return build_sam2(config, None, "cpu", hydra_overrides_extra=TINY)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory, tiny_model) -> Path:
    """Its weights as a SAM 2 checkpoint file (what the cache keys by)."""
    path = tmp_path_factory.mktemp("sam2") / "tiny.pt"
    torch.save({"model": tiny_model.state_dict()}, path)
    return path


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A red rectangle on black, 64×48."""
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[10:30, 20:44] = (220, 40, 40)
    path = tmp_path / "square.png"
    Image.fromarray(pixels).save(path)
    return path


def tiny_assistant(checkpoint: Path, model) -> Sam2Assistant:
    return Sam2Assistant(Sam2Settings(checkpoint, "tiny"), build=lambda settings, device: model)


@pytest.fixture
def assistant(tiny_checkpoint: Path, tiny_model) -> Sam2Assistant:
    return tiny_assistant(tiny_checkpoint, tiny_model)


def test_a_click_is_answered_with_sam_masks_best_first(
    assistant: Sam2Assistant, image: Path
) -> None:
    answers = assistant.answer(image, Prompts((Point(30, 20),)))
    assert answers
    assert all(answer["source"] == "sam" for answer in answers)
    scores = [answer["score"] for answer in answers]
    assert scores == sorted(scores, reverse=True)
    assert decode_mask(answers[0]["mask"]).shape == (48, 64)


def test_the_second_answer_on_an_image_is_a_cache_hit(
    assistant: Sam2Assistant, image: Path, tiny_checkpoint: Path
) -> None:
    first = assistant.answer(image, Prompts((Point(30, 20),)))
    again = assistant.answer(image, Prompts((Point(30, 20),)))
    assert assistant.encoded == 1
    assert again == first
    key = EmbeddingKey(file_sha256(image), file_sha256(tiny_checkpoint), 256)
    entry = EmbeddingCache().get(key)
    assert entry.meta.model_kind == "sam2.1_hiera_tiny"
    assert entry.meta.original_size == (48, 64)
    assert [entry.extra_arrays[name].shape for name in HIGH_RES_ARRAYS] == [
        (1, 32, 64, 64),
        (1, 64, 32, 32),
    ]


def test_another_process_answers_from_the_cache_without_encoding(
    assistant: Sam2Assistant, image: Path, tiny_checkpoint: Path, tiny_model
) -> None:
    prompts = Prompts((Point(30, 20), Point(5, 5, positive=False)), box=(18, 8, 28, 24))
    first = assistant.answer(image, prompts)
    other = tiny_assistant(tiny_checkpoint, tiny_model)
    assert other.answer(image, prompts) == first
    assert other.encoded == 0
