"""满意度统计流处理 (the satisfaction figures stream processor), on faust-streaming.

Two stages, because the state a rating needs is keyed by case and the figures by figure:

1. ``fold-cases`` reads ``rating.rating.events`` (ratings, appeal decisions) and ``onething.case.stream``
   (supervision's stopped clocks), co-partitioned by case id, and skips every other type by its header. It
   keeps a :class:`~rating.figures.fold.CaseState` per case in the ``cases`` table and sends each figure's
   change to the internal topic ``<app id>-changes``, keyed by figure.
2. ``apply-changes`` applies them to the ``figures`` table and publishes every changed figure as a signed
   ``rating.figures.updated`` envelope (source: this service) on ``analytics.rating.figures``, keyed
   ``period:period_start:by:key`` (compacted: the latest record of a key is the figure).

A record that can never succeed (not an envelope, a bad signature, a payload not matching its schema, a
rating not published by rating or a clock not by supervision, a record not keyed by its case) goes to
``<topic>.dlq.<app id>`` and the processor carries on. Losing the broker stops the job (``run()`` raises).

Delivery guarantees, honestly: this broker has neither transactions nor an idempotent producer, so delivery
is at-least-once: faust commits an offset after flushing what its events sent, and a crash redelivers what
was not committed. The counts are kept exact under redelivery by construction, not by the broker:

* stage 1 keeps its state per rating id and per clock id, so an event seen twice changes nothing; it waits
  until its changes are acknowledged before writing the case state, so a case state that survived a crash
  was sent on; a change sent twice (a crash after the acknowledgement, before the state write) carries the
  same record position (topic, partition, offset);
* stage 2 applies at most one change per record position and figure (it remembers, per figure, the last
  offset applied from each stage-1 partition; stage 1 sends a partition's changes in order); it publishes a
  figure and waits for the acknowledgement before writing the figure's state, and when a change turns out
  to be a repeat it publishes the current figure again. The analytics topic may therefore carry a version
  twice, always with the same envelope id (``uuid5`` of app id, figure and version): consumers drop it.

State lives in memory (``memory://``) and is rebuilt from the changelog topics at every start; the cases
table holds every case ever rated, so start-up time and memory grow with history.

Rebuilding the figures (重算): run the processor under a new app id (e.g. ``rating-figures-2``). Its new
consumer group reads ``rating.rating.events`` and ``onething.case.stream`` from the beginning (both are kept
forever), with new tables and internal topics, and publishes every figure again, versions starting at 1; stop
the old app id first, since both write the same keys. Consumers take the latest record per key.
"""

from __future__ import annotations

import logging
from uuid import NAMESPACE_URL, uuid5

import faust
from faust.types import Message, TableT

from contracts.rating.v1 import AppealDecided, RatingSubmitted
from contracts.supervision.v1 import ClockStopped
from contracts.topics import CASE_STREAM, RATING_EVENTS, RATING_FIGURES, TopicSpec
from exchange.errors import Malformed, Rejected
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing, Signer
from exchange.streams import StreamProcessor, bytes_topic, open_record, signed_record
from rating.figures.fold import CaseState, FigureChange, FigureState, apply_change, figures_payload, fold

__all__ = ["FiguresProcessor"]

logger = logging.getLogger(__name__)

class FiguresProcessor(StreamProcessor):
    """The figures processor as a background job of the rating service.

    ``app_id`` (default ``<service name>-figures``) names the consumer group, the tables' changelog topics
    and the internal topic; a new one rebuilds everything. The topics default to the registry's; tests pass
    their own.
    """

    name = "rating figures"

    def __init__(
        self,
        settings: ExchangeSettings,
        keyring: KeyRing,
        signer: Signer,
        *,
        app_id: str | None = None,
        ratings: TopicSpec = RATING_EVENTS,
        cases: TopicSpec = CASE_STREAM,
        figures: TopicSpec = RATING_FIGURES,
    ) -> None:
        app_id = app_id or f"{settings.service_name}-figures"
        super().__init__(settings, app_id=app_id, sources=(ratings, cases), outputs=(figures,), reporter=signer)
        self.keyring = keyring
        self.signer = signer
        self.figures_topic = figures.name
        self.changes_topic = f"{app_id}-changes"
        self._wanted = {
            ratings.name: frozenset({RatingSubmitted.event_type, AppealDecided.event_type}),
            cases.name: frozenset({ClockStopped.event_type}),
        }
        self.published = 0

    def build(self, app: faust.App, partitions: int) -> None:
        sources = bytes_topic(app, *(s.name for s in self.sources))
        changes = bytes_topic(app, self.changes_topic, internal=True, partitions=partitions)
        case_table = app.Table("cases", partitions=partitions)
        figure_table = app.Table("figures", partitions=partitions)

        async def fold_cases(stream: faust.StreamT[bytes]) -> None:
            try:
                async for event in stream.events():
                    await self._fold(event.message, case_table)
            except Exception as exc:  # not the record's fault (the broker is gone): stop, be restarted, redeliver
                self.fail(exc)

        async def apply_changes(stream: faust.StreamT[bytes]) -> None:
            try:
                async for event in stream.events():
                    await self._apply(event.message, figure_table)
            except Exception as exc:
                self.fail(exc)

        app.agent(sources, name="fold-cases")(fold_cases)
        app.agent(changes, name="apply-changes")(apply_changes)

    async def _fold(self, message: Message, table: TableT[str, object]) -> None:
        """Stage 1: one record of a case → the case's new state, and the figures' changes sent on."""
        wanted = self._wanted.get(message.topic, frozenset())
        try:
            opened = open_record(message, self.keyring, wanted.__contains__)
            if opened is None:
                return
            # Who may publish each event (figures are official statistics) was checked by open_record.
            envelope, payload = opened
            if not isinstance(payload, RatingSubmitted | AppealDecided | ClockStopped):  # a registry mistake
                raise Malformed(f"{envelope.type} decoded as {type(payload).__name__}, not a figures event")
            if message.key != payload.case_id.encode():
                # The case's state lives in the partition of its case id; another key would split it.
                raise Rejected(f"{envelope.type} of case {payload.case_id} is not keyed by its case id")
            stored = table.get(payload.case_id)
            before = CaseState() if stored is None else CaseState.model_validate(stored)
            after, changes = fold(before, payload)
        except Exception as exc:  # can never succeed, however often it is retried
            await self.dead_letter(message, exc)
            return
        source = f"{message.topic}:{message.partition}"
        await self.send_and_wait(
            (
                self.changes_topic,
                figure.wire.encode(),
                FigureChange(figure=figure, change=change, source=source, offset=message.offset)
                .model_dump_json().encode(),
                [],
            )
            for figure, change in changes.items()
        )
        if after != before:  # written after the changes were acknowledged: see the module docstring
            table[payload.case_id] = after.model_dump(mode="json")

    async def _apply(self, message: Message, table: TableT[str, object]) -> None:
        """Stage 2: one figure's change → the figure's new state, published."""
        try:
            change = FigureChange.model_validate_json(message.value or b"")
            key = change.figure.wire
            stored = table.get(key)
            before = FigureState() if stored is None else FigureState.model_validate(stored)
            after = apply_change(before, change)
            current = before if after is None else after  # a repeat publishes the current figure again
            value, headers = signed_record(
                self.signer, figures_payload(change.figure, current), subject=key,
                event_id=uuid5(NAMESPACE_URL, f"urn:onething:{self.app_id}:{key}:{current.version}"),
            )
        except Exception as exc:
            await self.dead_letter(message, exc)
            return
        await self.send_and_wait([(self.figures_topic, key.encode(), value, headers)])
        self.published += 1
        if after is not None:
            table[key] = after.model_dump(mode="json")
