"""The broker `BROKER` names: RabbitMQ (rabbitmq.py, the default) or Kafka (kafka.py), behind broker.py's interface."""

from __future__ import annotations

from .broker import Consumer, Publisher
from .kafka import KafkaEventConsumer, KafkaPublisher
from .metrics import NotifierMetrics
from .rabbitmq import RabbitConsumer, RabbitPublisher
from .settings import Settings


def publisher(settings: Settings) -> Publisher:
    return KafkaPublisher(settings) if settings.broker == "kafka" else RabbitPublisher(settings)


def consumer(settings: Settings, metrics: NotifierMetrics | None = None) -> Consumer:
    """Lab 6: `metrics` counts what the consumer cannot handle at once (failures, retries, dead letters)."""
    return KafkaEventConsumer(settings, metrics) if settings.broker == "kafka" else RabbitConsumer(settings, metrics)
