"""Studio: label images with model help, train and evaluate models, export ONNX bundles."""

__version__ = "0.1.0"
