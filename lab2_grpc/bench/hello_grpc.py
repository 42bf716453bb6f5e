"""The gRPC floor: a bare grpcio "hello" under the lab's own gRPC server settings.

The method takes and returns raw bytes (no protobuf, no call-budget interceptor), so what it costs is grpcio
itself: HTTP/2 framing, the C core, the hand-over to a pool thread and back. The lab's calls are measured
against it.
"""

from __future__ import annotations

from concurrent import futures

import grpc

from ..settings import Settings

SERVICE = "hello.v1.Hello"
METHOD = f"/{SERVICE}/Say"
REPLY = b"hello"


def _say(request: bytes, context: grpc.ServicerContext) -> bytes:
    return REPLY


def start(settings: Settings) -> grpc.Server:
    """Serve the hello method with the pool size, concurrency limit and options of lab2_grpc.grpc_server."""
    threads = settings.grpc_threads
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="grpc"),
        maximum_concurrent_rpcs=threads,
        options=[("grpc.max_receive_message_length", settings.max_body_bytes), ("grpc.so_reuseport", 0)],
    )
    handler = grpc.method_handlers_generic_handler(SERVICE, {"Say": grpc.unary_unary_rpc_method_handler(_say)})
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(settings.address(settings.grpc_port))
    server.start()
    return server
