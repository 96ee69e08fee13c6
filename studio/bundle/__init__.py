"""The deployment-bundle runtime, copied verbatim into every bundle as `studio_bundle/`.

Imports only the standard library, numpy, pillow and onnxruntime, and its own modules
through relative imports, so it runs the same as `studio.bundle` and as `studio_bundle`.
onnxruntime is imported only when a bundle is loaded, so Studio's exporter can use the
pre-processing and the comparison without it. The bundle format is specified in docs/bundle.md.
"""

from .compare import DEFAULT_TOLERANCES, compare_outputs
from .integrity import sha256_file, verify_files
from .manifest import MANIFEST_SCHEMA_VERSION, BundleError, read_manifest
from .postprocess import encode_rle, postprocess
from .preprocess import load_image, preprocess
from .runtime import Bundle

__all__ = [
    "DEFAULT_TOLERANCES",
    "MANIFEST_SCHEMA_VERSION",
    "Bundle",
    "BundleError",
    "compare_outputs",
    "encode_rle",
    "load_image",
    "postprocess",
    "preprocess",
    "read_manifest",
    "sha256_file",
    "verify_files",
]
