from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
import torch

from studio.ml.sam import decoder_export
from studio.ml.sam.checkpoint import load_sam
from studio.ml.sam.decoder_export import check_decoder_parity, export_decoder
from studio.ml.sam.errors import SamError, SamParityError
from studio.ml.sam.onnx_decoder import (
    DECODER_FILE,
    PARITY_FILE,
    OnnxPromptDecoder,
    cached_decoder_path,
    decoder_folder,
)


def test_exported_decoder_passes_parity_on_every_prompt(
    tiny_sam: tuple, tiny_decoder: Path
) -> None:
    parity = check_decoder_parity(tiny_decoder, tiny_sam[0])
    names = [prompt.prompt for prompt in parity.prompts]
    assert names == [
        "one click",
        "click refined with its mask",
        "clicks of both signs",
        "box",
        "box and click",
    ]
    assert all(prompt.max_logit_difference < 1e-4 for prompt in parity.prompts)


def test_export_is_cached_per_checkpoint_with_its_parity_report(tiny_sam: tuple) -> None:
    sam, checkpoint = tiny_sam
    first = export_decoder(sam, checkpoint)
    assert first.parity is not None
    assert first.parity.passed
    assert first.path == cached_decoder_path(checkpoint.sha256)
    report = json.loads((first.path.parent / PARITY_FILE).read_text())
    assert report["passed"]
    assert report["tolerances"]["mask_disagreement"] == pytest.approx(1e-3)
    second = export_decoder(sam, checkpoint)
    assert (second.path, second.parity) == (first.path, None)


def test_decoder_records_its_checkpoint_in_the_file(tiny_sam: tuple, tiny_decoder: Path) -> None:
    decoder = OnnxPromptDecoder(tiny_decoder)
    assert decoder.checkpoint_sha256 == tiny_sam[1].sha256
    assert (decoder.model_type, decoder.image_size, decoder.low_res_size) == ("custom", 128, 32)


def test_decoder_of_other_weights_fails_parity(
    tiny_checkpoint_path: Path, tiny_decoder: Path
) -> None:
    altered, _checkpoint = load_sam(tiny_checkpoint_path)
    with torch.no_grad():
        altered.mask_decoder.iou_prediction_head.layers[-1].bias += 0.5
        altered.mask_decoder.output_upscaling[0].bias += 0.5
    message = r"decoder\.onnx disagrees with SamPredictor on 5 of 5 prompts"
    with pytest.raises(SamParityError, match=message):
        check_decoder_parity(tiny_decoder, altered)


def test_failed_parity_caches_nothing(
    tiny_checkpoint_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam, checkpoint = load_sam(tiny_checkpoint_path)
    other, _checkpoint = load_sam(tiny_checkpoint_path)
    with torch.no_grad():
        other.mask_decoder.iou_token.weight += 1.0
    write_for_real = decoder_export.write_decoder_onnx
    monkeypatch.setattr(
        decoder_export,
        "write_decoder_onnx",
        lambda _sam, path, record: write_for_real(other, path, record),
    )
    with pytest.raises(SamParityError, match="it was not cached"):
        export_decoder(sam, checkpoint)
    assert cached_decoder_path(checkpoint.sha256) is None
    assert not list(decoder_folder(checkpoint.sha256).parent.iterdir())


def test_decoder_returns_low_res_logits_and_no_full_size_masks(tiny_decoder: Path) -> None:
    graph = onnx.load(str(tiny_decoder)).graph
    assert [output.name for output in graph.output] == ["iou_predictions", "low_res_masks"]
    assert "orig_im_size" not in [node.name for node in graph.input]


def test_a_decoder_exported_by_an_older_studio_is_refused_naming_it(
    tiny_decoder: Path, tmp_path: Path
) -> None:
    model = onnx.load(str(tiny_decoder))
    kept = [prop for prop in model.metadata_props if prop.key != "decoder_format"]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    older = tmp_path / "decoder.onnx"
    onnx.save(model, str(older))
    with pytest.raises(SamError, match=r"decoder\.onnx was exported by an older Studio"):
        OnnxPromptDecoder(older)


def test_a_cached_decoder_of_the_older_format_is_not_used(tiny_sam: tuple) -> None:
    """An older Studio cached full-size-mask decoders in `decoders/<sha256>/`: not found, so
    the checkpoint's decoder is exported again when needed."""
    checkpoint = tiny_sam[1]
    older = decoder_folder(checkpoint.sha256).parent.parent / checkpoint.sha256
    older.mkdir(parents=True)
    (older / DECODER_FILE).write_bytes(b"full-size masks")
    (older / PARITY_FILE).write_text("{}")
    assert cached_decoder_path(checkpoint.sha256) is None
