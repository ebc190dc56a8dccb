"""The synthetic project generator: deterministic, every state, every district, labelled 示例."""

from greenfin import reference
from greenfin.demo.generate import SYNTHETIC_MARK, generate
from greenfin.demo.projects import PROJECTS, STATUS_WEIGHTS, generate_projects
from greenfin.library.reduction import output_keys


def test_generator_is_deterministic_and_covers_states_and_districts():
    population = generate()
    projects = generate_projects(population)
    assert projects == generate_projects(population)
    assert len(projects) == PROJECTS >= 300
    assert {p.target_status for p in projects} == set(STATUS_WEIGHTS)
    assert {p.district for p in projects} == {d.code for d in reference.districts()}
    assert any(p.in_city_sub_centre for p in projects)
    assert all(p.district == "110112" for p in projects if p.in_city_sub_centre)
    assert len({p.name for p in projects}) == len(projects)
    assert all(p.name.endswith(SYNTHETIC_MARK) for p in projects)
    # the demo log-ins' enterprises have a project in every state
    for key in ("enterprise0", "enterprise1"):
        states = {p.target_status for p in projects if p.enterprise_key == key}
        assert states == set(STATUS_WEIGHTS)
    codes = reference.industry_codes()
    for p in projects:
        assert p.industry_code in codes and p.total_investment_10k_cny > 0
        assert set(p.expected_outputs) <= set(output_keys())
        if p.financing_amount_10k_cny is not None:
            assert p.financing_amount_10k_cny <= p.total_investment_10k_cny
