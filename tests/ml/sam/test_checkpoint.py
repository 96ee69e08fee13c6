from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from segment_anything import build_sam_vit_b

from studio.core.object_store import file_sha256
from studio.ml.sam.checkpoint import (
    OFFICIAL,
    TINY,
    SamArchitecture,
    architecture_of,
    build_sam,
    load_sam,
    read_checkpoint,
    save_random_sam,
)
from studio.ml.sam.errors import SamError


def test_tiny_checkpoint_is_custom_with_its_numbers(tiny_checkpoint_path: Path) -> None:
    checkpoint, _state = read_checkpoint(tiny_checkpoint_path)
    arch = checkpoint.architecture
    assert checkpoint.model_type == "custom"
    assert (arch.encoder_depth, arch.encoder_embed_dim, arch.encoder_num_heads) == (2, 32, 2)
    assert arch.encoder_global_attn_indexes == (1,)
    assert (arch.image_size, arch.prompt_embed_dim, arch.window_size) == (128, 32, 4)
    assert arch == TINY


def test_checkpoint_records_the_files_sha256(tiny_checkpoint_path: Path) -> None:
    checkpoint, _state = read_checkpoint(tiny_checkpoint_path)
    assert checkpoint.sha256 == file_sha256(tiny_checkpoint_path)


def test_vit_b_state_dict_is_detected_as_vit_b_without_a_file() -> None:
    state = build_sam_vit_b().state_dict()  # random weights, nothing downloaded or saved
    architecture = architecture_of(state)
    assert architecture == OFFICIAL["vit_b"]
    assert architecture.model_type == "vit_b"
    assert architecture.encoder_global_attn_indexes == (2, 5, 8, 11)


def test_a_variant_of_an_official_model_is_custom() -> None:
    shallower = dataclasses.replace(OFFICIAL["vit_b"], encoder_depth=6)
    assert shallower.model_type == "custom"


def test_architecture_comes_from_shapes_not_the_file_name(tmp_path: Path) -> None:
    misleading = tmp_path / "sam_vit_h_4b8939.pth"
    save_random_sam(misleading)
    assert read_checkpoint(misleading)[0].model_type == "custom"


def test_custom_architecture_builds_and_loads_its_weights(
    tiny_checkpoint_path: Path, tiny_sam: tuple
) -> None:
    sam, _checkpoint = tiny_sam
    saved = torch.load(tiny_checkpoint_path, weights_only=True)
    for name, tensor in sam.state_dict().items():
        assert torch.equal(tensor, saved[name]), name


def test_two_head_encoder_with_three_global_blocks_round_trips() -> None:
    arch = SamArchitecture(4, 48, 3, (0, 2, 3), 64, 16, window_size=2, mlp_ratio=2.0)
    assert architecture_of(build_sam(arch).state_dict()) == arch


def test_garbage_file_is_one_line_error_naming_it(tmp_path: Path) -> None:
    garbage = tmp_path / "sam.pth"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(SamError, match=r"sam\.pth") as raised:
        load_sam(garbage)
    assert "\n" not in str(raised.value)


def test_state_dict_of_another_model_is_refused_naming_the_file(tmp_path: Path) -> None:
    other = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(8, 3, 3, 3)}, other)
    with pytest.raises(SamError, match=r"resnet\.pth is not a Segment Anything checkpoint"):
        read_checkpoint(other)


def test_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SamError, match=r"absent\.pth does not exist"):
        read_checkpoint(tmp_path / "absent.pth")


def test_state_dict_without_a_mask_decoder_says_what_is_missing(tmp_path: Path) -> None:
    state = {
        name: tensor
        for name, tensor in build_sam(TINY).state_dict().items()
        if not name.startswith("mask_decoder.transformer.layers.")
    }
    encoder_only = tmp_path / "encoder_only.pth"
    torch.save(state, encoder_only)
    message = r"encoder_only\.pth .* has no mask decoder transformer layers"
    with pytest.raises(SamError, match=message):
        read_checkpoint(encoder_only)
