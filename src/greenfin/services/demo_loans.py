"""Demo loan books (示例): generate, import and analyse one book per demo bank and quarter end,
through the ordinary services, plus the regulator's demo qualitative evaluation scores.

Called once from :func:`greenfin.services.demo.load_demo`. Everything is synthetic: the banks
and borrowers are the demo population (names end in （示例）), the books come from
:mod:`greenfin.demo.loanbooks`, and the qualitative scores' evidence notes say 示例.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.banking import evaluation as ev
from greenfin.demo.loanbooks import QUARTER_ENDS, Borrower, generate_loan_books
from greenfin.identity.principal import SystemActor
from greenfin.identity.roles import OrgKind
from greenfin.services import evaluation, loan_analysis, loans
from greenfin.store.models import Organisation

DEMO_ACTOR = SystemActor(username="demo-loader")
DEMO_EVIDENCE = "示例：{label}，依据示例现场检查与报送材料（synthetic）"


def _data_dir(data_dir: Path | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    from greenfin.settings import get_settings

    return get_settings().data_dir


def load_demo_loan_books(
    session: Session,
    *,
    seed: int = 20261127,
    data_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Import and analyse the demo books of every synthetic bank (5 quarter ends each) and enter
    demo qualitative scores for the last quarter under every shipped scheme. Returns the number
    of books imported. Idempotent: a book already imported is recognised by its content hash."""
    root = _data_dir(data_dir)
    banks = (
        session.execute(
            select(Organisation)
            .where(Organisation.kind == OrgKind.BANK.value, Organisation.is_synthetic)
            .order_by(Organisation.id)
        )
        .scalars()
        .all()
    )
    if not banks:
        return 0
    enterprises = (
        session.execute(
            select(Organisation)
            .where(Organisation.kind == OrgKind.ENTERPRISE.value, Organisation.is_synthetic)
            .order_by(Organisation.id)
        )
        .scalars()
        .all()
    )
    borrowers = [
        Borrower(
            o.uscc, o.name_zh, o.industry_code or "7514", o.district_code, o.in_city_sub_centre
        )
        for o in enterprises
    ]
    by_name = {b.name_zh: b for b in banks}
    books = generate_loan_books(list(by_name), borrowers, seed=seed)
    total = len(books)
    for done, ((name, as_of), frame) in enumerate(books.items(), start=1):
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        bank = by_name[name]
        imported = loans.import_loan_book(
            session, DEMO_ACTOR, buffer.getvalue(), f"demo-{bank.id}-{as_of}.parquet", bank.id,
            as_of, root,
        )  # fmt: skip
        if imported.created:
            loan_analysis.analyse_import(session, DEMO_ACTOR, imported.import_id, data_dir=root)
        if progress:
            progress(done, total)
    _qualitative(session, [b.id for b in banks], seed)
    return total


def _qualitative(session: Session, bank_ids: list[int], seed: int) -> None:
    """Demo regulator scores (示例) for the last quarter end, every shipped scheme."""
    quarter = evaluation.quarter_of(QUARTER_ENDS[-1])
    rng = random.Random(f"{seed}:qualitative")
    for bank_id in bank_ids:
        level = rng.uniform(55, 95)
        for scheme_id in ev.available_schemes():
            sch = ev.load_scheme(scheme_id)
            scores = [
                evaluation.QualitativeScoreIn(
                    item=q.id,
                    score=round(min(q.score_max, max(q.score_min, level + rng.uniform(-8, 8))), 0),
                    evidence=DEMO_EVIDENCE.format(label=q.label_zh),
                )
                for q in sch.qualitative_items
            ]
            evaluation.enter_qualitative(
                session, DEMO_ACTOR, quarter, bank_id,
                evaluation.QualitativeIn(scheme=scheme_id, scores=scores),
            )  # fmt: skip
