"""Segment Anything: checkpoints, the image encoder, the ONNX prompt decoder.

    checkpoint      read a checkpoint, derive its architecture from the state dict, build it
    encoder         image -> fp16 embedding (torch; runs in a worker process)
    decoder_export  export the prompt decoder to ONNX once per checkpoint, parity-checked
    onnx_decoder    prompts -> masks with ONNX Runtime (numpy only: the GUI process uses it)

This package's `__init__` imports nothing, so `onnx_decoder` stays free of torch.
"""
