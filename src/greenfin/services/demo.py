"""Loading the synthetic demo population into the store (through the ordinary services)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.demo.generate import DEMO_PASSWORD, DemoPopulation, generate
from greenfin.identity.principal import SystemActor
from greenfin.services import (
    demo_loans,
    disclosure,
    market_demo,
    organisations,
    projects_demo,
    users,
)
from greenfin.store.models import Organisation

DEMO_ACTOR = SystemActor(username="demo-loader")


class DemoLoadResult(BaseModel):
    loaded: bool
    organisations: int
    users: int
    logins: list[tuple[str, str, str]]  # (username, role, password)


def demo_present(session: Session) -> bool:
    stmt = select(func.count()).select_from(Organisation).where(Organisation.is_synthetic)
    return session.execute(stmt).scalar_one() > 0


def load_demo(
    session: Session,
    *,
    seed: int = 20261127,
    population: DemoPopulation | None = None,
    progress: Callable[[int, int], None] | None = None,
    loan_books: bool = False,
    data_dir: Path | None = None,
) -> DemoLoadResult:
    """Insert the demo population once; a second call changes nothing and says so.

    ``loan_books``: also import and analyse the demo banks' loan books (5 quarter ends, files
    under ``data_dir``, default the settings' data directory) — the CLI does; about 12 s."""
    population = population or generate(seed)
    logins = [(u.username, u.role.value, DEMO_PASSWORD) for u in population.users]
    if demo_present(session):
        return DemoLoadResult(loaded=False, organisations=0, users=0, logins=logins)
    total = len(population.organisations) + len(population.users)
    ids: dict[str, int] = {}
    for done, org in enumerate(population.organisations, start=1):
        created = organisations.create_organisation(
            session,
            DEMO_ACTOR,
            organisations.OrganisationCreate(
                uscc=org.uscc,
                name_zh=org.name_zh,
                name_en=org.name_en,
                kind=org.kind,
                district=org.district,
                in_city_sub_centre=org.in_city_sub_centre,
                industry_code=org.industry_code,
                is_synthetic=True,
            ),
        )
        ids[org.key] = created.id
        if progress:
            progress(done, total)
    for done, user in enumerate(population.users, start=len(population.organisations) + 1):
        users.create_user(
            session,
            DEMO_ACTOR,
            users.UserCreate(
                username=user.username,
                display_name=user.display_name,
                password=user.password,
                organisation_id=ids[user.organisation_key],
                role=user.role,
                is_synthetic=True,
            ),
        )
        if progress:
            progress(done, total)
    disclosure.load_demo_inputs(session, DEMO_ACTOR, ids["bank0"])  # JR/T 0227 inputs (示例)
    if loan_books:  # bank loan books and evaluation inputs (示例)
        demo_loans.load_demo_loan_books(session, seed=seed, data_dir=data_dir, progress=progress)
    projects_demo.load_demo_projects(session, population, ids)  # green project library (示例)
    market_demo.load_demo_market(session)  # products, demands, outcomes (示例)
    return DemoLoadResult(
        loaded=True,
        organisations=len(population.organisations),
        users=len(population.users),
        logins=logins,
    )
