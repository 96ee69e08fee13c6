"""serve.py: a real server process on a free port, real HTTP requests, JSON answers, bounded
memory however many clients connect."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from studio.bundle import server
from tests.bundle.builders import (
    BuiltBundle,
    change_mean_and_std,
    clean_environment,
    edit_manifest,
    image_claiming,
)
from tests.bundle.raw_http import (
    Answer,
    address_of,
    exchange,
    peak_resident_bytes,
    read_answer,
    request_bytes,
)

MAX_BYTES = 4000
MEMORY_GROWTH_LIMIT = 300 * 2**20
CONNECT_TIMEOUT = 0.9


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@pytest.fixture(scope="module")
def server_process(
    classification_bundle: BuiltBundle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """serve.py started with --port 0 and no --host (its default)."""
    folder = tmp_path_factory.mktemp("server")
    log = folder / "server.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                str(classification_bundle.folder / "serve.py"),
                "--port",
                "0",
                "--max-bytes",
                str(MAX_BYTES),
            ],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=clean_environment(),
            cwd=folder,
        )
    line = process.stdout.readline() if process.stdout else ""
    if "http://" not in line:
        process.kill()
        pytest.fail(f"serve.py did not start: {line}{log.read_text()}")
    yield Served(line.split()[-1], process.pid)
    process.terminate()
    assert process.wait(timeout=10) == 0
    process.stdout.close()
    log_text = log.read_text()
    assert "POST /predict" in log_text
    assert "Traceback" not in log_text


@pytest.fixture
def served(server_process: Served) -> str:
    """The URL of the module's serve.py."""
    return server_process.url


def _request(url: str, body: bytes | None = None, method: str | None = None) -> tuple[int, Any]:
    """(status, JSON answer) of a request; every answer, errors included, must be JSON."""
    request = urllib.request.Request(url, data=body, method=method)
    try:
        response = urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        content_type = response.headers["Content-Type"]
        status, payload = response.status, json.loads(response.read())
    assert content_type == "application/json"
    return status, payload


def _png(path: Path) -> bytes:
    return path.read_bytes()


def test_the_default_host_is_loopback(served: str) -> None:
    assert served.startswith("http://127.0.0.1:")
    assert server.build_parser().parse_args([]).host == "127.0.0.1"


def test_post_a_png_answers_the_prediction(served: str, classification_bundle: BuiltBundle) -> None:
    status, result = _request(f"{served}/predict", _png(classification_bundle.inputs[0]))

    assert status == 200
    assert result["label"] in ("cat", "dog", "bird")
    assert (result["width"], result["height"]) == (20, 18)
    assert len(result["top"]) == 3


def test_other_image_types_are_accepted(served: str) -> None:
    stream = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 30, 30)).save(stream, format="JPEG")

    status, result = _request(f"{served}/predict", stream.getvalue())

    assert status == 200
    assert (result["width"], result["height"]) == (30, 20)


def test_a_body_over_max_bytes_is_413_and_the_server_keeps_serving(
    served: str, classification_bundle: BuiltBundle
) -> None:
    status, answer = _request(f"{served}/predict", b"\x89PNG" + b"\0" * MAX_BYTES)

    assert status == 413
    assert f"at most {MAX_BYTES}" in answer["error"]
    assert _request(f"{served}/predict", _png(classification_bundle.inputs[1]))[0] == 200


def test_bytes_that_are_not_an_image_are_a_json_4xx(served: str) -> None:
    status, answer = _request(f"{served}/predict", b"hello, not an image")

    assert status == 415
    assert "not an image" in answer["error"]
    assert _request(f"{served}/predict", b"")[0] == 400


def test_health_manifest_unknown_paths_and_wrong_methods(served: str) -> None:
    status, health = _request(f"{served}/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["task"] == "classification"
    assert health["classes"] == ["cat", "dog", "bird"]

    status, manifest = _request(f"{served}/manifest")
    assert status == 200
    assert manifest["model"]["file"] == "model.onnx"

    assert _request(f"{served}/nowhere")[0] == 404
    assert _request(f"{served}/nowhere", b"x")[0] == 404
    assert _request(f"{served}/predict")[0] == 405
    assert _request(f"{served}/health", b"x")[0] == 405


def test_concurrent_requests_are_all_answered(
    served: str, classification_bundle: BuiltBundle
) -> None:
    bodies = [_png(path) for path in classification_bundle.inputs] * 3

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda body: _request(f"{served}/predict", body), bodies))

    assert [status for status, _result in answers] == [200] * len(bodies)
    assert answers[0][1] == answers[3][1]


def test_a_port_in_use_is_reported_not_raised(
    classification_bundle: BuiltBundle, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = served.rsplit(":", 1)[1]

    status = server.main(["--port", port], folder=classification_bundle.folder)

    assert status == 1
    assert "error:" in capsys.readouterr().err


def test_200_simultaneous_connections_are_all_answered_in_bounded_memory(
    server_process: Served, classification_bundle: BuiltBundle
) -> None:
    """All connect at once, then all send: every one is served.

    The kernel completes a connection by itself while the listen queue has room; one it had no
    room for waits at least for TCP's first SYN retransmission (1 s), hence CONNECT_TIMEOUT.
    """
    request = request_bytes("POST", "/predict", _png(classification_bundle.inputs[0]))
    ready = threading.Barrier(200)
    before = peak_resident_bytes(server_process.pid)

    def client(_number: int) -> Answer:
        ready.wait(timeout=60)
        address = address_of(server_process.url)
        with socket.create_connection(address, timeout=CONNECT_TIMEOUT) as connection:
            connection.settimeout(60)
            connection.sendall(request)
            return read_answer(connection)

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(client, range(200)))

    assert [answer.status for answer in answers] == [200] * 200
    assert {answer.payload["label"] for answer in answers} == {answers[0].payload["label"]}
    assert peak_resident_bytes(server_process.pid) - before < MEMORY_GROWTH_LIMIT


def test_four_parallel_144_megapixel_uploads_are_refused_from_their_header(
    server_process: Served, classification_bundle: BuiltBundle
) -> None:
    bodies = [image_claiming(12000, 12000, kind) for kind in ("PNG", "JPEG", "PNG", "JPEG")]
    assert max(map(len, bodies)) < MAX_BYTES
    before = peak_resident_bytes(server_process.pid)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda body: _request(f"{server_process.url}/predict", body), bodies)
        )

    for status, answer in answers:
        assert status == 413
        assert (answer["pixels"], answer["max_pixels"]) == (144_000_000, 89_478_485)
        assert "144,000,000 pixels" in answer["error"]
    assert peak_resident_bytes(server_process.pid) - before < MEMORY_GROWTH_LIMIT
    assert (
        _request(f"{server_process.url}/predict", _png(classification_bundle.inputs[1]))[0] == 200
    )


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "BREW"])
def test_every_other_method_is_a_json_405(served: str, method: str) -> None:
    answer = exchange(served, request_bytes(method, "/predict", b"x"))

    assert answer.status == 405
    assert answer.payload == {
        "error": f"method {method} is not allowed; use GET or POST",
        "status": 405,
    }
    assert answer.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"garbage\r\n\r\n", 400),
        (b"GET /health HTTP/1.1 extra\r\n\r\n", 400),
        (b"GET /health HTTP/x.y\r\n\r\n", 400),
        (b"GET /health HTTP/2.0\r\n\r\n", 505),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_a_malformed_request_line_is_a_json_4xx(
    served: str, request_line: bytes, status: int
) -> None:
    answer = exchange(served, request_line)

    assert answer.status == status
    assert answer.payload["status"] == status
    assert answer.payload["error"]


def test_serve_refuses_to_start_when_the_selftest_fails(
    classification_bundle: BuiltBundle,
    copy_bundle: Callable[[BuiltBundle], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_bundle(classification_bundle)
    edit_manifest(folder, change_mean_and_std)

    status = server.main(["--port", "0", "--bundle", str(folder)])

    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert captured.err.startswith("error: the self-test failed, refusing to start: manifest.json")
