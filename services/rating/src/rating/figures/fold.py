"""The rules of the satisfaction figures (满意度统计口径), pure: no I/O, no clock, no broker.

Stage 1 folds a case's events into :class:`CaseState` and says how each figure changed (:func:`fold`);
stage 2 applies those changes to one figure (:func:`apply_change`) and says what to publish
(:func:`figures_payload`). The processor (``rating.figures.processor``) only moves bytes around them.

Where a rating counts (统计维度), each by day (China's calendar day of ``submitted_at``) and by week (ISO
week, from its Monday):

* department (被评价部门): ``department``, when set;
* item (事项): ``item_code``, for a rating of the item touchpoint (部门办理) only;
* window (受理窗口): ``window_id``, for the acceptance and delivery touchpoints, when set;
* channel (受理渠道): ``channel``, when set.

Against timeliness (与按时办结对照): a rating of an item takes the outcome of the latest stopped clock of
kind ``item`` of the same case and item; any other rating takes the case's own clock (kind ``case``);
rectification clocks are not the handling the applicant rated and are ignored. Until its clock stops, a
rating is pending: counted in the levels and the total, in neither on-time nor late. The clock may stop
before or after the rating arrives. "Latest" is the latest ``finished_on``, then the later arrival.

An upheld appeal (申诉成立) takes the rating out of every figure and counts it in ``removed`` only, whenever
the appeal arrives; a rejected one changes nothing. State is kept per rating id and per clock id, so an
event delivered twice changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.days import china_date, week_start
from contracts.rating.v1 import (
    AppealDecided,
    FigureBy,
    FigurePeriod,
    RatingFigures,
    RatingLevel,
    RatingSubmitted,
    Touchpoint,
)
from contracts.supervision.v1 import ClockStopped

__all__ = [
    "CaseEvent",
    "CaseState",
    "ClockFact",
    "FigureChange",
    "FigureKey",
    "FigureState",
    "RatingFact",
    "Tally",
    "apply_change",
    "figures_payload",
    "fold",
    "tallies",
]

CaseEvent = RatingSubmitted | AppealDecided | ClockStopped


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FigureKey(_Frozen):
    """Which figure: a period, its first day, a dimension and the dimension's value."""

    period: FigurePeriod
    period_start: date
    by: FigureBy
    key: str

    @property
    def wire(self) -> str:
        """The Kafka key on the figures topic: ``period:period_start:by:key``."""
        return f"{self.period.value}:{self.period_start.isoformat()}:{self.by.value}:{self.key}"


class Tally(_Frozen):
    """The counts of a figure; as a change to a figure, numbers may be negative.

    The five level fields are named like :class:`RatingLevel` values, so ``getattr(t, level.value)`` reads one.
    """

    very_satisfied: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    very_dissatisfied: int = 0
    on_time_total: int = 0
    on_time_good: int = 0
    late_total: int = 0
    late_good: int = 0
    removed: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(**{f: getattr(self, f) + getattr(other, f) for f in Tally.model_fields})

    def __sub__(self, other: Tally) -> Tally:
        return Tally(**{f: getattr(self, f) - getattr(other, f) for f in Tally.model_fields})

    @property
    def is_zero(self) -> bool:
        return not any(getattr(self, f) for f in Tally.model_fields)

    def of(self, level: RatingLevel) -> int:
        return int(getattr(self, level.value))

    @property
    def total(self) -> int:
        return sum(self.of(level) for level in RatingLevel)


_NONE = Tally()


class RatingFact(_Frozen):
    """What the figures need of a rating (no tags, no comment, no staff)."""

    level: RatingLevel
    touchpoint: Touchpoint
    item_code: str | None
    department: str | None
    window_id: str | None
    channel: str | None
    day: date  # 中国日历日

    @classmethod
    def of(cls, rating: RatingSubmitted) -> RatingFact:
        return cls(
            level=rating.level, touchpoint=rating.touchpoint, item_code=rating.item_code,
            department=rating.department, window_id=rating.window_id, channel=rating.channel,
            day=china_date(rating.submitted_at),
        )

    def dimensions(self) -> list[tuple[FigureBy, str]]:
        found: list[tuple[FigureBy, str]] = []
        if self.department:
            found.append((FigureBy.DEPARTMENT, self.department))
        if self.touchpoint is Touchpoint.ITEM and self.item_code:
            found.append((FigureBy.ITEM, self.item_code))
        if self.touchpoint is not Touchpoint.ITEM and self.window_id:  # the window faces acceptance and delivery
            found.append((FigureBy.WINDOW, self.window_id))
        if self.channel:
            found.append((FigureBy.CHANNEL, self.channel))
        return found

    def figure_keys(self) -> list[FigureKey]:
        monday = week_start(self.day)
        return [
            FigureKey(period=period, period_start=start, by=by, key=key)
            for by, key in self.dimensions()
            for period, start in ((FigurePeriod.DAY, self.day), (FigurePeriod.WEEK, monday))
        ]


class ClockFact(_Frozen):
    """A stopped supervision clock of the handling a rating may be about."""

    kind: Literal["item", "case"]
    item_code: str | None
    finished_on: date
    on_time: bool
    arrival: int  # how many clocks of the case arrived before it: breaks ties of finished_on


class CaseState(_Frozen):
    """Everything the figures remember of one case (stage 1's table value)."""

    ratings: dict[str, RatingFact] = Field(default_factory=dict)
    clocks: dict[str, ClockFact] = Field(default_factory=dict)
    removed: frozenset[str] = frozenset()  # rating ids of upheld appeals, even before the rating arrives

    def on_time(self, rating: RatingFact) -> bool | None:
        """The outcome of the handling ``rating`` is about; None while pending."""
        if rating.touchpoint is not Touchpoint.ITEM:
            clocks = [c for c in self.clocks.values() if c.kind == "case"]
        elif rating.item_code is not None:
            clocks = [c for c in self.clocks.values() if c.kind == "item" and c.item_code == rating.item_code]
        else:
            return None
        latest = max(clocks, key=lambda c: (c.finished_on, c.arrival), default=None)
        return None if latest is None else latest.on_time


def _contribution(rating: RatingFact, on_time: bool | None, removed: bool) -> Tally:
    if removed:
        return Tally(removed=1)
    counts = {rating.level.value: 1}
    good = int(not rating.level.bad)
    if on_time is True:
        counts |= {"on_time_total": 1, "on_time_good": good}
    elif on_time is False:
        counts |= {"late_total": 1, "late_good": good}
    return Tally(**counts)


def tallies(state: CaseState) -> dict[FigureKey, Tally]:
    """What the case adds to each figure."""
    out: dict[FigureKey, Tally] = {}
    for rating_id, rating in state.ratings.items():
        share = _contribution(rating, state.on_time(rating), rating_id in state.removed)
        for key in rating.figure_keys():
            out[key] = out.get(key, _NONE) + share
    return out


def _apply(state: CaseState, event: CaseEvent) -> CaseState:
    if isinstance(event, RatingSubmitted):
        if event.rating_id in state.ratings:
            return state
        return state.model_copy(update={"ratings": {**state.ratings, event.rating_id: RatingFact.of(event)}})
    if isinstance(event, AppealDecided):
        if not event.upheld or event.rating_id in state.removed:
            return state
        return state.model_copy(update={"removed": state.removed | {event.rating_id}})
    if event.kind == "rectification" or event.clock_id in state.clocks:
        return state
    clock = ClockFact(kind=event.kind, item_code=event.item_code, finished_on=event.finished_on,
                      on_time=event.on_time, arrival=len(state.clocks))
    return state.model_copy(update={"clocks": {**state.clocks, event.clock_id: clock}})


def fold(state: CaseState, event: CaseEvent) -> tuple[CaseState, dict[FigureKey, Tally]]:
    """The case after ``event``, and the change of every figure it moved (none left out, no zeros)."""
    after = _apply(state, event)
    if after == state:
        return state, {}
    old, new = tallies(state), tallies(after)
    changes = {key: new.get(key, _NONE) - old.get(key, _NONE) for key in sorted(old.keys() | new.keys(),
                                                                                 key=lambda k: k.wire)}
    return after, {key: change for key, change in changes.items() if not change.is_zero}


class FigureChange(_Frozen):
    """Stage 1 → stage 2: one figure's change caused by one record (at most one per record and figure)."""

    figure: FigureKey
    change: Tally
    source: str  # the record's "topic:partition"
    offset: int  # the record's offset there


class FigureState(_Frozen):
    """One figure (stage 2's table value), with the last change applied from each source partition."""

    tally: Tally = _NONE
    version: int = 0
    applied: dict[str, int] = Field(default_factory=dict)


def apply_change(state: FigureState, change: FigureChange) -> FigureState | None:
    """The figure with ``change`` applied, or None when it already was (a record processed twice).

    Stage 1 sends a partition's changes in offset order, so an offset at or below the last one applied
    from that partition is a repeat: bounded state, however many ratings the figure counts.
    """
    if change.offset <= state.applied.get(change.source, -1):
        return None
    return FigureState(
        tally=state.tally + change.change,
        version=state.version + 1,
        applied={**state.applied, change.source: change.offset},
    )


def figures_payload(figure: FigureKey, state: FigureState) -> RatingFigures:
    """The published figure: counts, 好评率 (非常满意+满意+基本满意 over total) and mean score (5 … 1)."""
    t = state.tally
    total = t.total
    good = sum(t.of(level) for level in RatingLevel if not level.bad)
    score = sum(level.score * t.of(level) for level in RatingLevel)
    return RatingFigures(
        period=figure.period, period_start=figure.period_start, by=figure.by, key=figure.key,
        very_satisfied=t.very_satisfied, satisfied=t.satisfied, basically_satisfied=t.basically_satisfied,
        dissatisfied=t.dissatisfied, very_dissatisfied=t.very_dissatisfied, total=total,
        good_rate=round(good / total, 4) if total else None,
        mean_score=round(score / total, 4) if total else None,
        on_time_total=t.on_time_total, on_time_good=t.on_time_good,
        late_total=t.late_total, late_good=t.late_good, removed=t.removed, version=state.version,
    )
