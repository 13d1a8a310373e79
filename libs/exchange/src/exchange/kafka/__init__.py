"""Kafka plumbing: topic creation, producer, consumer runner with inbox and dead letters."""

from exchange.kafka.admin import ensure_topics
from exchange.kafka.consumer import ConsumerRunner, Handler
from exchange.kafka.producer import Producer

__all__ = ["ConsumerRunner", "Handler", "Producer", "ensure_topics"]
