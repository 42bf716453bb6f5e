"""The gRPC floor: a bare grpcio "hello" under the lab's own gRPC server settings.

The method takes and returns raw bytes (no protobuf, no interceptor), so what it costs is grpcio itself:
HTTP/2 framing, the C core, the hand-over to a pool thread and back. The lab's calls are measured against it.
"""

from __future__ import annotations

from concurrent import futures

import grpc

from ..grpc_server import MAX_MESSAGE_BYTES

SERVICE = "hello.v1.Hello"
METHOD = f"/{SERVICE}/Say"
REPLY = b"hello"


def _say(request: bytes, context: grpc.ServicerContext) -> bytes:
    return REPLY


def start(host: str, port: int, workers: int = 8) -> grpc.Server:
    """Serve the hello method with the same pool size and options as lab2_grpc.grpc_server.start."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.so_reuseport", 0)],
    )
    handler = grpc.method_handlers_generic_handler(SERVICE, {"Say": grpc.unary_unary_rpc_method_handler(_say)})
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"{host}:{port}")
    server.start()
    return server
