"""Serve this bundle's model over HTTP, without Studio.

    python serve.py [--host 127.0.0.1] [--port 8000] [--max-bytes 20000000]
    curl --data-binary @photo.jpg http://127.0.0.1:8000/predict

Needs only the packages in requirements.txt (onnxruntime, numpy, pillow).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # leave the bundle's files exactly as exported
sys.path.insert(0, str(HERE))

from studio_bundle import server  # noqa: E402

if __name__ == "__main__":
    sys.exit(server.main(folder=HERE))
