"""The figures docs/catalogue.md publishes about the shipped catalogue are the catalogue's own: change one,
change the other."""

from __future__ import annotations

from collections import Counter

from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import MaterialSource

from contracts.departments import DEPARTMENTS
from intake.domain.deadline import bundle_deadline


def test_the_documented_counts_are_the_shipped_catalogue() -> None:
    catalogue = load_catalogue()
    items = [i for b in catalogue.bundles for i in b.items]
    materials = [m for i in items for m in i.materials]
    by_life = Counter(b.life_cycle.value for b in catalogue.bundles)
    items_by_life = Counter(b.life_cycle.value for b in catalogue.bundles for _ in b.items)
    assumed = Counter(a for i in items for a in i.assumed)

    assert (len(catalogue.bundles), len(items)) == (46, 243)
    assert dict(by_life) == {"person": 20, "enterprise": 17, "project": 9}
    assert dict(items_by_life) == {"person": 106, "enterprise": 90, "project": 47}
    assert len(materials) == 707
    assert sum(m.provided_by is MaterialSource.SHARING for m in materials) == 397
    assert (sum(m.tolerable for m in materials), sum(m.commitment_allowed for m in materials)) == (57, 51)
    assert sum(i.yields_licence for i in items) == 89
    assert sum(not i.online for i in items) == 12
    assert sum(i.fee_yuan > 0 for i in items) == 9
    assert (len(DEPARTMENTS), len({i.department for i in items})) == (45, 38)
    assert (assumed["time_limit_days"], assumed["legal_basis"], assumed["materials.legal_basis"],
            assumed["fee_yuan"]) == (222, 164, 181, 25)


def test_the_seeds_own_worked_example_jinshi_noodle_shop() -> None:
    """Seed 002, Jinshi 「我要开粉面馆」: 6 departments, 14 pages of forms, 95 working days before; one form and 18
    working days after. The 18 comes from the items' own limits by R-05, not from an item limit set to 18."""
    catalogue = load_catalogue()
    bundle = catalogue.bundle("E-02")
    assert bundle is not None
    items = list(bundle.items)
    departments = {i.department for i in items}
    assert len(departments) == 6 and departments == {bundle.lead, *bundle.co}
    deadline = bundle_deadline(items, catalogue.settings.sequential_compression)
    assert deadline.statutory_days == 95  # one after another, as before the reform
    assert deadline.limit_days <= 18
    # the seed gives no item limit: each is assumed but registration's, Hunan's 1-working-day benchmark (as E-01-01)
    assert [i.code for i in items if "time_limit_days" not in i.assumed] == ["E-02-05"]
    assert all(deadline.promised_days[i.code] <= i.time_limit_days for i in items)
    # one form instead of one per item: every field asked once
    form = catalogue.fields_for(bundle, [i.code for i in items])
    assert len({f.name for f in form}) == len(form) < sum(len(i.fields) for i in items)
