"""The REST floor: a bare Flask "hello", served by the lab's own HTTP server (and, to compare, by Waitress).

Whatever a CRUD call costs on top of this is the service's own work (routing to its view, validation, the
store, JSON); everything below it is the price of HTTP/1.1 + WSGI + Flask that no change to the service can
remove.
"""

from __future__ import annotations

from flask import Flask, Response

HELLO_PATH = "/hello"


def create_app() -> Flask:
    """One route and a health check, so the study can wait for it like for the lab."""
    app = Flask(__name__)

    @app.get(HELLO_PATH)
    def hello() -> Response:
        return Response(b"hello", mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b"ok", mimetype="text/plain")

    return app
