"""HTTP over plain sockets, for what urllib will not send: any method, a malformed request
line, a request cut short, many connections held open at once."""

from __future__ import annotations

import json
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    payload: Any  # the body, parsed as JSON


def address_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return str(parts.hostname), int(parts.port or 80)


def request_bytes(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode("ascii") + body


def read_answer(connection: socket.socket) -> Answer:
    """Read until the server closes, then parse; every answer must be JSON."""
    data = b""
    while chunk := connection.recv(1 << 16):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    assert headers.get("content-type") == "application/json", data[:300]
    return Answer(int(status_line.split()[1]), headers, json.loads(body))


def exchange(url: str, raw_request: bytes, timeout: float = 30) -> Answer:
    with socket.create_connection(address_of(url), timeout=timeout) as connection:
        connection.sendall(raw_request)
        return read_answer(connection)


def reset(connection: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a client that crashes does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def peak_resident_bytes(pid: int) -> int:
    """The process's peak resident memory (VmHWM, Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmHWM for process {pid}")
