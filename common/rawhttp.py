"""HTTP spoken by hand over a socket, for tests that send what no well-behaved client would.

A body that is declared but never sent, headers trickled a byte at a time, a broken chunk:
``requests`` cannot send those, and they are exactly what a server must survive.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def connect(url: str, timeout: float = 5.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_response(sock: socket.socket) -> RawResponse:
    """Read one response: the head, then Content-Length bytes of body (or up to the close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole response head arrived: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawResponse(int(status_line.split()[1]), headers, body)


def closed_by_peer(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True when the server closes the connection (nothing more arrives) within `timeout`."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def request(url: str, raw: bytes, timeout: float = 5.0) -> RawResponse:
    """Send `raw` on a new connection to `url`'s host and port; return the first response."""
    with connect(url, timeout) as sock:
        sock.sendall(raw)
        return read_response(sock)
