"""`python serve.py [--host 127.0.0.1] [--port 8000] [--max-bytes 20000000]`: an HTTP endpoint.

POST /predict with the image bytes as the body answers the result as JSON; GET /health and
GET /manifest describe the model. Errors answer JSON {"error": ...} with a 4xx/5xx status and
the server keeps serving. It binds to 127.0.0.1 unless told otherwise: expose it on purpose.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import socket
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

from .manifest import BundleError
from .predict_cli import default_folder
from .runtime import Bundle

DEFAULT_MAX_BYTES = 20_000_000
_DRAIN_LIMIT = 64 << 20
_CHUNK = 1 << 16


class BundleServer(ThreadingHTTPServer):
    """A threading HTTP server holding one loaded bundle (ONNX Runtime sessions are thread-safe)."""

    daemon_threads = True
    allow_reuse_port = False  # never share the port with another process

    def __init__(self, address: tuple[str, int], bundle: Bundle, max_bytes: int) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, BundleHandler)
        self.bundle = bundle
        self.max_bytes = max_bytes

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"


class BundleHandler(BaseHTTPRequestHandler):
    server: BundleServer
    timeout = 60
    server_version = "StudioBundle/1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._send_json(HTTPStatus.OK, health(self.server.bundle))
        elif path == "/manifest":
            self._send_json(HTTPStatus.OK, self.server.bundle.manifest)
        elif path == "/predict":
            self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, "POST the image bytes to /predict")
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no such path {path}")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path != "/predict":
            self._discard_body()
            status = HTTPStatus.METHOD_NOT_ALLOWED
            if path not in ("/health", "/manifest"):
                status = HTTPStatus.NOT_FOUND
            self._send_error(status, f"POST {path} is not served; POST images to /predict")
            return
        body = self._read_body()
        if body is None:
            return
        try:
            image = decode_image(body)
        except BundleError as error:
            self._send_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))
            return
        try:
            result = self.server.bundle.predict(image)
        except BundleError as error:
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, str(error))
            return
        self._send_json(HTTPStatus.OK, result)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering why it is refused."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            self._send_error(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length, not chunks")
            return None
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            self._send_error(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
            return None
        if length > self.server.max_bytes:
            self._discard_body(length)
            self._send_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the image is {length} bytes; this server accepts at most "
                f"{self.server.max_bytes} (--max-bytes)",
            )
            return None
        if length <= 0:
            self._send_error(HTTPStatus.BAD_REQUEST, "the body is empty; POST the image bytes")
            return None
        return self.rfile.read(length)

    def _discard_body(self, length: int | None = None) -> None:
        """Read and drop a refused body so the client sees the answer; close if it is huge."""
        if length is None:
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = 0
        if length > _DRAIN_LIMIT:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:
                break
            length -= len(chunk)

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        self._send_json(status, {"error": message, "status": int(status)})

    def _send_json(self, status: HTTPStatus, payload: Any) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "POST" if self.path.startswith("/predict") else "GET")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def decode_image(body: bytes) -> Image.Image:
    """The uploaded image, decoded; BundleError when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(body)) as opened:
            opened.load()
        return opened
    except Image.DecompressionBombError as error:
        raise BundleError(f"the uploaded image has too many pixels ({error})") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise BundleError(f"the body is not an image Pillow can read ({error})") from None


def health(bundle: Bundle) -> dict[str, Any]:
    model = bundle.manifest.get("model", {})
    return {
        "status": "ok",
        "task": bundle.task,
        "classes": bundle.classes,
        "architecture": model.get("architecture"),
        "schema_version": bundle.manifest.get("schema_version"),
        "created_at": bundle.manifest.get("created_at"),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="serve.py", description="Serve this bundle over HTTP.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument(
        "--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="largest accepted upload"
    )
    parser.add_argument("--bundle", type=Path, default=None, help="the bundle folder or zip")
    return parser


def main(argv: list[str] | None = None, folder: Path | None = None) -> int:
    """Entry point of `serve.py`: load, bind, print the address on stdout, serve until stopped."""
    options = build_parser().parse_args(argv)
    try:
        bundle = Bundle.load(options.bundle or folder or default_folder())
        server = BundleServer((options.host, options.port), bundle, options.max_bytes)
    except (BundleError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"serving {bundle.task} bundle {bundle.folder} on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        bundle.close()
    return 0


def _interrupt(_signal: int, _frame: Any) -> None:
    raise KeyboardInterrupt
