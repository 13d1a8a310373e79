"""Our Kafka clients never create topics by asking about them (不自动建主题).

A Kafka metadata request (v4+) carries ``allow_auto_topic_creation``, and aiokafka always sends True. A broker
with auto-creation on then creates any topic a client merely names, with the broker's default partition count:
the embedded broker makes 4. After the embedded broker restarts empty, every consumer and producer still
running asks about its topics within milliseconds, so they come back with 4 partitions instead of the
registry's 6 (or 3, or 1); ``ensure_topics`` then finds them present and leaves them so, records sent to
partitions 4 and 5 by clients that still believe in 6 are never read, and a case waits for ever. Topics are
created from the registry only (:func:`~exchange.kafka.admin.ensure_topics`), so the exchange's clients say
False: a client asking about a missing topic is told it is missing and asks again.
"""

from __future__ import annotations

from typing import Any

from aiokafka.protocol.metadata import MetadataRequest

__all__ = ["refuse_topic_auto_creation"]


def refuse_topic_auto_creation() -> None:
    """Make every aiokafka client in this process (faust's included) send ``allow_auto_topic_creation=False``
    unless a caller asks otherwise. Idempotent; called once by each process at start, never at import."""
    if getattr(MetadataRequest, "_onething_no_auto_create", False):
        return
    original = MetadataRequest.build

    def build(self: MetadataRequest, request_struct_class: Any) -> Any:
        if self._allow_auto_topic_creation is None:
            self._allow_auto_topic_creation = False
        return original(self, request_struct_class)

    MetadataRequest.build = build
    MetadataRequest._onething_no_auto_create = True
