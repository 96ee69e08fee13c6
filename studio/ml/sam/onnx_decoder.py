"""SAM's prompt decoder in ONNX Runtime: prompts in, masks out, with numpy and nothing else.

The GUI process decodes every click and every pointer move through this module, so it imports
neither torch nor segment_anything (a test checks `sys.modules`). The decoder file comes from
`studio.ml.sam.decoder_export`, which runs once per checkpoint in a worker; its metadata
(image size, checkpoint sha256, model type) travels inside the ONNX file.

The prompt handling mirrors `SamPredictor.predict`: points and box corners are mapped into the
encoder's input frame as `ResizeLongestSide` does (reimplemented here in numpy), a padding point
is added when there is no box, and `multimask=True` returns the decoder's three ambiguity masks
while `False` returns its single-mask output.

The graph stops at the decoder's low-resolution logits and predicted IoUs (see
`decoder_export`); a mask is upscaled to the image's size here, only when it is asked for
(`DecodedMasks.mask`), so a click costs one upscaled mask, not four.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.thumbnails import cache_dir
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError
from studio.ml.sam.mask_upscaling import upscale_logits

# What the exported graph computes. Version 1 (Studio before this format existed) returned four
# masks upscaled to `orig_im_size`; version 2 returns the low-resolution logits and predicted
# IoUs only. The cache folder is per format, so an older export is exported again, not misread.
DECODER_FORMAT = 2
DECODER_FILE = "decoder.onnx"
PARITY_FILE = "parity.json"
MASK_THRESHOLD = 0.0
# Point labels of SAM's prompt encoder.
PADDING_LABEL = -1.0
BOX_TOP_LEFT_LABEL = 2.0
BOX_BOTTOM_RIGHT_LABEL = 3.0


def decoder_folder(checkpoint_sha256: str) -> Path:
    """Where the decoder exported for a checkpoint lives:
    `<cache>/sam/decoders/v<DECODER_FORMAT>/<sha256>/`."""
    return cache_dir() / "sam" / "decoders" / f"v{DECODER_FORMAT}" / checkpoint_sha256


def cached_decoder_path(checkpoint_sha256: str) -> Path | None:
    """The parity-checked decoder of a checkpoint, or None when it was not exported yet."""
    folder = decoder_folder(checkpoint_sha256)
    path = folder / DECODER_FILE
    return path if path.is_file() and (folder / PARITY_FILE).is_file() else None


class LongestSideTransform:
    """segment_anything's `ResizeLongestSide` coordinate maths, in numpy.

    The image is scaled so its longest side is `target_length` (rounded half up), then padded
    to a square; a point (x, y) in the original image moves by the same scale per axis.
    """

    def __init__(self, target_length: int) -> None:
        self.target_length = target_length

    def preprocess_shape(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) of the resized image before padding."""
        scale = self.target_length * 1.0 / max(height, width)
        return int(height * scale + 0.5), int(width * scale + 0.5)

    def apply_coords(self, coords: np.ndarray, original_size: tuple[int, int]) -> np.ndarray:
        """Points (..., 2) as (x, y) in the original image -> in the encoder's input frame."""
        old_height, old_width = original_size
        new_height, new_width = self.preprocess_shape(old_height, old_width)
        coords = np.array(coords, dtype=float)
        coords[..., 0] = coords[..., 0] * (new_width / old_width)
        coords[..., 1] = coords[..., 1] * (new_height / old_height)
        return coords

    def apply_boxes(self, boxes: np.ndarray, original_size: tuple[int, int]) -> np.ndarray:
        """Boxes (B, 4) as x0, y0, x1, y1 -> in the encoder's input frame."""
        boxes = np.asarray(boxes, dtype=float)
        return self.apply_coords(boxes.reshape(-1, 2, 2), original_size).reshape(-1, 4)


@dataclass(frozen=True)
class DecodedLogits:
    """The decoder's answer as logits: masks (N, H, W) at the image's size, predicted IoUs,
    low-res logits."""

    logits: np.ndarray
    scores: np.ndarray
    low_res_logits: np.ndarray


@dataclass(frozen=True)
class DecodedMasks:
    """The decoder's answer to one prompt.

    `scores` (N,) the predicted IoU of each mask, `low_res_logits` (N, 4·grid, 4·grid) to pass
    back as `previous` when the user refines. `mask(index)` is one mask, (H, W) bool at the
    original image size, upscaled on first use; `masks` all N of them.
    """

    scores: np.ndarray
    low_res_logits: np.ndarray
    image_size: int
    input_size: tuple[int, int]
    original_size: tuple[int, int]
    _masks: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def best(self) -> int:
        """Index of the mask with the highest predicted IoU."""
        return int(np.argmax(self.scores))

    def __len__(self) -> int:
        return len(self.scores)

    def mask(self, index: int) -> np.ndarray:
        """Mask `index`, (height, width) bool at the original image size."""
        if index not in self._masks:
            logits = upscale_logits(
                self.low_res_logits[index], self.image_size, self.input_size, self.original_size
            )
            self._masks[index] = logits > MASK_THRESHOLD
        return self._masks[index]

    @property
    def masks(self) -> np.ndarray:
        """All masks, (N, height, width) bool."""
        return np.stack([self.mask(index) for index in range(len(self))])


class OnnxPromptDecoder:
    """A loaded decoder file; `decode` is safe to call from one thread at a time per object."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Clicks come at a person's pace: threads spinning between them only take the CPU
        # from the window and from the mask upscaling that follows each decode.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        try:
            self._session = onnxruntime.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            first = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise SamError(f"SAM decoder {self.path} cannot be loaded: {first}") from None
        metadata = self._session.get_modelmeta().custom_metadata_map
        try:
            self.image_size = int(metadata["image_size"])
            self.checkpoint_sha256 = metadata["checkpoint_sha256"]
            self.model_type = metadata["model_type"]
        except (KeyError, ValueError):
            raise SamError(
                f"SAM decoder {self.path} lacks Studio's metadata (image_size, "
                "checkpoint_sha256, model_type); export it again"
            ) from None
        if metadata.get("decoder_format") != str(DECODER_FORMAT):
            raise SamError(
                f"SAM decoder {self.path} was exported by an older Studio (format "
                f"{metadata.get('decoder_format', 1)}, this one reads {DECODER_FORMAT}); "
                "export it again"
            )
        inputs = {node.name: node for node in self._session.get_inputs()}
        self.low_res_size = int(inputs["mask_input"].shape[-1])
        self.transform = LongestSideTransform(self.image_size)

    def decode(
        self,
        embedding: ImageEmbedding,
        points: Any = None,
        labels: Any = None,
        box: Any = None,
        previous: np.ndarray | None = None,
        multimask: bool = True,
    ) -> DecodedMasks:
        """Masks for `points` ((N, 2) x, y in image pixels) with `labels` ((N,), 1 foreground,
        0 background) and/or `box` (x0, y0, x1, y1); `previous` is one low-res logit mask from
        an earlier answer. Three masks with `multimask`, else the single best-guess mask."""
        coords, point_labels = self._prompt_arrays(embedding, points, labels, box)
        if previous is None:
            mask_input = np.zeros((1, 1, self.low_res_size, self.low_res_size), np.float32)
            has_mask = np.zeros(1, np.float32)
        else:
            mask_input = np.asarray(previous, np.float32).reshape(
                1, 1, self.low_res_size, self.low_res_size
            )
            has_mask = np.ones(1, np.float32)
        scores, low_res = self._session.run(
            None,
            {
                "image_embeddings": np.asarray(embedding.embedding, np.float32),
                "point_coords": coords,
                "point_labels": point_labels,
                "mask_input": mask_input,
                "has_mask_input": has_mask,
            },
        )
        chosen = slice(1, None) if multimask else slice(0, 1)
        return DecodedMasks(
            scores[0, chosen],
            low_res[0, chosen],
            self.image_size,
            embedding.input_size,
            embedding.original_size,
        )

    def decode_logits(
        self,
        embedding: ImageEmbedding,
        points: Any = None,
        labels: Any = None,
        box: Any = None,
        previous: np.ndarray | None = None,
        multimask: bool = True,
    ) -> DecodedLogits:
        """`decode` before thresholding: every mask as logits at the original image size."""
        answer = self.decode(embedding, points, labels, box, previous, multimask)
        logits = upscale_logits(
            answer.low_res_logits, self.image_size, embedding.input_size, embedding.original_size
        )
        return DecodedLogits(logits, answer.scores, answer.low_res_logits)

    def _prompt_arrays(
        self, embedding: ImageEmbedding, points: Any, labels: Any, box: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        coords = np.zeros((0, 2))
        point_labels = np.zeros(0)
        if points is not None:
            coords = np.asarray(points, dtype=float).reshape(-1, 2)
            point_labels = np.asarray(labels if labels is not None else [], float).reshape(-1)
            if len(point_labels) != len(coords):
                raise SamError("SAM prompt: give one label (1 or 0) per point")
        if box is not None:
            corners = np.asarray(box, dtype=float).reshape(2, 2)
            coords = np.concatenate([coords, corners])
            point_labels = np.concatenate(
                [point_labels, [BOX_TOP_LEFT_LABEL, BOX_BOTTOM_RIGHT_LABEL]]
            )
        elif len(coords):
            coords = np.concatenate([coords, np.zeros((1, 2))])
            point_labels = np.concatenate([point_labels, [PADDING_LABEL]])
        else:
            raise SamError("SAM prompt: give at least one point or a box")
        coords = self.transform.apply_coords(coords, embedding.original_size)
        return coords[None].astype(np.float32), point_labels[None].astype(np.float32)
