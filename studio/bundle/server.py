"""`python serve.py [--host 127.0.0.1] [--port 8000] [--max-bytes 20000000]`: an HTTP endpoint.

POST /predict with the image bytes as the body answers the result as JSON; GET /health and
GET /manifest describe the model. Every answer is JSON, errors too ({"error", "status"}), and
the server keeps serving. It binds to 127.0.0.1 unless told otherwise: expose it on purpose.

Requests are served by a fixed pool of worker threads. The accepting thread only hands each
connection to the pool's queue; when the queue is full it answers 503 with `Retry-After`
itself, so however many clients connect, memory holds at most `workers` requests being
served (each body at most `--max-bytes`, each image at most `--max-pixels`) and `queue_size`
idle sockets. A client that sends nothing for `read_timeout` seconds is dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import queue
import signal
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

from .manifest import BundleError
from .predict_cli import (
    add_loading_arguments,
    check_loading_arguments,
    default_folder,
    load_checked,
)
from .preprocess import (
    DEFAULT_MAX_PIXELS,
    ImageTooLargeError,
    open_image,
    pixel_limit_from_header_only,
)
from .runtime import Bundle

DEFAULT_MAX_BYTES = 20_000_000
LISTEN_BACKLOG = 1024  # connections the kernel holds before the accepting thread takes them
RETRY_AFTER_SECONDS = 1
# A 503 answer's socket stays open this long (reading nothing more) so that the client reads
# the answer instead of a reset; at most REFUSED_KEPT such sockets are kept.
REFUSED_LINGER_SECONDS = 1.0
REFUSED_KEPT = 256
SHUTDOWN_GRACE_SECONDS = 5.0
_DRAIN_LIMIT = 64 << 20
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ServerOptions:
    """How much one server takes on: upload size, image size, workers, queue, patience."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    workers: int = 8  # requests served at once
    queue_size: int = 256  # accepted connections waiting for a worker; beyond: 503
    read_timeout: float = 30.0  # seconds a client may send nothing before it is dropped


class BundleServer(HTTPServer):
    """An HTTP server holding one loaded bundle, serving through a bounded pool of threads.

    ONNX Runtime sessions are thread-safe, so the workers share the bundle.
    """

    allow_reuse_port = False  # never share the port with another process
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], bundle: Bundle, options: ServerOptions) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.bundle = bundle
        self.options = options
        # One slot per connection being served or waiting; process_request answers 503 when
        # none is free, so the queue itself needs no bound (and the stop signals always fit).
        self._slots = threading.BoundedSemaphore(options.workers + options.queue_size)
        self._waiting: queue.SimpleQueue[tuple[socket.socket, Any] | None] = queue.SimpleQueue()
        self._refused: deque[tuple[float, socket.socket]] = deque()
        self._workers: list[threading.Thread] = []
        super().__init__(address, BundleHandler)  # binds; closes itself when that fails
        self._workers = [
            threading.Thread(target=self._work, name=f"bundle-worker-{number}", daemon=True)
            for number in range(options.workers)
        ]
        for worker in self._workers:
            worker.start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        """Queue the connection for a worker, or answer 503 when the queue is full."""
        if not self._slots.acquire(blocking=False):
            self._refuse_busy(request)
            return
        self._waiting.put((request, client_address))

    def service_actions(self) -> None:
        """Close the 503-answered sockets whose linger is over (called by serve_forever)."""
        now = time.monotonic()
        while self._refused and self._refused[0][0] <= now:
            _close_quietly(self._refused.popleft()[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One log line, never a traceback: most are clients that went away mid-request."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            what = "the client disconnected"
        else:
            what = f"the request failed ({type(error).__name__}: {error})"
        sys.stderr.write(f"{_client(client_address)}: {what}\n")

    def server_close(self) -> None:
        super().server_close()
        while True:
            try:
                waiting = self._waiting.get_nowait()
            except queue.Empty:
                break
            if waiting is not None:
                _close_quietly(waiting[0])
                self._slots.release()
        for _worker in self._workers:
            self._waiting.put(None)
        # Requests in progress get a moment to finish; the daemon workers end with the process.
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for worker in self._workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        while self._refused:
            _close_quietly(self._refused.popleft()[1])

    def _work(self) -> None:
        while (waiting := self._waiting.get()) is not None:
            request, client_address = waiting
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
                self._slots.release()

    def _refuse_busy(self, request: socket.socket) -> None:
        """Answer 503 without reading the request, and keep the socket open a moment.

        Closing a socket whose request is unread makes the kernel send a reset, which the
        client may see before the answer; so the socket is only shut for writing now, and
        closed after REFUSED_LINGER_SECONDS by service_actions.
        """
        try:
            request.setblocking(False)
            request.sendall(_BUSY_ANSWER)
            request.shutdown(socket.SHUT_WR)
        except OSError:
            _close_quietly(request)
            return
        if len(self._refused) >= REFUSED_KEPT:
            _close_quietly(self._refused.popleft()[1])
        self._refused.append((time.monotonic() + REFUSED_LINGER_SECONDS, request))


def _busy_answer() -> bytes:
    body = json.dumps(
        {
            "error": f"the server is busy; retry in {RETRY_AFTER_SECONDS} s",
            "status": int(HTTPStatus.SERVICE_UNAVAILABLE),
        }
    ).encode("utf-8")
    head = (
        "HTTP/1.0 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Retry-After: {RETRY_AFTER_SECONDS}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_BUSY_ANSWER = _busy_answer()


def _close_quietly(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.close()


def _client(client_address: Any) -> str:
    if isinstance(client_address, tuple) and len(client_address) >= 2:
        return f"{client_address[0]}:{client_address[1]}"
    return "a client"


class BundleHandler(BaseHTTPRequestHandler):
    server: BundleServer
    server_version = "StudioBundle/1"
    # A request line without a version (HTTP/0.9) still gets a status line and headers.
    default_request_version = "HTTP/1.0"

    def setup(self) -> None:
        self.timeout = self.server.options.read_timeout
        super().setup()

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
            image = open_image(
                io.BytesIO(body), "the uploaded image", self.server.options.max_pixels
            )
        except ImageTooLargeError as error:
            self._send_json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {
                    "error": str(error),
                    "status": int(HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
                    "pixels": error.pixels,
                    "max_pixels": error.max_pixels,
                },
            )
            return
        except BundleError as error:
            self._send_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(error))
            return
        self._send_prediction(image)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's errors (a malformed request line, a method without a `do_`
        handler, headers too long) answer JSON like every other error."""
        self.close_connection = True
        status = HTTPStatus(code)
        if status == HTTPStatus.NOT_IMPLEMENTED:  # the base class's answer to an unknown method
            status = HTTPStatus.METHOD_NOT_ALLOWED
            message = f"method {self.command} is not allowed; use GET or POST"
        self._send_error(status, message or status.phrase)

    def _send_prediction(self, image: Image.Image) -> None:
        try:
            result = self.server.bundle.predict(image)
        except BundleError as error:
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"the model failed: {error}")
            return
        except Exception as error:  # a bug in the runtime or a manifest it mishandles
            self.log_error("the model failed: %s: %s", type(error).__name__, error)
            self._send_error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                f"the model failed ({type(error).__name__}); see the server's log",
            )
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
        max_bytes = self.server.options.max_bytes
        if length > max_bytes:
            self._discard_body(length)
            self._send_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the image is {length} bytes; this server accepts at most {max_bytes} "
                "(--max-bytes)",
            )
            return None
        if length <= 0:
            self._send_error(HTTPStatus.BAD_REQUEST, "the body is empty; POST the image bytes")
            return None
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self.close_connection = True
            self._send_error(
                HTTPStatus.REQUEST_TIMEOUT,
                f"the body stalled for {self.server.options.read_timeout:g} s; connection closed",
            )
            return None
        if len(body) < length:  # the client closed its side before sending everything
            self.close_connection = True
            self.log_error("the client disconnected after %d of %d bytes", len(body), length)
            return None
        return body

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
            self.send_header("Allow", self._allowed_methods())
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            self.send_header("Retry-After", str(RETRY_AFTER_SECONDS))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        super().log_request(int(status), len(body))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Not when the status line is sent: _send_json logs each request once its answer is
        written, so a client gone before that is only the one line handle_error writes."""

    def _allowed_methods(self) -> str:
        path = getattr(self, "path", "").split("?", 1)[0]
        if path == "/predict":
            return "POST"
        return "GET" if path in ("/health", "/manifest") else "GET, POST"


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
    defaults = ServerOptions()
    parser = argparse.ArgumentParser(prog="serve.py", description="Serve this bundle over HTTP.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument(
        "--max-bytes", type=int, default=defaults.max_bytes, help="largest accepted upload"
    )
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="requests served at once"
    )
    parser.add_argument(
        "--queue-size",
        type=int,
        default=defaults.queue_size,
        help="connections waiting for a worker before the server answers 503",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=defaults.read_timeout,
        help="seconds a client may send nothing before it is dropped",
    )
    add_loading_arguments(parser)
    return parser


def main(argv: list[str] | None = None, folder: Path | None = None) -> int:
    """Entry point of `serve.py`: load, self-test, bind, print the address, serve until stopped."""
    parser = build_parser()
    options = parser.parse_args(argv)
    check_loading_arguments(parser, options)
    if options.workers < 1 or options.queue_size < 0 or options.read_timeout <= 0:
        parser.error("--workers must be at least 1, --queue-size at least 0, --read-timeout > 0")
    server_options = ServerOptions(
        max_bytes=options.max_bytes,
        max_pixels=options.max_pixels,
        workers=options.workers,
        queue_size=options.queue_size,
        read_timeout=options.read_timeout,
    )
    with pixel_limit_from_header_only():
        try:
            bundle = load_checked(options.bundle or folder or default_folder(), options)
        except BundleError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        with bundle:
            try:
                server = BundleServer((options.host, options.port), bundle, server_options)
            except OSError as error:
                print(
                    f"error: cannot listen on {options.host}:{options.port} ({error})",
                    file=sys.stderr,
                )
                return 1
            signal.signal(signal.SIGTERM, _interrupt)
            print(f"serving {bundle.task} bundle {bundle.folder} on {server.url}", flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                server.server_close()
    return 0


def _interrupt(_signal: int, _frame: Any) -> None:
    raise KeyboardInterrupt
