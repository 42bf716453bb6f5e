"""The REST calls the exercises make beyond the grader's: PATCH, request headers, the ETag shown.

They go through the grader's own client, so a timeout or a dropped connection fails the exercise
the way it fails a requirement, and every failure quotes the call that shows it.
"""

from __future__ import annotations

from typing import Any

from common.grader import Context, Exchange
from common.grader.rest_client import Reply, RestClient


class HeaderClient(RestClient):
    """The grader's REST client, sending `headers` with every request and saying so in the evidence."""

    def __init__(self, base_url: str, timeout: float, headers: dict[str, str]) -> None:
        super().__init__(base_url, timeout)
        self.headers = headers
        self._session.headers.update(headers)

    def request(self, method: str, path: str, **options: Any) -> Reply:
        reply = super().request(method, path, **options)
        shown = "; ".join(f"{name}: {value}" for name, value in self.headers.items())
        reply.exchange = Exchange(f"{reply.exchange.sent} [{shown}]", reply.exchange.got)
        return reply


def patch(ctx: Context, path: str, body: Any) -> Reply:
    return ctx.rest.request("PATCH", path, json_body=body)


def put_with(ctx: Context, path: str, body: Any, headers: dict[str, str]) -> Reply:
    """PUT with extra request headers (If-Match), on a connection of its own."""
    client = HeaderClient(ctx.rest.base_url, ctx.rest.timeout, headers)
    try:
        return client.put(path, body)
    finally:
        client.close()


def etag(reply: Reply) -> str:
    return reply.headers.get("ETag", "")


def with_etag(reply: Reply) -> Exchange:
    """The reply's exchange, with the ETag it answered (the grader shows only Content-Type and Location)."""
    return Exchange(reply.exchange.sent, f"{reply.exchange.got} [ETag: {etag(reply) or 'none'}]")
