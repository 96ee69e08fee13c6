"""Exporting trained models: ONNX, the parity gate, INT8 quantisation, deployment bundles."""
