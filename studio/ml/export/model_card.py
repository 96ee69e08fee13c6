"""The bundle's README.md: a model card written from the manifest (what the model predicts,
how it was trained and checked, how to run it, and its limits)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TASK_WORDS = {
    "classification": "assigns each image one of the classes below",
    "multilabel": "gives each image every class below that applies (independent scores)",
    "detection": "finds objects of the classes below and returns their boxes",
    "segmentation": "finds objects of the classes below and returns their boxes and masks",
}


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _metrics_table(metrics: Mapping[str, Any]) -> list[str]:
    rows = [
        (name, value)
        for name, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]
    if not rows:
        return ["No evaluation was stored for this checkpoint."]
    split = metrics.get("split", "test")
    lines = [f"Measured by Studio on the {split} split of the dataset version:", ""]
    lines += ["| metric | value |", "| --- | --- |"]
    lines += [f"| {name} | {_number(value)} |" for name, value in rows]
    return lines


def _input_lines(manifest: Mapping[str, Any]) -> list[str]:
    spec = manifest["input"]
    if spec.get("size"):
        height, width = spec["size"]
        resize = f"resized to {width}×{height} ({spec['interpolation']}, aspect not kept)"
    else:
        resize = (
            "given at its own size (the model resizes it inside, shorter side "
            f"{spec.get('shorter_side')})"
        )
    return [
        f"- Colour order {spec['color_order']}, EXIF orientation applied, {resize}.",
        f"- Pixels scaled by {spec['scale']:.6g}, then normalised with mean {spec['mean']} and "
        f"std {spec['std']}, layout {spec['layout']}.",
    ]


def _output_lines(manifest: Mapping[str, Any]) -> list[str]:
    post = manifest["postprocess"]
    if post["op"] == "softmax":
        return [f"- Softmax over the classes; the top {post['top_k']} are listed."]
    if post["op"] == "sigmoid":
        return [f"- A sigmoid per class; classes scoring at least {post['threshold']} are given."]
    where = "in the ONNX graph" if post["nms"] == "graph" else "by the bundle (numpy)"
    lines = [
        f"- Boxes as [x, y, width, height] in the pixels of the original image; detections "
        f"scoring at least {post['score_threshold']} are reported (at most "
        f"{post['max_detections']}).",
        f"- Non-maximum suppression per class at IoU {post['iou_threshold']}, {where}.",
    ]
    if "mask_threshold" in post:
        lines.append(f"- Masks as COCO RLE, pixels with probability ≥ {post['mask_threshold']}.")
    return lines


def _training_lines(manifest: Mapping[str, Any]) -> list[str]:
    lineage = manifest["lineage"]
    run = lineage.get("run") or {}
    dataset = lineage.get("dataset_version") or {}
    model_version = lineage.get("model_version")
    lines = [
        f"- Architecture: {manifest['model']['architecture']} (ONNX opset "
        f"{manifest['model']['opset']}{', int8 weights' if manifest['model']['int8'] else ''}).",
        f"- Run {run.get('name')} (id {run.get('id')}), checkpoint {lineage.get('checkpoint')} "
        f"(sha256 {str(lineage.get('checkpoint_sha256', ''))[:12]}…), "
        f"project {lineage.get('project')}.",
        f"- Dataset version {dataset.get('name')} (content hash "
        f"{str(dataset.get('content_hash', ''))[:12]}…).",
    ]
    if run.get("config"):
        config = run["config"]
        lines.append(
            f"- Trained {config.get('epochs')} epochs, batch {config.get('batch_size')}, "
            f"input {config.get('input_size')} px; weights: {run.get('pretrained') or 'unknown'}."
        )
    if model_version:
        lines.append(f"- Registered as {model_version['name']}:{model_version['version']}.")
    return lines


def _parity_lines(manifest: Mapping[str, Any]) -> list[str]:
    parity = manifest["parity"]
    lines = [f"- Parity with Studio's torch model: {parity.get('message', '')}"]
    quantization = manifest.get("quantization")
    if quantization:
        lines.append(
            f"- int8 weights: accuracy {_number(quantization['accuracy_before'])} → "
            f"{_number(quantization['accuracy_after'])} on {quantization['images']} images, "
            f"size {quantization['size_before']:,} → {quantization['size_after']:,} bytes."
        )
    return lines


def model_card(manifest: Mapping[str, Any]) -> str:
    """README.md for the bundle described by `manifest`."""
    task = manifest["task"]
    classes = ", ".join(entry["name"] for entry in manifest["classes"])
    lines = [
        f"# {manifest['model']['architecture']} — {task} model",
        "",
        f"This model {_TASK_WORDS[task]}: {classes}.",
        "",
        "## Run it",
        "",
        "```",
        "pip install -r requirements.txt",
        "python predict.py IMAGE... [--json]     # predictions",
        "python predict.py --selftest            # check this copy gives Studio's outputs",
        "python serve.py --port 8000             # POST an image to http://127.0.0.1:8000/predict",
        "```",
        "",
        "## Input",
        "",
        *_input_lines(manifest),
        "",
        "## Output",
        "",
        *_output_lines(manifest),
        "",
        "## How it was made",
        "",
        *_training_lines(manifest),
        "",
        "## Evaluation",
        "",
        *_metrics_table(manifest.get("metrics") or {}),
        "",
        "## Checks",
        "",
        *_parity_lines(manifest),
        "",
        "## Limits",
        "",
        "- It knows only the classes above and images like those it was trained on; anything "
        "else gets one of these classes all the same.",
        "- The figures above come from a held-out split of one dataset; expect lower figures on "
        "images from other cameras, places or times.",
        "- Every file is listed with its sha256 in manifest.json; the runtime refuses a bundle "
        "whose files were altered.",
        "",
    ]
    return "\n".join(lines)
