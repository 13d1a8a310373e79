"""The current satisfaction figures, for the API: the latest value of each figure the stream processor
published on ``analytics.rating.figures``, kept in rating's database so every replica answers alike."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.rating.v1 import RatingFigures
from rating.service_layer.unit_of_work import RatingUnitOfWork

__all__ = ["figures_updated"]


async def figures_updated(uow: RatingUnitOfWork, envelope: Envelope, payload: RatingFigures) -> None:
    """The latest record of a figure is the figure: the topic has one partition and one writer per key, read in
    order (a repeat is dropped by the inbox). Versions are not compared: a rebuild starts them at 1 again."""
    await uow.figures.keep_latest(payload)
