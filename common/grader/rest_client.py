"""HTTP calls with a timeout on every request, each answer kept with the request that caused it.

Checks never see a `requests` exception: a call that hangs or a connection that drops ends the
requirement at once with "no answer within 5 s", so one hung endpoint costs seconds, not hours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from .evidence import CheckFailed, Exchange, preview

JSON_HEADERS = {"Content-Type": "application/json"}
_NO_BODY = object()


@dataclass
class Reply:
    """An HTTP answer and the exchange that produced it (for failure messages)."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    exchange: Exchange
    _parsed: Any = field(default=_NO_BODY, repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON fails the requirement with this exchange."""
        if self._parsed is _NO_BODY:
            try:
                self._parsed = json.loads(self.body)
            except ValueError:
                raise CheckFailed("the body is not JSON", self.exchange) from None
        return self._parsed

    def fail(self, reason: str) -> CheckFailed:
        return CheckFailed(reason, self.exchange)


def describe_request(method: str, path: str, body: Any = None, raw: bytes | None = None) -> str:
    if raw is not None:
        shown = raw.decode("utf-8", errors="backslashreplace")
        return f"{method} {path} {preview(shown) or '(empty body)'}"
    if body is not None:
        return f"{method} {path} {preview(json.dumps(body, ensure_ascii=False))}"
    return f"{method} {path}"


def describe_response(response: requests.Response) -> str:
    parts = [str(response.status_code)]
    if response.headers.get("Content-Type"):
        parts.append(f"Content-Type: {response.headers['Content-Type']}")
    if response.headers.get("Location"):
        parts.append(f"Location: {response.headers['Location']}")
    body = response.content.decode("utf-8", errors="replace")
    parts.append(preview(body) if body else "(empty body)")
    return "; ".join(parts)


class RestClient:
    """Calls one service at `base_url` (which may hold a path prefix) with a per-request timeout."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw: bytes | None = None,
        params: str = "",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request; `path` is relative to the base URL, `params` a query string without '?'."""
        target = f"{path}?{params}" if params else path
        sent = describe_request(method, target, json_body, raw)
        data = raw if raw is not None else (None if json_body is None else json.dumps(json_body).encode())
        headers = (JSON_HEADERS if data is not None else {}) | (headers or {})
        try:
            response = self._session.request(
                method, f"{self.base_url}{target}", data=data, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise CheckFailed(
                f"no answer within {self.timeout:g} s", Exchange(sent, "nothing: the request timed out")
            ) from None
        except requests.RequestException as exc:
            raise CheckFailed(
                "the connection failed", Exchange(sent, f"no HTTP answer ({type(exc).__name__})")
            ) from None
        return Reply(
            response.status_code, response.headers, response.content, Exchange(sent, describe_response(response))
        )

    def get(self, path: str, params: str = "") -> Reply:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, *, raw: bytes | None = None) -> Reply:
        return self.request("POST", path, json_body=body, raw=raw)

    def put(self, path: str, body: Any = None, *, raw: bytes | None = None) -> Reply:
        return self.request("PUT", path, json_body=body, raw=raw)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)

    def path_of(self, location: str) -> str:
        """The path to request for a Location header, relative or absolute, against our base URL.

        An absolute Location may name another alias of the same host (localhost vs 127.0.0.1) or an
        address only the service can see; only its path is followed, always against the base URL.
        """
        path = urlsplit(location).path
        if not path.startswith("/"):
            path = "/" + path
        prefix = urlsplit(self.base_url).path
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return path

    def fork(self) -> RestClient:
        """A client of its own for another thread (sessions are not shared across threads)."""
        return RestClient(self.base_url, self.timeout)
