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
from typing import Any

import ecs_logging
from ecs_logging._meta import ECS_VERSION

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


class Formatter(ecs_logging.StdlibFormatter):
    """ecs-logging's formatter, with each document built in one pass.

    The library's own `format_to_ecs` tries some thirty fields one by one and merges each into the
    document: about 70 µs a line here, more than the metrics of a request cost. The lab's lines hold
    the record's few standard fields and the extras its own code sets, which are already ECS names
    ("trace.id", "http.response.status_code"); built directly, the same document takes about half
    (`format_to_ecs` is the library's documented place to change what a document holds). The
    library still writes the timestamp, the error fields and the JSON; a test checks that both
    build the same document.
    """

    def format_to_ecs(self, record: logging.LogRecord) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@timestamp": self._record_timestamp(record),
            "log.level": record.levelname.lower(),
            "message": record.getMessage(),
            "ecs.version": ECS_VERSION,
            "log": {"logger": record.name},
            "process": {
                "pid": record.process,
                "name": record.processName,
                "thread": {"id": record.thread, "name": record.threadName},
            },
        }
        if record.exc_info and record.exc_info[1] is not None:
            document["error"] = {
                "type": self._record_error_type(record),
                "message": self._record_error_message(record),
                "stack_trace": self._record_error_stack_trace(record),
            }
        for name, value in record.__dict__.items():
            if "." in name and value is not None:  # an extra, by its ECS name: "trace.id" is {"trace": {"id": ...}}
                *parents, last = name.split(".")
                node = document
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[last] = value
        return document


def setup(settings: Settings, service: str) -> None:
    """Log to stdout, as ECS JSON lines (or text), at LOG_LEVEL; `service` is "users" or "notifier"."""
    handler = logging.StreamHandler(sys.stdout)
    if settings.log_format == "ecs":
        handler.setFormatter(Formatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    handler.addFilter(ServiceFields(service))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    broker.quiet_clients()
