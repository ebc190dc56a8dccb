"""Marketplace service on SQLite and PostgreSQL: products, matching scope, demands, the
first-N race, choice, outcomes, notifications and the ledger."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from greenfin import ledger
from greenfin.identity.roles import Role
from greenfin.services import market
from greenfin.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from greenfin.store.models import AuditRecord, DemandInterest, Notification, Organisation
from tests.market.world import SOLAR_LOAN, World, build, principal


@pytest.fixture
def world(db):
    with db.session() as session:
        built = build(session, banks=4)
    return built


def notes(session, principal) -> list[str]:
    return [n.kind for n in market.list_notifications(session, principal).items]


def post(session, w: World, **kw) -> market.DemandOut:
    return market.post_demand(session, w.ent, market.DemandIn(project_id=w.approved.id, **kw))


# --- products ---------------------------------------------------------------------------------


def test_bank_publishes_for_its_own_institution_and_errors_name_fields(db, world):
    with db.session() as session:
        bank = world.banks[0]
        out = market.create_product(session, bank, SOLAR_LOAN.model_copy(update={"name": "第二款"}))
        assert out.organisation_id == bank.organisation_id and out.rules["categories"] == ["4"]
        bad = SOLAR_LOAN.model_copy(
            update={"rules": {"items": ["4.2"], "amount_min_fen": -1}, "rate_max_pct": 1.0}
        )
        with pytest.raises(InvalidInput) as caught:
            market.create_product(session, bank, bad)
        assert {p.field for p in caught.value.problems} == {
            "rules.items[0]",
            "rules.amount_min_fen",
            "rate_max_pct",
        }
        with pytest.raises(InvalidInput) as caught:  # an insurer cannot publish a loan
            market.create_product(session, world.insurer, SOLAR_LOAN)
        assert [p.field for p in caught.value.problems] == ["product_type"]
        with pytest.raises(Forbidden):
            market.create_product(session, world.ent, SOLAR_LOAN)
        other = world.products[world.banks[1].organisation_id]
        with pytest.raises(NotFound):
            market.update_product(session, bank, other, SOLAR_LOAN)
        withdrawn = market.update_product(
            session, bank, out.id, SOLAR_LOAN.model_copy(update={"is_active": False})
        )
        assert not withdrawn.is_active
        with pytest.raises(NotFound):  # a withdrawn product is not shown to others
            market.get_product(session, world.ent, out.id)
        actions = (
            session.execute(select(AuditRecord.action).where(AuditRecord.object_type == "product"))
            .scalars()
            .all()
        )
        assert actions.count("product.created") == 5 and actions.count("product.updated") == 1


# --- matching scope ---------------------------------------------------------------------------


def test_bank_sees_library_projects_only(db, world):
    with db.session() as session:
        bank = world.banks[0]
        page = market.projects_for_bank(session, bank)
        assert {m.project.id for m in page.items} == {world.approved.id, world.other_approved.id}
        assert all(m.project.status == "approved" for m in page.items)
        with pytest.raises(NotFound):  # the draft has the same item and grade, but is not listed
            market.matches_for_project(session, bank, world.draft.id)
        found = market.matches_for_project(session, bank, world.approved.id)
        assert found.eligible_count == 4 and found.matches[0].eligible
        assert {r.rule for r in found.matches[0].reasons} >= {"catalogue", "grade", "cerf"}


def test_enterprise_sees_its_own_projects_only(db, world):
    with db.session() as session:
        own_draft = market.matches_for_project(session, world.ent, world.draft.id)
        assert own_draft.project.grade_is_proposed and own_draft.eligible_count == 4
        with pytest.raises(NotFound):
            market.matches_for_project(session, world.ent2, world.approved.id)
        with pytest.raises(NotFound):
            market.matches_for_project(session, world.ent, world.other_approved.id)


# --- demands ----------------------------------------------------------------------------------


def test_demand_rules_for_the_enterprise(db, world):
    with db.session() as session:
        with pytest.raises(NotFound):  # another enterprise's project
            market.post_demand(session, world.ent2, market.DemandIn(project_id=world.approved.id))
        with pytest.raises(Conflict) as caught:  # not in the library
            market.post_demand(session, world.ent, market.DemandIn(project_id=world.draft.id))
        assert caught.value.problems[0].field == "project_id"
        with pytest.raises(InvalidInput) as caught:
            post(session, world, amount_cny=Decimal("30000000.00"))  # above total investment
        assert caught.value.problems[0].field == "amount_cny"
        with pytest.raises(Forbidden):
            market.post_demand(
                session, world.banks[0], market.DemandIn(project_id=world.approved.id)
            )
        demand = post(session, world)
        assert (demand.amount_fen, demand.term_months, demand.max_interested) == (
            800_000_000,
            60,
            3,
        )
        with pytest.raises(Conflict):  # one live demand per project
            post(session, world)


def test_notifications_reach_only_the_right_organisation(db, world):
    with db.session() as session:
        demand = post(session, world)
        for bank in world.banks:  # every bank has an eligible product
            assert notes(session, bank) == ["demand.new_match"]
        assert notes(session, world.insurer) == []  # no product, no notice
        assert notes(session, world.ent) == []
        market.express_interest(
            session,
            world.banks[0],
            demand.id,
            market.InterestIn(product_id=world.products[world.banks[0].organisation_id]),
        )
        assert notes(session, world.ent) == ["demand.interest"]
        assert notes(session, world.ent2) == [] and notes(session, world.regulator) == []
        other_note = market.list_notifications(session, world.banks[1]).items[0]
        with pytest.raises(NotFound):
            market.mark_read(session, world.banks[0], other_note.id)
        assert market.mark_read(session, world.banks[0], all_unread=True) == 1
        assert market.mark_read(session, world.banks[0], all_unread=True) == 0  # idempotent
        assert market.unread_count(session, world.banks[0].user_id) == 0
        assert market.unread_count(session, world.banks[1].user_id) == 1


def test_each_member_of_an_organisation_reads_for_themselves(db, world):
    with db.session() as session:
        post(session, world)
        colleague = principal(session, session.get(Organisation, world.banks[0].organisation_id),
                              Role.BANK)  # fmt: skip
        note = market.list_notifications(session, world.banks[0]).items[0]
        assert market.mark_read(session, world.banks[0], note.id) == 1
        assert market.list_notifications(session, world.banks[0]).items[0].read
        # the colleague still sees it unread, and can read it in turn
        assert not market.list_notifications(session, colleague).items[0].read
        assert market.unread_count(session, colleague.user_id) == 1
        assert market.unread_count(session, world.banks[0].user_id) == 0
        unread = market.list_notifications(session, colleague, unread_only=True)
        assert [n.id for n in unread.items] == [note.id]
        assert market.mark_read(session, colleague, note.id) == 1
        assert market.unread_count(session, colleague.user_id) == 0


def interest(session, w: World, i: int, demand_id: int) -> market.InterestOut:
    bank = w.banks[i]
    return market.express_interest(
        session, bank, demand_id, market.InterestIn(product_id=w.products[bank.organisation_id])
    )


def test_first_n_and_each_bank_sees_only_its_own_interest(db, world):
    with db.session() as session:
        demand = post(session, world)
        first = interest(session, world, 0, demand.id)
        with pytest.raises(Conflict):  # twice by the same bank
            interest(session, world, 0, demand.id)
        with pytest.raises(InvalidInput) as caught:  # another bank's product
            market.express_interest(
                session,
                world.banks[1],
                demand.id,
                market.InterestIn(product_id=world.products[world.banks[0].organisation_id]),
            )
        assert caught.value.problems[0].field == "product_id"
        interest(session, world, 1, demand.id)
        interest(session, world, 2, demand.id)
        with pytest.raises(Conflict) as caught:
            interest(session, world, 3, demand.id)
        assert "3" in caught.value.detail
        seen_by_bank1 = market.get_demand(session, world.banks[1], demand.id)
        assert [i.organisation_id for i in seen_by_bank1.interests] == [
            world.banks[1].organisation_id
        ]
        assert seen_by_bank1.slots_taken == 3 and seen_by_bank1.slots_left == 0
        seen_by_owner = market.get_demand(session, world.ent, demand.id)
        assert len(seen_by_owner.interests) == 3 and seen_by_owner.interests[0].id == first.id
        assert seen_by_owner.interests[0].score is not None
        with pytest.raises(NotFound):
            market.get_demand(session, world.ent2, demand.id)
        with pytest.raises(Forbidden):
            market.get_demand(session, world.reviewer, demand.id)


def test_choice_outcome_and_only_the_chosen_bank_records_it(db, world):
    with db.session() as session:
        demand = post(session, world)
        picks = [interest(session, world, i, demand.id) for i in range(3)]
        version = market.get_demand(session, world.ent, demand.id).version
        with pytest.raises(Conflict):  # a stale page
            market.choose_interest(
                session,
                world.ent,
                demand.id,
                market.ChooseIn(interest_id=picks[1].id, expected_version=1),
            )
        with pytest.raises(NotFound):
            market.choose_interest(
                session,
                world.ent2,
                demand.id,
                market.ChooseIn(interest_id=picks[1].id, expected_version=version),
            )
        chosen = market.choose_interest(
            session,
            world.ent,
            demand.id,
            market.ChooseIn(interest_id=picks[1].id, expected_version=version),
        )
        assert chosen.status == "chosen"
        assert [i.status for i in chosen.interests] == ["not_chosen", "chosen", "not_chosen"]
        assert notes(session, world.banks[1])[0] == "demand.chosen"
        assert notes(session, world.banks[0])[0] == "demand.not_chosen"
        assert "demand.chosen" not in notes(session, world.banks[3])
        granted = market.OutcomeIn(
            granted=True,
            amount_cny=Decimal("7500000"),
            rate_pct=3.45,
            granted_on=datetime.now(UTC).date(),
        )
        with pytest.raises(NotFound):  # another bank cannot touch the chosen bank's interest
            market.record_outcome(session, world.banks[0], picks[1].id, granted)
        with pytest.raises(Conflict):  # nor record one on its own, not chosen interest
            market.record_outcome(session, world.banks[0], picks[0].id, granted)
        with pytest.raises(InvalidInput) as caught:
            market.record_outcome(
                session,
                world.banks[1],
                picks[1].id,
                granted.model_copy(update={"amount_cny": Decimal("9000000")}),
            )
        assert caught.value.problems[0].field == "amount_cny"
        out = market.record_outcome(session, world.banks[1], picks[1].id, granted)
        assert out.status == "granted" and out.granted_amount_fen == 750_000_000
        assert market.get_demand(session, world.ent, demand.id).status == "closed"
        assert notes(session, world.ent)[0] == "demand.outcome"
        with pytest.raises(Conflict):  # once
            market.record_outcome(session, world.banks[1], picks[1].id, granted)
        rows = market.granted_enterprises(session)
        assert [(r.organisation_id, r.grants, r.granted_amount_fen) for r in rows] == [
            (world.ent.organisation_id, 1, 750_000_000)
        ]
        assert (
            market.granted_enterprises(session, bank_organisation_id=world.banks[0].organisation_id)
            == []
        )
        stats = market.market_statistics(session, world.regulator)
        assert stats.enterprises_granted == 1 and stats.enterprises_with_demand == 1
        assert stats.loan_success_rate == 1.0 and stats.demands_by_status == {"closed": 1}
        with pytest.raises(Forbidden):
            market.market_statistics(session, world.banks[0])
        assert ledger.verify(session).ok


def test_declined_needs_a_reason_and_frees_the_project(db, world):
    with db.session() as session:
        demand = post(session, world)
        pick = interest(session, world, 0, demand.id)
        version = market.get_demand(session, world.ent, demand.id).version
        market.choose_interest(
            session,
            world.ent,
            demand.id,
            market.ChooseIn(interest_id=pick.id, expected_version=version),
        )
        with pytest.raises(InvalidInput) as caught:
            market.record_outcome(session, world.banks[0], pick.id, market.OutcomeIn(granted=False))
        assert caught.value.problems[0].field == "decline_reason"
        out = market.record_outcome(
            session,
            world.banks[0],
            pick.id,
            market.OutcomeIn(granted=False, decline_reason="现金流覆盖不足"),
        )
        assert out.status == "declined"
        assert market.granted_enterprises(session) == []
        assert post(session, world).status == "open"  # a new demand may follow


def test_withdrawn_demand_tells_the_banks_that_engaged(db, world):
    with db.session() as session:
        demand = post(session, world)
        interest(session, world, 2, demand.id)
        out = market.withdraw_demand(
            session, world.ent, demand.id, market.WithdrawIn(expected_version=2)
        )
        assert out.status == "withdrawn"
        assert notes(session, world.banks[2])[0] == "demand.withdrawn"
        with pytest.raises(NotFound):  # a bank that never engaged no longer sees it
            market.get_demand(session, world.banks[0], demand.id)
        assert market.get_demand(session, world.banks[2], demand.id).status == "withdrawn"


# --- the race ---------------------------------------------------------------------------------


def test_racing_banks_exactly_n_win(db):
    """Six institutions race for three places, each in its own session and thread: exactly three
    win, the others get a clean conflict, and the table holds three interests."""
    with db.session() as session:
        w = build(session, banks=6)
        demand_id = post(session, w).id
    barrier = threading.Barrier(len(w.banks))
    results: list[str] = []
    lock = threading.Lock()

    def race(i: int) -> None:
        bank = w.banks[i]
        session = db.new_session()
        try:
            barrier.wait(timeout=30)
            market.express_interest(
                session,
                bank,
                demand_id,
                market.InterestIn(product_id=w.products[bank.organisation_id]),
            )
            session.commit()
            outcome = "won"
        except Conflict:
            session.rollback()
            outcome = "conflict"
        except Exception as exc:  # pragma: no cover - reported below
            session.rollback()
            outcome = f"error: {exc!r}"
        finally:
            session.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(w.banks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict"] * 3 + ["won"] * 3, results
    with db.session() as session:
        count = session.execute(
            select(func.count())
            .select_from(DemandInterest)
            .where(DemandInterest.demand_id == demand_id)
        ).scalar_one()
        assert count == 3
        notified = session.execute(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "demand.interest")
        ).scalar_one()
        assert notified == 3
        assert ledger.verify(session).ok


def test_racing_for_the_last_place(db):
    """Two banks, one place left: exactly one wins."""
    with db.session() as session:
        w = build(session, banks=4)
        demand_id = post(session, w).id
        interest(session, w, 0, demand_id)
        interest(session, w, 1, demand_id)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def race(i: int) -> None:
        session = db.new_session()
        try:
            barrier.wait(timeout=30)
            interest(session, w, i, demand_id)
            session.commit()
            results.append("won")
        except Conflict:
            session.rollback()
            results.append("conflict")
        finally:
            session.close()

    threads = [threading.Thread(target=race, args=(i,)) for i in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict", "won"]


def test_racing_posts_for_one_project_leave_one_live_demand(db):
    """Two posts for the same project at once (double click, two tabs): the project row lock
    lets exactly one through; the other is refused and nothing of it is written."""
    from greenfin.store.models import FinancingDemand

    with db.session() as session:
        w = build(session, banks=2)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def race() -> None:
        session = db.new_session()
        try:
            barrier.wait(timeout=30)
            post(session, w)
            session.commit()
            results.append("posted")
        except Conflict:
            session.rollback()
            results.append("conflict")
        finally:
            session.close()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict", "posted"]
    with db.session() as session:
        live = session.execute(
            select(func.count()).select_from(FinancingDemand).where(
                FinancingDemand.project_id == w.approved.id
            )
        ).scalar_one()  # fmt: skip
    assert live == 1
