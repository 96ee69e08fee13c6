"""serve.py: a real server process on a free port, real HTTP requests, JSON answers."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from studio.bundle import server
from tests.bundle.builders import BuiltBundle, clean_environment

MAX_BYTES = 4000


@pytest.fixture(scope="module")
def served(
    classification_bundle: BuiltBundle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of serve.py started with --port 0 and no --host (its default)."""
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
    yield line.split()[-1]
    process.terminate()
    assert process.wait(timeout=10) == 0
    process.stdout.close()
    assert "POST /predict" in log.read_text()


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
