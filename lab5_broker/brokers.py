"""The broker `BROKER` names: RabbitMQ (rabbitmq.py, the default) or Kafka (kafka.py), behind broker.py's interface."""

from __future__ import annotations

from .broker import Consumer, Publisher
from .kafka import KafkaEventConsumer, KafkaPublisher
from .rabbitmq import RabbitConsumer, RabbitPublisher
from .settings import Settings


def publisher(settings: Settings) -> Publisher:
    return KafkaPublisher(settings) if settings.broker == "kafka" else RabbitPublisher(settings)


def consumer(settings: Settings) -> Consumer:
    return KafkaEventConsumer(settings) if settings.broker == "kafka" else RabbitConsumer(settings)
