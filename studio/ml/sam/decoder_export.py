"""Export SAM's prompt decoder to ONNX once per checkpoint, and prove it matches SamPredictor.

The graph is segment_anything's own `SamOnnxModel` (its prompt embedding and mask decoder,
with `return_single_mask=False`, so one file carries all four mask tokens: the single-mask
output that `multimask_output=False` returns and the three ambiguity masks) without its last
step, `mask_postprocessing`: that step upscales all four masks to the image's size, twice,
on every click (a fifth of a ViT-B click on a CPU, most of a small decoder's) although one
mask is shown. The graph returns the
predicted IoUs and low-resolution logits instead, and `studio.ml.sam.mask_upscaling` upscales
the one mask shown, as `SamPredictor` does. The file is checked with
`onnx.checker`, then its answers to a fixed set of prompts (one click, clicks of both signs,
a box, a box with a click, a click refined with the previous low-res mask) are compared with
`SamPredictor.predict` on the same embedding. Out of tolerance is an error, as a bundle's
failed parity is, and nothing is cached.

The decoder and its parity report are cached in `<cache>/sam/decoders/v2/<checkpoint sha256>/`
(written in a temporary folder and renamed into place), so every project using the checkpoint
shares one export.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from segment_anything import SamPredictor
from segment_anything.modeling import Sam
from segment_anything.utils.onnx import SamOnnxModel

from studio.ml.sam.checkpoint import SamCheckpoint
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError, SamParityError
from studio.ml.sam.onnx_decoder import (
    DECODER_FILE,
    DECODER_FORMAT,
    PARITY_FILE,
    LongestSideTransform,
    OnnxPromptDecoder,
    cached_decoder_path,
    decoder_folder,
)

OPSET = 17
INPUT_NAMES = [
    "image_embeddings",
    "point_coords",
    "point_labels",
    "mask_input",
    "has_mask_input",
]
OUTPUT_NAMES = ["iou_predictions", "low_res_masks"]

# Tolerances of the parity check. ONNX Runtime and torch sum in different orders, so float32
# logits differ in the last bits; masks are those logits thresholded at 0, so a pixel whose
# logit sits within that noise of 0 may flip. Upscaled logits may differ by LOGIT_ATOL plus
# LOGIT_RTOL of the largest logit, predicted IoUs by SCORE_ATOL, and at most MASK_DISAGREEMENT
# of the pixels may fall on different sides of the threshold.
LOGIT_ATOL = 1e-3
LOGIT_RTOL = 1e-3
SCORE_ATOL = 1e-3
MASK_DISAGREEMENT = 1e-3
# The parity image size: not square, so cropping away the padding is exercised too.
PARITY_SIZE = (180, 240)


@dataclass(frozen=True)
class PromptParity:
    """How far the ONNX decoder was from SamPredictor on one prompt."""

    prompt: str
    max_logit_difference: float
    logit_tolerance: float
    max_score_difference: float
    mask_disagreement: float

    @property
    def passed(self) -> bool:
        return (
            self.max_logit_difference <= self.logit_tolerance
            and self.max_score_difference <= SCORE_ATOL
            and self.mask_disagreement <= MASK_DISAGREEMENT
        )


@dataclass(frozen=True)
class DecoderParity:
    """The parity check of one exported decoder, prompt by prompt."""

    prompts: tuple[PromptParity, ...]

    @property
    def passed(self) -> bool:
        return all(prompt.passed for prompt in self.prompts)

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "tolerances": {
                "logit_atol": LOGIT_ATOL,
                "logit_rtol": LOGIT_RTOL,
                "score_atol": SCORE_ATOL,
                "mask_disagreement": MASK_DISAGREEMENT,
            },
            "prompts": [asdict(prompt) for prompt in self.prompts],
        }


@dataclass(frozen=True)
class ExportedDecoder:
    """A parity-checked decoder file; `parity` is None when it came from the cache."""

    path: Path
    parity: DecoderParity | None


def parity_embedding(sam: Sam, seed: int = 0) -> ImageEmbedding:
    """A seeded random embedding of the model's shape, for the parity check.

    The decoder's arithmetic does not depend on where the embedding came from, and this costs
    nothing where encoding a real image with ViT-H takes a minute on a CPU.
    """
    image_size = sam.image_encoder.img_size
    grid = sam.prompt_encoder.image_embedding_size
    channels = sam.prompt_encoder.embed_dim
    generator = np.random.default_rng(seed)
    array = generator.normal(size=(1, channels, *grid)).astype(np.float16)
    resized = LongestSideTransform(image_size).preprocess_shape(*PARITY_SIZE)
    return ImageEmbedding(array, PARITY_SIZE, resized)


class LowResolutionSamOnnxModel(SamOnnxModel):
    """`SamOnnxModel.forward` up to the mask decoder's output: predicted IoUs (1, 4) and
    low-resolution logits (1, 4, 4·grid, 4·grid), with no upscaling and no `orig_im_size`."""

    @torch.no_grad()
    def forward(  # type: ignore[override]
        self,
        image_embeddings: torch.Tensor,
        point_coords: torch.Tensor,
        point_labels: torch.Tensor,
        mask_input: torch.Tensor,
        has_mask_input: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        masks, scores = self.model.mask_decoder.predict_masks(
            image_embeddings=image_embeddings,
            image_pe=self.model.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=self._embed_points(point_coords, point_labels),
            dense_prompt_embeddings=self._embed_masks(mask_input, has_mask_input),
        )
        return scores, masks


def write_decoder_onnx(sam: Sam, path: Path, checkpoint: SamCheckpoint) -> None:
    """Export `sam`'s prompt decoder to `path` (dynamic point count) and check it."""
    import onnx

    onnx_model = LowResolutionSamOnnxModel(sam, return_single_mask=False).eval()
    grid = sam.prompt_encoder.image_embedding_size
    low_res = [4 * side for side in grid]
    example = (
        torch.randn(1, sam.prompt_encoder.embed_dim, *grid),
        torch.randint(0, sam.image_encoder.img_size, (1, 5, 2)).float(),
        torch.randint(0, 4, (1, 5)).float(),
        torch.randn(1, 1, *low_res),
        torch.tensor([1.0]),
    )
    axes = {"point_coords": {1: "num_points"}, "point_labels": {1: "num_points"}}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                onnx_model,
                example,
                str(path),
                dynamo=False,
                opset_version=OPSET,
                input_names=INPUT_NAMES,
                output_names=OUTPUT_NAMES,
                dynamic_axes=axes,
                do_constant_folding=True,
            )
        model = onnx.load(str(path))
        metadata = {
            "image_size": str(sam.image_encoder.img_size),
            "checkpoint_sha256": checkpoint.sha256,
            "model_type": checkpoint.model_type,
            "decoder_format": str(DECODER_FORMAT),
        }
        for key, value in metadata.items():
            model.metadata_props.add(key=key, value=value)
        onnx.save(model, str(path))
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SamError(
            f"SAM decoder export for {checkpoint.path} failed (opset {OPSET}): {first}"
        ) from None


def predictor_with_embedding(sam: Sam, embedding: ImageEmbedding) -> SamPredictor:
    """A SamPredictor set to `embedding` without running the encoder.

    These are the four attributes `SamPredictor.set_torch_image` fills after encoding.
    """
    predictor = SamPredictor(sam)
    predictor.features = torch.from_numpy(embedding.embedding.astype(np.float32))
    predictor.original_size = embedding.original_size
    predictor.input_size = embedding.input_size
    predictor.is_image_set = True
    return predictor


def _parity_prompts(size: tuple[int, int]) -> dict[str, dict]:
    height, width = size
    centre = [width * 0.5, height * 0.5]
    corner = [width * 0.2, height * 0.25]
    box = np.array([width * 0.15, height * 0.2, width * 0.7, height * 0.8])
    return {
        "one click": {"points": [centre], "labels": [1], "multimask": True},
        "clicks of both signs": {"points": [centre, corner], "labels": [1, 0], "multimask": False},
        "box": {"box": box, "multimask": False},
        "box and click": {"points": [centre], "labels": [0], "box": box, "multimask": True},
    }


def _compare(
    name: str,
    onnx_logits: np.ndarray,
    onnx_scores: np.ndarray,
    logits: np.ndarray,
    scores: np.ndarray,
) -> PromptParity:
    tolerance = LOGIT_ATOL + LOGIT_RTOL * float(np.abs(logits).max())
    disagreement = np.mean((onnx_logits > 0) != (logits > 0))
    return PromptParity(
        prompt=name,
        max_logit_difference=float(np.abs(onnx_logits - logits).max()),
        logit_tolerance=tolerance,
        max_score_difference=float(np.abs(onnx_scores - scores).max()),
        mask_disagreement=float(disagreement),
    )


def measure_parity(
    decoder_path: Path, sam: Sam, embedding: ImageEmbedding | None = None
) -> DecoderParity:
    """Compare the ONNX decoder at `decoder_path` with SamPredictor over `sam`, prompt by prompt.

    The comparison is on logits at the image's size (the decoder's low-res logits upscaled by
    `mask_upscaling` against `predict(return_logits=True)`), which is stricter than comparing
    thresholded masks, and covers the upscaling as well as the graph.
    """
    embedding = embedding or parity_embedding(sam)
    decoder = OnnxPromptDecoder(decoder_path)
    predictor = predictor_with_embedding(sam, embedding)
    results = []
    for name, prompt in _parity_prompts(embedding.original_size).items():
        points = np.asarray(prompt["points"], float) if "points" in prompt else None
        labels = np.asarray(prompt["labels"]) if "labels" in prompt else None
        box = prompt.get("box")
        multimask = prompt["multimask"]
        raw = decoder.decode_logits(embedding, points, labels, box, None, multimask)
        logits, scores, low_res = predictor.predict(
            points, labels, box, multimask_output=multimask, return_logits=True
        )
        results.append(_compare(name, raw.logits, raw.scores, logits, scores))
        if name == "one click":
            previous = low_res[int(np.argmax(scores))][None]
            raw = decoder.decode_logits(embedding, points, labels, None, previous, multimask)
            logits, scores, _ = predictor.predict(
                points, labels, None, previous, multimask_output=multimask, return_logits=True
            )
            results.append(
                _compare("click refined with its mask", raw.logits, raw.scores, logits, scores)
            )
    return DecoderParity(tuple(results))


def check_decoder_parity(
    decoder_path: Path, sam: Sam, embedding: ImageEmbedding | None = None
) -> DecoderParity:
    """`measure_parity`, raising SamParityError naming the file when it is out of tolerance."""
    parity = measure_parity(decoder_path, sam, embedding)
    failed = [prompt for prompt in parity.prompts if not prompt.passed]
    if failed:
        worst = failed[0]
        raise SamParityError(
            f"SAM decoder {decoder_path} disagrees with SamPredictor on {len(failed)} of "
            f"{len(parity.prompts)} prompts ({worst.prompt}: logits differ by "
            f"{worst.max_logit_difference:.3g} > {worst.logit_tolerance:.3g} allowed, IoU "
            f"predictions by {worst.max_score_difference:.3g}, "
            f"{worst.mask_disagreement:.2%} of pixels differ); it was not cached"
        )
    return parity


def export_decoder(sam: Sam, checkpoint: SamCheckpoint) -> ExportedDecoder:
    """The checkpoint's parity-checked ONNX decoder, exported now unless already cached."""
    cached = cached_decoder_path(checkpoint.sha256)
    if cached is not None:
        return ExportedDecoder(cached, None)
    final = decoder_folder(checkpoint.sha256)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=".incoming-"))
    try:
        write_decoder_onnx(sam, staging / DECODER_FILE, checkpoint)
        parity = check_decoder_parity(staging / DECODER_FILE, sam)
        report = {"checkpoint": str(checkpoint.path), **parity.as_dict()}
        (staging / PARITY_FILE).write_text(json.dumps(report, indent=2))
        shutil.rmtree(final, ignore_errors=True)  # an incomplete folder from a crash
        try:
            os.replace(staging, final)
        except OSError:
            # Another process exported the same checkpoint first; its copy is as good.
            if cached_decoder_path(checkpoint.sha256) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportedDecoder(final / DECODER_FILE, parity)
