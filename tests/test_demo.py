from collections import Counter

from greenfin import reference
from greenfin.demo.generate import SYNTHETIC_MARK, generate
from greenfin.identity import uscc
from greenfin.identity.roles import OrgKind, Role, role_fits_org


def test_generation_is_deterministic():
    assert generate(7) == generate(7)
    assert generate(7) != generate(8)


def test_population_meets_the_minimums():
    population = generate()
    kinds = Counter(o.kind for o in population.organisations)
    assert kinds[OrgKind.ENTERPRISE] >= 200
    assert kinds[OrgKind.BANK] >= 12
    assert kinds[OrgKind.INSURER] + kinds[OrgKind.GUARANTOR] >= 3
    assert kinds[OrgKind.REGULATOR] >= 1
    assert {u.role for u in population.users} == set(Role)


def test_every_organisation_is_valid_unique_and_labelled_synthetic():
    population = generate()
    codes = [o.uscc for o in population.organisations]
    assert len(set(codes)) == len(codes)
    assert all(uscc.is_valid(c) for c in codes)
    assert len({o.name_zh for o in population.organisations}) == len(codes)
    industries = reference.industry_codes()
    for org in population.organisations:
        assert org.name_zh.endswith(SYNTHETIC_MARK)
        assert reference.find_district(org.district) is not None
        assert org.uscc[2:8] == org.district  # registered in its own district
        assert org.industry_code is None or org.industry_code in industries
        assert not org.in_city_sub_centre or org.district == "110112"


def test_enterprises_spread_over_all_districts_and_the_sub_centre():
    enterprises = [o for o in generate().organisations if o.kind is OrgKind.ENTERPRISE]
    assert len({o.district for o in enterprises}) == 16
    assert any(o.in_city_sub_centre for o in enterprises)


def test_demo_users_fit_their_organisations():
    population = generate()
    by_key = {o.key: o for o in population.organisations}
    for user in population.users:
        assert role_fits_org(user.role, by_key[user.organisation_key].kind)
