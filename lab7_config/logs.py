"""The log format: one JSON object per line on stdout, in Elastic Common Schema (ECS).

A log that a machine reads (Filebeat ships it to Elasticsearch, Kibana searches it) should not be
parsed back out of prose: each line is a JSON object whose fields have agreed names (``@timestamp``,
``log.level``, ``message``, ``service.name``, ``trace.id``, ``http.response.status_code`` ...), so
"every line of this registration's trail" is the query ``trace.id : "..."``. Elastic's ecs-logging
writes the objects; this module adds the two fields every line of the lab carries: the service's
name, and the trace id of the request or event being handled (tracing.py).

``LOG_FORMAT=text`` gives the lines of earlier labs, for a person reading a terminal.

Lab 7: SIGHUP re-reads the settings and applies a new LOG_LEVEL without a restart (`reload`), so
that a running lab can be made to say more while a problem is looked at, and nothing is lost.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from typing import Any

import ecs_logging
from ecs_logging._meta import ECS_VERSION

from . import broker, tracing
from .settings import Settings, SettingsError, load

log = logging.getLogger(__name__)
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


def reload(running: Settings, service: str, report: bool = True) -> Settings:
    """Re-read the settings (on SIGHUP) and apply LOG_LEVEL; the settings now in effect.

    Only the level can change in a running process: the ports are bound, the store and the
    connections made, and a new value of those would mean a new process (a restart), which an
    in-memory store does not survive. Any other variable that changed is named, never applied,
    and stays named at every reload until a restart. A settings file that cannot be read keeps
    the old level: a bad edit never stops a running service. `report=False` (a Gunicorn worker,
    whose master has just read the same file and said what it found) writes nothing.

    Called outside a signal handler: a handler that logs could wait forever for the logging lock
    held by the very code it interrupted.
    """
    try:
        fresh = load(service=service)
    except SettingsError as exc:
        if report:
            problems = "; ".join(str(exc).splitlines())
            log.warning("SIGHUP: settings not reloaded, LOG_LEVEL stays %s: %s", running.log_level, problems)
        return running
    _set_level(running.log_level, fresh.log_level, report)
    changed = [f.name.upper() for f in dataclasses.fields(Settings) if _differs(f.name, running, fresh)]
    if changed and report:
        they = "it takes" if len(changed) == 1 else "they take"
        log.warning("SIGHUP: %s changed: %s effect on restart", ", ".join(changed), they)
    return dataclasses.replace(running, log_level=fresh.log_level)


def _differs(name: str, running: Settings, fresh: Settings) -> bool:
    return name != "log_level" and getattr(running, name) != getattr(fresh, name)


def _set_level(old: str, new: str, report: bool) -> None:
    """Set the root logger's level: every logger of the lab has none of its own and follows it (pika and
    kafka-python keep theirs: broker.quiet_clients).

    The line saying so is written while the more verbose of the two levels is in effect, at INFO or,
    when neither level writes INFO, at the more verbose one: every reload shows in the log.
    """
    levels = logging.getLevelNamesMapping()
    root = logging.getLogger()
    root.setLevel(min(levels[old], levels[new]))
    if report:
        said = f"is now {new} (was {old})" if new != old else f"stays {new}"
        log.log(max(logging.INFO, root.level), "SIGHUP: LOG_LEVEL %s", said)
    root.setLevel(new)
