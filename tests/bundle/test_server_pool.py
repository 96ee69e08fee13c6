"""The server's worker pool, in-process with small limits: the queue's 503, stalled and
disconnecting clients, a failing model, --max-pixels."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from studio.bundle import Bundle
from studio.bundle.server import BundleServer, ServerOptions
from tests.bundle.builders import BuiltBundle
from tests.bundle.raw_http import address_of, exchange, read_answer, request_bytes, reset


@pytest.fixture(scope="module")
def classifier(classification_bundle: BuiltBundle) -> Iterator[Bundle]:
    with Bundle.load(classification_bundle.folder) as bundle:
        yield bundle


@contextmanager
def serving(bundle: Bundle, options: ServerOptions) -> Iterator[str]:
    """A BundleServer on a free loopback port, served from a thread; yields its URL."""
    server = BundleServer(("127.0.0.1", 0), bundle, options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def connect(url: str) -> socket.socket:
    return socket.create_connection(address_of(url), timeout=10)


def test_beyond_the_workers_and_the_queue_a_client_gets_503_with_retry_after(
    classifier: Bundle,
) -> None:
    """One worker and one queue place: of three silent clients, the third is refused at once."""
    with serving(classifier, ServerOptions(workers=1, queue_size=1, read_timeout=10)) as url:
        silent = [connect(url) for _ in range(3)]
        try:
            refused = read_answer(silent[2])
            for waiting in silent[:2]:
                waiting.setblocking(False)
                with pytest.raises(BlockingIOError):
                    waiting.recv(1)
        finally:
            for connection in silent:
                connection.close()

        assert refused.status == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.payload["status"] == 503


def test_a_stalled_upload_gets_408_and_frees_its_worker(
    classifier: Bundle, classification_bundle: BuiltBundle
) -> None:
    with serving(classifier, ServerOptions(workers=1, read_timeout=0.3)) as url:
        stalled = connect(url)
        stalled.sendall(request_bytes("POST", "/predict", b"x" * 100)[:-90])

        answer = exchange(url, predict_request(classification_bundle))
        dropped = read_answer(stalled)
        stalled.close()

    assert answer.status == 200
    assert dropped.status == 408
    assert "stalled" in dropped.payload["error"]


def cut_in_the_body(url: str, request: bytes) -> None:
    with connect(url) as connection:
        connection.sendall(request[: len(request) // 2])


def reset_after_sending(url: str, request: bytes) -> None:
    connection = connect(url)
    connection.sendall(request)
    reset(connection)


def reset_in_the_headers(url: str, request: bytes) -> None:
    connection = connect(url)
    connection.sendall(request[:20])
    reset(connection)


@pytest.mark.parametrize("disconnect", [cut_in_the_body, reset_after_sending, reset_in_the_headers])
def test_a_client_that_disconnects_mid_request_is_one_log_line_without_traceback(
    classifier: Bundle,
    classification_bundle: BuiltBundle,
    capsys: pytest.CaptureFixture[str],
    disconnect: Callable[[str, bytes], None],
) -> None:
    request = predict_request(classification_bundle)
    with serving(classifier, ServerOptions(workers=1)) as url:
        capsys.readouterr()
        disconnect(url, request)
        # One worker serves in order: once this is answered, the disconnect was handled.
        assert exchange(url, request).status == 200

        lines = capsys.readouterr().err.splitlines()

    assert "Traceback" not in "\n".join(lines)
    assert len(lines) <= 2  # the disconnect (at most one line) and the good request
    assert '"POST /predict HTTP/1.1" 200' in lines[-1]


def test_a_failure_inside_the_model_is_a_json_500(
    classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    """A manifest that resizes to 20×20 for a model that takes 16×16: ONNX Runtime fails."""
    folder = copy_bundle(classification_bundle)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["preprocess"][1]["size"] = [20, 20]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    with Bundle.load(folder) as broken, serving(broken, ServerOptions(workers=1)) as url:
        answer = exchange(url, predict_request(classification_bundle))

    assert answer.status == 500
    assert answer.payload["error"].startswith("the model failed: model.onnx: inference failed")
    assert " object at 0x" not in answer.payload["error"]


def test_max_pixels_sets_the_limit_checked_from_the_header(
    classifier: Bundle, classification_bundle: BuiltBundle
) -> None:
    stream = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 90)).save(stream, format="JPEG")

    with serving(classifier, ServerOptions(max_pixels=500)) as url:
        too_large = exchange(url, request_bytes("POST", "/predict", stream.getvalue()))
        small_enough = exchange(url, predict_request(classification_bundle))  # 20×18

    assert too_large.status == 413
    assert (too_large.payload["pixels"], too_large.payload["max_pixels"]) == (600, 500)
    assert small_enough.status == 200


def predict_request(built: BuiltBundle) -> bytes:
    return request_bytes("POST", "/predict", built.inputs[0].read_bytes())
