"""How to export a model: one frozen record, and its one spelling on the export worker's
command line.

The API, the CLI, the window and the export worker all build an `ExportOptions`; the worker's
parser gets its flags from `add_arguments`, the command that starts it from `to_argv`, and the
worker reads them back with `from_arguments`. Imports neither torch nor Qt.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields, replace
from typing import Any

from studio.core.errors import ExportError

NMS_MODES = ("graph", "manifest")
ONNX_BUNDLE_TARGET = "onnx-bundle"
# torch.onnx's TorchScript exporter writes opsets 9 to 20; detectors need 11 or later.
OPSET_RANGE = (11, 20)


@dataclass(frozen=True)
class ExportOptions:
    """`target`: an export target's name (Studio's ONNX bundle, or a plugin's);
    `checkpoint`: None for the source's own (a model version's, else best.pt);
    `zip`: also write OUT.zip; `int8`: dynamic INT8 quantisation (classifiers);
    `nms`: detectors' non-maximum suppression in the "graph" or in the bundle's code
    ("manifest"); `dynamic_batch`: a classifier takes any batch size (else one image);
    `opset`: the ONNX opset; `parity_images`: how many held-out images the parity gate
    compares; `overwrite`: replace a non-empty OUT."""

    target: str = ONNX_BUNDLE_TARGET
    checkpoint: str | None = None
    zip: bool = False
    int8: bool = False
    nms: str = "graph"
    dynamic_batch: bool = True
    opset: int = 17
    parity_images: int = 16
    overwrite: bool = False

    def __post_init__(self) -> None:
        if not self.target.strip():
            raise ExportError("an export target needs a name (see `studio export-model --help`)")
        if self.nms not in NMS_MODES:
            raise ExportError(f"unknown NMS mode {self.nms!r}; expected one of: graph, manifest")
        low, high = OPSET_RANGE
        if not low <= self.opset <= high:
            raise ExportError(f"opset must be between {low} and {high}, not {self.opset}")
        if self.parity_images < 1:
            raise ExportError(f"parity_images must be at least 1, not {self.parity_images}")
        if self.checkpoint is not None and not self.checkpoint.strip():
            raise ExportError("checkpoint must name a checkpoint (best, last, epoch-NNN.pt)")

    def changed(self, **settings: Any) -> ExportOptions:
        """A copy with `settings` (field names) changed; an unknown name is refused."""
        known = {option.name for option in fields(self)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ExportError(
                f"unknown export option {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return replace(self, **settings)

    def to_argv(self) -> list[str]:
        """The worker's flags for these options (defaults left out)."""
        default = ExportOptions()
        argv: list[str] = []
        for name, flag in (("target", "--target"), ("nms", "--nms")):
            if getattr(self, name) != getattr(default, name):
                argv += [flag, str(getattr(self, name))]
        if self.checkpoint is not None:
            argv += ["--checkpoint", self.checkpoint]
        for name in ("opset", "parity_images"):
            if getattr(self, name) != getattr(default, name):
                argv += ["--" + name.replace("_", "-"), str(getattr(self, name))]
        flags = {
            "--zip": self.zip,
            "--int8": self.int8,
            "--static-batch": not self.dynamic_batch,
            "--overwrite": self.overwrite,
        }
        return argv + [flag for flag, wanted in flags.items() if wanted]

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace) -> ExportOptions:
        """The options a parser built with `add_arguments` read."""
        return cls(
            target=arguments.target,
            checkpoint=arguments.checkpoint,
            zip=arguments.zip,
            int8=arguments.int8,
            nms=arguments.nms,
            dynamic_batch=not arguments.static_batch,
            opset=arguments.opset,
            parity_images=arguments.parity_images,
            overwrite=arguments.overwrite,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The export worker's option flags (what `ExportOptions.to_argv` writes)."""
    default = ExportOptions()
    parser.add_argument("--target", default=default.target, help="default: the ONNX bundle")
    parser.add_argument("--checkpoint", default=None, help="default: the source's (best.pt)")
    parser.add_argument("--zip", action="store_true", help="also write OUT.zip")
    parser.add_argument("--int8", action="store_true", help="dynamic INT8 quantisation")
    parser.add_argument(
        "--nms",
        default=default.nms,
        choices=NMS_MODES,
        help="detectors: NMS in the graph or the bundle",
    )
    parser.add_argument("--static-batch", action="store_true", help="fixed batch size of 1")
    parser.add_argument("--opset", type=int, default=default.opset, help="the ONNX opset")
    parser.add_argument(
        "--parity-images",
        type=int,
        default=default.parity_images,
        help="held-out images the parity gate compares",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
