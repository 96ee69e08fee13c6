from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from segment_anything.utils.transforms import ResizeLongestSide

from studio.ml.sam.decoder_export import predictor_with_embedding
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError
from studio.ml.sam.onnx_decoder import LongestSideTransform, OnnxPromptDecoder

SIZES = [(96, 128), (128, 96), (1, 1000), (333, 333), (480, 641), (1080, 1920)]


@pytest.mark.parametrize("size", SIZES)
def test_coordinate_transform_equals_resize_longest_side(size: tuple[int, int]) -> None:
    points = np.random.default_rng(0).uniform(0, max(size), (7, 2))
    boxes = np.random.default_rng(1).uniform(0, max(size), (3, 4))
    for target in (128, 1024):
        ours, theirs = LongestSideTransform(target), ResizeLongestSide(target)
        assert ours.preprocess_shape(*size) == theirs.get_preprocess_shape(*size, target)
        np.testing.assert_array_equal(
            ours.apply_coords(points, size), theirs.apply_coords(points, size)
        )
        np.testing.assert_array_equal(
            ours.apply_boxes(boxes, size), theirs.apply_boxes(boxes, size)
        )


@pytest.mark.parametrize(
    "prompt",
    [
        {"points": [[64, 40]], "labels": [1], "multimask": True},
        {"points": [[64, 40], [20, 80]], "labels": [1, 0], "multimask": False},
        {"box": [30, 10, 100, 90], "multimask": False},
        {"points": [[64, 40]], "labels": [1], "box": [30, 10, 100, 90], "multimask": True},
    ],
    ids=["click", "two clicks", "box", "box and click"],
)
def test_masks_match_sam_predictor_on_a_photographs_embedding(
    tiny_sam: tuple, tiny_decoder: Path, photograph_embedding: ImageEmbedding, prompt: dict
) -> None:
    points = np.asarray(prompt["points"], float) if "points" in prompt else None
    labels = np.asarray(prompt["labels"]) if "labels" in prompt else None
    box = np.asarray(prompt["box"], float) if "box" in prompt else None
    decoded = OnnxPromptDecoder(tiny_decoder).decode(
        photograph_embedding, points, labels, box, multimask=prompt["multimask"]
    )
    predictor = predictor_with_embedding(tiny_sam[0], photograph_embedding)
    masks, scores, low_res = predictor.predict(
        points, labels, box, multimask_output=prompt["multimask"]
    )
    assert decoded.masks.dtype == bool
    assert decoded.masks.shape == masks.shape == (len(scores), 96, 128)
    assert np.mean(decoded.masks != masks) <= 1e-3
    np.testing.assert_allclose(decoded.scores, scores, atol=1e-4)
    np.testing.assert_allclose(decoded.low_res_logits, low_res, atol=1e-3)


def test_refining_with_the_previous_mask_matches_sam_predictor(
    tiny_sam: tuple, tiny_decoder: Path, photograph_embedding: ImageEmbedding
) -> None:
    decoder = OnnxPromptDecoder(tiny_decoder)
    first = decoder.decode(photograph_embedding, [[64, 40]], [1])
    previous = first.low_res_logits[first.best]
    refined = decoder.decode(photograph_embedding, [[64, 40], [90, 30]], [1, 1], previous=previous)
    predictor = predictor_with_embedding(tiny_sam[0], photograph_embedding)
    masks, _scores, _ = predictor.predict(
        np.array([[64.0, 40.0], [90.0, 30.0]]), np.array([1, 1]), mask_input=previous[None]
    )
    assert np.mean(refined.masks != masks) <= 1e-3


def test_a_prompt_needs_a_point_or_a_box(
    tiny_decoder: Path, photograph_embedding: ImageEmbedding
) -> None:
    with pytest.raises(SamError, match="at least one point or a box"):
        OnnxPromptDecoder(tiny_decoder).decode(photograph_embedding)


def test_points_need_one_label_each(
    tiny_decoder: Path, photograph_embedding: ImageEmbedding
) -> None:
    with pytest.raises(SamError, match="one label"):
        OnnxPromptDecoder(tiny_decoder).decode(photograph_embedding, [[1, 2], [3, 4]], [1])


def test_unreadable_decoder_file_is_an_error_naming_it(tmp_path: Path) -> None:
    damaged = tmp_path / "decoder.onnx"
    damaged.write_bytes(b"\x00garbage")
    with pytest.raises(SamError, match=r"decoder\.onnx cannot be loaded") as raised:
        OnnxPromptDecoder(damaged)
    assert "\n" not in str(raised.value)


def test_onnx_decoder_imports_no_torch(tiny_decoder: Path) -> None:
    script = (
        "import sys, numpy as np\n"
        "from studio.ml.sam.onnx_decoder import OnnxPromptDecoder\n"
        "from studio.ml.sam.embedding import ImageEmbedding\n"
        f"decoder = OnnxPromptDecoder({str(tiny_decoder)!r})\n"
        "embedding = ImageEmbedding(np.zeros((1, 32, 8, 8), np.float16), (50, 70), (91, 128))\n"
        "decoder.decode(embedding, [[10, 10]], [1])\n"
        "heavy = ('torch', 'segment_anything')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
