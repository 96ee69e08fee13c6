"""Run this bundle's model on images, without Studio.

    python predict.py IMAGE... [--json] [--batch-size N]
    python predict.py --selftest

Needs only the packages in requirements.txt (onnxruntime, numpy, pillow).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # leave the bundle's files exactly as exported
sys.path.insert(0, str(HERE))

from studio_bundle import predict_cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(predict_cli.main(folder=HERE))
