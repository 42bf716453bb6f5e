"""The built-in requirements, one module per concern, grouped by the protocol they test.

A later lab that adds a protocol adds its modules here under that protocol's name.
"""

from __future__ import annotations

import importlib

MODULES = {
    "rest": ("rest_crud", "rest_errors", "rest_concurrency", "rest_extras"),
    "grpc": ("grpc_crud", "grpc_errors", "grpc_concurrency", "grpc_extras"),
}

# Features a lab adds on top of its protocols (labs.py): lab 3's authentication, lab 4's chat, lab 5's notifier,
# lab 6's metrics and traces, lab 7's configuration.
FEATURE_MODULES = {
    "auth": ("auth",),
    "websocket": ("websocket",),
    "notifications": ("notifications",),
    "monitoring": ("monitoring",),
    "config": ("config",),
}


def load(protocols: tuple[str, ...], features: tuple[str, ...] = ()) -> None:
    """Import (and so register) the requirement modules of these protocols; importing twice is a no-op."""
    for protocol in protocols:
        for module in MODULES.get(protocol, ()):
            importlib.import_module(f"{__name__}.{module}")
    for feature in features:
        for module in FEATURE_MODULES.get(feature, ()):
            importlib.import_module(f"{__name__}.{module}")
