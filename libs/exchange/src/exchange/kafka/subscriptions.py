"""Typed subscriptions (订阅): a handler receives exactly the payload class it names, checked once here.

``dict([handles(TaskReleased, on_released), …])`` maps the payload's event type to a handler whose third
argument is a ``TaskReleased``, not any ``EventPayload``: no handler starts with ``assert isinstance``, and a
payload of another class (a registry mistake) is refused as a schema violation, dead-lettered as poison,
instead of failing as an ``AssertionError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from contracts.envelope import Envelope, EventPayload
from exchange.errors import Malformed
from exchange.kafka.consumer import DirectHandler

__all__ = ["handles", "handles_direct"]

P = TypeVar("P", bound=EventPayload)
U = TypeVar("U")  # the unit of work the handler runs in: the library's, or a service's (its use cases, its fakes)


def _checked(payload_type: type[P], envelope: Envelope, payload: EventPayload) -> P:
    if not isinstance(payload, payload_type):
        raise Malformed(f"{envelope.type} decoded as {type(payload).__name__}, not {payload_type.__name__}")
    return payload


def handles(payload_type: type[P], handler: Callable[[U, Envelope, P], Awaitable[None]]
            ) -> tuple[str, Callable[[U, Envelope, EventPayload], Awaitable[None]]]:
    """A subscription entry: ``payload_type``'s event type, and ``handler`` given that payload type only (a
    :data:`Handler` when ``handler`` takes the library's unit of work; a service's table of use cases otherwise)."""
    async def typed(uow: U, envelope: Envelope, payload: EventPayload) -> None:
        await handler(uow, envelope, _checked(payload_type, envelope, payload))

    return payload_type.event_type, typed


def handles_direct(payload_type: type[P], handler: Callable[[Envelope, P], Awaitable[None]]
                   ) -> tuple[str, DirectHandler]:
    """As :func:`handles`, for a consumer without a database (the department simulators)."""
    async def typed(envelope: Envelope, payload: EventPayload) -> None:
        await handler(envelope, _checked(payload_type, envelope, payload))

    return payload_type.event_type, typed
