"""SAM checkpoints: read the state dict, derive the architecture from it, build the model.

The architecture comes from the tensors' shapes, never from the file name, so a renamed
official file is still recognised and a fine-tuned or distilled variant still builds:

    depth                 how many `image_encoder.blocks.N` there are
    embed dim, patch      `image_encoder.patch_embed.proj.weight`: (dim, 3, patch, patch)
    image size            `image_encoder.pos_embed`: (1, size / patch, size / patch, dim)
    heads                 dim / the head width of the relative position tables
    global attention      the blocks whose position table spans the whole grid (2·grid − 1
                          rows) rather than one window (2·window − 1 rows)
    prompt embed dim      `image_encoder.neck.0.weight`: (prompt dim, dim, 1, 1)

The official ViT-B, ViT-L and ViT-H are named "vit_b", "vit_l", "vit_h" when every one of those
numbers matches segment_anything's `build_sam_vit_*`; anything else is "custom" and is built
from segment_anything's own modules with the numbers found. The mask decoder's attention head
count is not visible in any shape; it is segment_anything's 8 for every model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from segment_anything.modeling import (
    ImageEncoderViT,
    MaskDecoder,
    PromptEncoder,
    Sam,
    TwoWayTransformer,
)

from studio.core.errors import CheckpointError
from studio.core.object_store import file_sha256
from studio.ml.checkpoints import load_checkpoint, save_checkpoint
from studio.ml.sam.errors import SamError

# segment_anything's fixed choices (build_sam.py), kept for every model.
PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
DECODER_HEADS = 8
MASK_IN_CHANS_DEFAULT = 16


@dataclass(frozen=True)
class SamArchitecture:
    """The numbers that build a SAM; `model_type` is "vit_b", "vit_l", "vit_h" or "custom"."""

    encoder_depth: int
    encoder_embed_dim: int
    encoder_num_heads: int
    encoder_global_attn_indexes: tuple[int, ...]
    image_size: int
    prompt_embed_dim: int
    patch_size: int = 16
    window_size: int = 14
    mlp_ratio: float = 4.0
    mask_in_chans: int = MASK_IN_CHANS_DEFAULT
    decoder_depth: int = 2
    decoder_mlp_dim: int = 2048
    iou_head_depth: int = 3
    iou_head_hidden_dim: int = 256
    num_multimask_outputs: int = 3

    @property
    def grid_size(self) -> int:
        """Side of the image embedding (64 for the official models)."""
        return self.image_size // self.patch_size

    @property
    def low_res_mask_size(self) -> int:
        """Side of the decoder's low-resolution masks (256 for the official models)."""
        return 4 * self.grid_size

    @property
    def model_type(self) -> str:
        for name, official in OFFICIAL.items():
            if self == official:
                return name
        return "custom"

    def describe(self) -> str:
        """One line for the user: "vit_b (depth 12, dim 768, 12 heads, ..., 1024 px)"."""
        blocks = ",".join(str(index) for index in self.encoder_global_attn_indexes)
        return (
            f"{self.model_type} (depth {self.encoder_depth}, dim {self.encoder_embed_dim}, "
            f"{self.encoder_num_heads} heads, global attention in blocks {blocks}, "
            f"{self.image_size} px, prompt dim {self.prompt_embed_dim})"
        )


def _official(depth: int, dim: int, heads: int, global_blocks: tuple[int, ...]) -> SamArchitecture:
    return SamArchitecture(depth, dim, heads, global_blocks, image_size=1024, prompt_embed_dim=256)


OFFICIAL = {
    "vit_b": _official(12, 768, 12, (2, 5, 8, 11)),
    "vit_l": _official(24, 1024, 16, (5, 11, 17, 23)),
    "vit_h": _official(32, 1280, 16, (7, 15, 23, 31)),
}

TINY = SamArchitecture(
    encoder_depth=2,
    encoder_embed_dim=32,
    encoder_num_heads=2,
    encoder_global_attn_indexes=(1,),
    image_size=128,
    prompt_embed_dim=32,
    window_size=4,
    mask_in_chans=8,
    decoder_mlp_dim=64,
    iou_head_hidden_dim=32,
)
"""A SAM small enough for tests and benchmarks (about 0.2 M parameters, 8×8 embedding)."""


@dataclass(frozen=True)
class SamCheckpoint:
    """A checkpoint file as Studio records it: where, which bytes, which architecture."""

    path: Path
    sha256: str
    architecture: SamArchitecture

    @property
    def model_type(self) -> str:
        return self.architecture.model_type


_BLOCK = re.compile(r"image_encoder\.blocks\.(\d+)\.")
_DECODER_LAYER = re.compile(r"mask_decoder\.transformer\.layers\.(\d+)\.")
_IOU_LAYER = re.compile(r"mask_decoder\.iou_prediction_head\.layers\.(\d+)\.")


def _shape(state: Mapping[str, torch.Tensor], key: str) -> tuple[int, ...]:
    tensor = state.get(key)
    if not isinstance(tensor, torch.Tensor):
        raise KeyError(key)
    return tuple(tensor.shape)


def _count(state: Mapping[str, torch.Tensor], pattern: re.Pattern[str], what: str) -> int:
    """How many numbered sub-modules (`...layers.N.`) `pattern` finds in the state dict."""
    indexes = {int(match.group(1)) for key in state if (match := pattern.match(str(key)))}
    if not indexes:
        raise ValueError(f"it has no {what}")
    return 1 + max(indexes)


def architecture_of(state: Mapping[str, torch.Tensor]) -> SamArchitecture:
    """The architecture a SAM state dict was made for; KeyError/ValueError when it is none.

    Works on an in-memory state dict (`Sam.state_dict()`), so no file is needed.
    """
    dim, _, patch, _ = _shape(state, "image_encoder.patch_embed.proj.weight")
    _, grid, _, _ = _shape(state, "image_encoder.pos_embed")
    depth = _count(state, _BLOCK, "image encoder blocks")
    windows: set[int] = set()
    global_blocks: list[int] = []
    head_dims: set[int] = set()
    for block in range(depth):
        rows, head_dim = _shape(state, f"image_encoder.blocks.{block}.attn.rel_pos_h")
        head_dims.add(head_dim)
        span = (rows + 1) // 2
        if span == grid:
            global_blocks.append(block)
        else:
            windows.add(span)
    if len(head_dims) != 1 or len(windows) > 1:
        raise ValueError("the encoder's blocks disagree on head width or window size")
    (head_dim,) = head_dims
    if dim % head_dim:
        raise ValueError(f"embed dim {dim} is not a multiple of the head width {head_dim}")
    mlp_hidden, _ = _shape(state, "image_encoder.blocks.0.mlp.lin1.weight")
    prompt_dim = _shape(state, "image_encoder.neck.0.weight")[0]
    return SamArchitecture(
        encoder_depth=depth,
        encoder_embed_dim=dim,
        encoder_num_heads=dim // head_dim,
        encoder_global_attn_indexes=tuple(global_blocks),
        image_size=grid * patch,
        prompt_embed_dim=prompt_dim,
        patch_size=patch,
        window_size=windows.pop() if windows else grid,
        mlp_ratio=mlp_hidden / dim,
        mask_in_chans=_shape(state, "prompt_encoder.mask_downscaling.3.weight")[0],
        decoder_depth=_count(state, _DECODER_LAYER, "mask decoder transformer layers"),
        decoder_mlp_dim=_shape(state, "mask_decoder.transformer.layers.0.mlp.lin1.weight")[0],
        iou_head_depth=_count(state, _IOU_LAYER, "IoU prediction head"),
        iou_head_hidden_dim=_shape(state, "mask_decoder.iou_prediction_head.layers.0.weight")[0],
        num_multimask_outputs=_shape(state, "mask_decoder.mask_tokens.weight")[0] - 1,
    )


def build_sam(architecture: SamArchitecture) -> Sam:
    """A SAM with random weights, built from segment_anything's modules (as `_build_sam`)."""
    arch = architecture
    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=arch.encoder_depth,
            embed_dim=arch.encoder_embed_dim,
            img_size=arch.image_size,
            mlp_ratio=arch.mlp_ratio,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=arch.encoder_num_heads,
            patch_size=arch.patch_size,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=arch.encoder_global_attn_indexes,
            window_size=arch.window_size,
            out_chans=arch.prompt_embed_dim,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=arch.prompt_embed_dim,
            image_embedding_size=(arch.grid_size, arch.grid_size),
            input_image_size=(arch.image_size, arch.image_size),
            mask_in_chans=arch.mask_in_chans,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=arch.num_multimask_outputs,
            transformer=TwoWayTransformer(
                depth=arch.decoder_depth,
                embedding_dim=arch.prompt_embed_dim,
                mlp_dim=arch.decoder_mlp_dim,
                num_heads=DECODER_HEADS,
            ),
            transformer_dim=arch.prompt_embed_dim,
            iou_head_depth=arch.iou_head_depth,
            iou_head_hidden_dim=arch.iou_head_hidden_dim,
        ),
        pixel_mean=list(PIXEL_MEAN),
        pixel_std=list(PIXEL_STD),
    )
    return sam.eval()


def read_checkpoint(path: Path) -> tuple[SamCheckpoint, dict[str, torch.Tensor]]:
    """The checkpoint's record and its state dict; SamError naming the file when unusable."""
    path = Path(path)
    try:
        state = load_checkpoint(path)
    except CheckpointError as error:
        raise SamError(f"SAM {error}") from None
    try:
        architecture = architecture_of(state)
    except (KeyError, ValueError) as error:
        reason = f"no tensor {error}" if isinstance(error, KeyError) else str(error)
        raise SamError(
            f"{path} is not a Segment Anything checkpoint (a state dict of "
            f"segment_anything's Sam): {reason}"
        ) from None
    return SamCheckpoint(path, file_sha256(path), architecture), state


def load_sam(path: Path) -> tuple[Sam, SamCheckpoint]:
    """The SAM stored at `path`, in eval mode on the CPU, with its checkpoint record."""
    checkpoint, state = read_checkpoint(path)
    sam = build_sam(checkpoint.architecture)
    try:
        sam.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise SamError(
            f"{path} does not fit {checkpoint.architecture.describe()}: {first}"
        ) from None
    return sam, checkpoint


def save_random_sam(path: Path, architecture: SamArchitecture = TINY, seed: int = 0) -> str:
    """Build a SAM of `architecture` with seeded random weights, save it as a checkpoint
    (the plain state dict, as the official files are); returns its sha256.

    For tests and benchmarks: nothing is downloaded and the file is a few megabytes at most
    for the tiny default.
    """
    torch.manual_seed(seed)
    return save_checkpoint(Path(path), build_sam(architecture).state_dict())
