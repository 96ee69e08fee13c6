"""The deployment-bundle runtime, copied verbatim into every bundle as `studio_bundle/`.

Imports only the standard library, numpy, pillow and onnxruntime, and its own modules
through relative imports, so it runs the same as `studio.bundle` and as `studio_bundle`.
"""
