"""SAM's image encoder: an RGB image -> an fp16 embedding, as `SamPredictor.set_image` does.

The image is resized so its longest side is the encoder's input size (segment_anything's
`ResizeLongestSide`), normalised with the model's pixel mean and std and padded to a square
(`Sam.preprocess`). On a CUDA GPU the encoder runs under float16 autocast; elsewhere in
float32. The embedding is returned as float16 either way (half the disk and memory, and the
decoder's masks do not change visibly). This runs in a worker process: it imports torch.
"""

from __future__ import annotations

import numpy as np
import torch
from segment_anything.modeling import Sam
from segment_anything.utils.transforms import ResizeLongestSide

from studio.ml.devices import choose_device, describe_device
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError


def as_rgb(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 view of a grey, RGB or RGBA uint8 image."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise SamError(f"SAM encoder: expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3]
    raise SamError(
        f"SAM encoder: expected an (H, W), (H, W, 3) or (H, W, 4) image, got {image.shape}"
    )


class SamEncoder:
    """Encodes images with one SAM's image encoder on the chosen device."""

    def __init__(self, sam: Sam, device: str = "auto") -> None:
        self.device = choose_device(device)
        self.half = self.device.type == "cuda"
        self.sam = sam.eval().to(self.device)  # moves the caller's model there
        self.transform = ResizeLongestSide(sam.image_encoder.img_size)

    def describe(self) -> str:
        """The device in words, with the precision: "cuda:0 (NVIDIA H100) fp16"."""
        return f"{describe_device(self.device)} {'fp16' if self.half else 'fp32'}"

    @torch.inference_mode()
    def encode(self, image: np.ndarray) -> ImageEmbedding:
        """The embedding of one (H, W, 3) RGB uint8 image (grey and RGBA are accepted)."""
        rgb = as_rgb(image)
        resized = self.transform.apply_image(rgb)
        pixels = torch.as_tensor(resized, device=self.device).permute(2, 0, 1).contiguous()[None]
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.half):
            features = self.sam.image_encoder(self.sam.preprocess(pixels))
        embedding = features.to(torch.float16).cpu().numpy()
        return ImageEmbedding(
            embedding,
            original_size=(int(rgb.shape[0]), int(rgb.shape[1])),
            input_size=(int(resized.shape[0]), int(resized.shape[1])),
        )
