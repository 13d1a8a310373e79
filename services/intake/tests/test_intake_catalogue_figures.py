"""The figures docs/catalogue.md publishes about the shipped catalogue are the catalogue's own: change one,
change the other."""

from __future__ import annotations

from collections import Counter

from contracts.departments import DEPARTMENTS
from intake.catalogue.loader import load_catalogue
from intake.catalogue.model import MaterialSource


def test_the_documented_counts_are_the_shipped_catalogue() -> None:
    catalogue = load_catalogue()
    items = [i for b in catalogue.bundles for i in b.items]
    materials = [m for i in items for m in i.materials]
    by_life = Counter(b.life_cycle.value for b in catalogue.bundles)
    items_by_life = Counter(b.life_cycle.value for b in catalogue.bundles for _ in b.items)
    assumed = Counter(a for i in items for a in i.assumed)

    assert (len(catalogue.bundles), len(items)) == (46, 240)
    assert dict(by_life) == {"person": 20, "enterprise": 17, "project": 9}
    assert dict(items_by_life) == {"person": 106, "enterprise": 87, "project": 47}
    assert len(materials) == 699
    assert sum(m.provided_by is MaterialSource.SHARING for m in materials) == 393
    assert (sum(m.tolerable for m in materials), sum(m.commitment_allowed for m in materials)) == (57, 49)
    assert sum(i.yields_licence for i in items) == 88
    assert sum(not i.online for i in items) == 12
    assert sum(i.fee_yuan > 0 for i in items) == 9
    assert (len(DEPARTMENTS), len({i.department for i in items})) == (45, 37)
    assert (assumed["time_limit_days"], assumed["legal_basis"], assumed["materials.legal_basis"],
            assumed["fee_yuan"]) == (219, 161, 178, 25)
