"""``exchange.db.tables.table_of``: a table model's Core table, and a clear refusal for a model that is no table."""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel

from exchange.db.tables import OutboxMessage, table_of


class NotATable(SQLModel):
    name: str


def test_a_table_model_gives_its_table_and_a_plain_model_is_refused() -> None:
    assert table_of(OutboxMessage).name == "outbox"
    with pytest.raises(TypeError, match="NotATable is not a table model"):
        table_of(NotATable)
