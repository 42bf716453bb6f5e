"""The log format: one JSON object per line on stdout, in Elastic Common Schema (ECS).

A log that a machine reads (Filebeat ships it to Elasticsearch, Kibana searches it) should not be
parsed back out of prose: each line is a JSON object whose fields have agreed names (``@timestamp``,
``log.level``, ``message``, ``service.name``, ``trace.id``, ``http.response.status_code`` ...), so
"every line of this registration's trail" is the query ``trace.id : "..."``. Elastic's ecs-logging
writes the objects; this module adds the two fields every line of the lab carries: the service's
name, and the trace id of the request or event being handled (tracing.py).

``LOG_FORMAT=text`` gives the lines of earlier labs, for a person reading a terminal.
"""

from __future__ import annotations

import logging
import sys

import ecs_logging

from . import broker, tracing
from .settings import Settings

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ServiceFields(logging.Filter):
    """Adds ``service.name`` and, while a request or event is handled, ``trace.id`` to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        setattr(record, "service.name", self.service)
        trace_id = tracing.current_trace_id()
        if trace_id and not hasattr(record, "trace.id"):  # a record may name its own (the relay's, per event)
            setattr(record, "trace.id", trace_id)
        return True


def setup(settings: Settings, service: str) -> None:
    """Log to stdout, as ECS JSON lines (or text), at LOG_LEVEL; `service` is "users" or "notifier"."""
    handler = logging.StreamHandler(sys.stdout)
    if settings.log_format == "ecs":
        # Left out: the source line of each record (it helps a developer, not a search), and the message
        # before formatting (log.original), which would write it twice.
        handler.setFormatter(ecs_logging.StdlibFormatter(exclude_fields=["log.origin", "log.original"]))
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    handler.addFilter(ServiceFields(service))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    broker.quiet_clients()
