"""The green project library: search (Chinese full text + filters, paginated) and statistics.

Search reads only card columns with SQLAlchemy Core in one round trip (limit + 1 rows; no
count). Text matching: every query token
(``greenfin.library.search``) must be among the project's tokens — on PostgreSQL
``string_to_array(search_text, ' ') @> '{…}'`` over the GIN index of migration 0005 (or walking
the (status, decided_at, id) index when a word is common), on SQLite ``LIKE`` over the same text.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import OrderedDict
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Select, and_, event, func, literal_column, select
from sqlalchemy.orm import Session

from greenfin import reference
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import Role
from greenfin.library import search
from greenfin.library.assessment import REVIEWER as REVIEWER_SOURCE
from greenfin.library.workflow import STATUS_LABELS, Grade, Status
from greenfin.services.errors import InvalidInput, Page
from greenfin.services.permissions import require
from greenfin.services.projects import (
    CARD_COLUMNS,
    FEN_PER_10K_CNY,
    ProjectCard,
    card,
    card_select,
    visible_clause,
)
from greenfin.store.models import LedgerHead, Organisation, Project
from greenfin.taxonomy.catalogue import load_catalogue

# Phase 1 of a text search reads at most this many of the newest candidates (see
# search_library); a tuning knob of the query plan, measured in benchmarks/library_search.py.
RECENT_WINDOW = 3000
SAFE_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffa-z0-9.]+")
MAX_PAGE = 100
SUB_CENTRE = "sub_centre"  # district filter value: the city sub-centre (城市副中心) only
STATUS_FILTER_ROLES = frozenset({Role.REVIEWER, Role.REGULATOR, Role.ADMIN})
STATISTICS_ROLES = frozenset({Role.REGULATOR, Role.ADMIN})
# the project columns of a result card (plus the text, for the phase-1 window)
CARD_SOURCE_COLUMNS = (
    *(c for c in CARD_COLUMNS if getattr(c, "table", None) is Project.__table__),
    Project.organisation_id,
    Project.decided_at,
    Project.search_text,
)


class LibraryQuery(BaseModel):
    """Filters of the library search. ``district``: a GB/T 2260 code or name, or
    ``sub_centre`` for the city sub-centre; ``financing_min/max_10k_cny``: the financing need in
    万元 (inclusive); ``status``: reviewers, regulators and admins only (default approved)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    q: Annotated[str | None, Field(max_length=100)] = None
    category: Annotated[str | None, Field(max_length=10)] = None
    grade: Grade | None = None
    district: Annotated[str | None, Field(max_length=40)] = None
    financing_min_10k_cny: Annotated[Decimal | None, Field(ge=0, le=Decimal("1e9"))] = None
    financing_max_10k_cny: Annotated[Decimal | None, Field(ge=0, le=Decimal("1e9"))] = None
    status: Status | None = None
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 20

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if not value:
            return None
        item = load_catalogue("green-finance-2025").items.get(value)
        if item is None or item.level != 1:
            raise ValueError(f"{value!r} is not a 2025 catalogue level-1 category (1–9)")
        return value

    @field_validator("district")
    @classmethod
    def _known_district(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value == SUB_CENTRE:
            return value
        district = reference.find_district(value)
        if district is None:
            raise ValueError(f"unknown Beijing district {value!r} / 未知的北京市辖区")
        return district.code


def _text_clause(dialect: str, tokens: list[str], column: Any) -> ColumnElement[bool]:
    """Every token among the tokens of ``column`` (``projects.search_text`` or a subquery's)."""
    if dialect == "postgresql":
        # The tokens go into the SQL as a literal array, not a bound parameter, so the planner
        # sees how common each token is (a generic plan of a prepared statement cannot). They
        # come from ``search.query_tokens`` (CJK characters, ASCII letters, digits, a dot);
        # checked again here because they are spliced into the statement.
        if not all(SAFE_TOKEN.fullmatch(t) for t in tokens):
            raise InvalidInput.on("q", "unsupported characters in the search text")
        # each element double-quoted: an unquoted NULL in an array literal is a null element
        elements = ",".join(f'"{token}"' for token in tokens)
        array = func.string_to_array(column, literal_column("' '"))
        return array.op("@>")(literal_column("'{" + elements + "}'::text[]"))
    padded = literal_column("' '") + column + literal_column("' '")
    return and_(*(padded.like(f"% {token} %") for token in tokens))


def base_filters(principal: Actor, query: LibraryQuery) -> list[ColumnElement[bool]]:
    """Visibility and status: what the library's order index is walked with."""
    if query.status not in (None, Status.APPROVED) and not (
        not isinstance(principal, Principal) or principal.role in STATUS_FILTER_ROLES
    ):
        raise InvalidInput.on("status", "only reviewers and regulators filter by status")
    return [visible_clause(principal), Project.status == (query.status or Status.APPROVED).value]


def other_filters(query: LibraryQuery, cols: Any) -> list[ColumnElement[bool]]:
    """Category, grade, district and financing need over ``cols`` (``Project`` or the columns
    of a subquery)."""
    where: list[ColumnElement[bool]] = []
    if query.category:
        where.append(cols.category_code == query.category)
    if query.grade:
        where.append(cols.grade == query.grade.value)
    if query.district == SUB_CENTRE:
        where.append(cols.in_city_sub_centre.is_(True))
    elif query.district:
        where.append(cols.district_code == query.district)
    if query.financing_min_10k_cny is not None:
        where.append(
            cols.financing_amount_fen >= int(query.financing_min_10k_cny * FEN_PER_10K_CNY)
        )
    if query.financing_max_10k_cny is not None:
        where.append(
            cols.financing_amount_fen <= int(query.financing_max_10k_cny * FEN_PER_10K_CNY)
        )
    return where


def _recent_window(
    base: list[ColumnElement[bool]], tokens: list[str], dialect: str, query: LibraryQuery
) -> Select[Any]:
    """Phase 1: the newest :data:`RECENT_WINDOW` visible projects of the status, read in order
    along the (status, decided_at, id) index, filtered by the words and the other filters and
    stopped as soon as the page is full — a common word costs a few dozen rows, a rare one at
    most the window."""
    window = (
        select(*CARD_SOURCE_COLUMNS)
        .where(*base)
        .order_by(Project.decided_at.desc(), Project.id.desc())
        .limit(RECENT_WINDOW)
        .subquery("recent")
    )
    return (
        select(
            *(window.c[c.key] for c in CARD_SOURCE_COLUMNS if c.key != "search_text"),
            Organisation.name_zh.label("organisation_name"),
        )
        .select_from(window)
        .join(Organisation, Organisation.id == window.c.organisation_id)
        .where(
            _text_clause(dialect, tokens, window.c.search_text),
            *other_filters(query, window.c),
        )
        .order_by(window.c.decided_at.desc(), window.c.id.desc())
        .offset(query.offset)
        .limit(query.limit + 1)
    )


class _PageCache:
    """A small thread-safe LRU of search pages.

    Keys carry the ledger head (sequence and hash): every write that can change the library —
    submission, each review step, approval, certificate revocation, the demo load — appends to the
    audit ledger in its own transaction, so a new head means a new key. The head is one
    primary-key lookup, reused for at most :data:`HEAD_REUSE_SECONDS` and re-read after any
    commit in this process: a page is never stale after a write made in this process, and at
    most that long after a write made by another process (benchmarks/library_search.py measures
    cold, warm and uncached searches)."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[tuple[Any, ...], Page[ProjectCard]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: tuple[Any, ...]) -> Page[ProjectCard] | None:
        with self._lock:
            page = self._entries.get(key)
            if page is not None:
                self._entries.move_to_end(key)
            return page

    def put(self, key: tuple[Any, ...], page: Page[ProjectCard]) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = page
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


SEARCH_CACHE = _PageCache(max_entries=4096)
_HEAD_SQL = f"SELECT seq, hash FROM {LedgerHead.__tablename__} WHERE id = 1"


# How long a process may reuse the ledger head it last read before asking the database again.
# Writes made in this process invalidate it at once (``after_flush`` / ``after_commit`` below);
# a write committed
# by another process (another web worker) shows in this process's searches within this bound.
HEAD_REUSE_SECONDS = 0.5
_head_memo: dict[str, tuple[int, float, tuple[Any, ...] | None]] = {}
_local_commits = itertools.count()
_commits_seen = 0  # bumped on every flush or commit in this process


def _count_local_write(*_args: Any) -> None:
    global _commits_seen
    _commits_seen = next(_local_commits) + 1


# a flush may append to the ledger inside a transaction this process's searches can see; a
# commit publishes it: either way the memo is dropped
event.listen(Session, "after_flush", _count_local_write)
event.listen(Session, "after_commit", _count_local_write)


def _ledger_head(session: Session, database: str) -> tuple[Any, ...] | None:
    now = time.monotonic()
    memo = _head_memo.get(database)
    if memo is not None and memo[0] == _commits_seen and now - memo[1] < HEAD_REUSE_SECONDS:
        return memo[2]
    seen = _commits_seen
    # plain SQL on the session's connection: this lookup is the whole cost of a cache hit
    row = session.connection().exec_driver_sql(_HEAD_SQL).first()
    head = tuple(row) if row else None
    _head_memo[database] = (seen, now, head)
    return head


def _cache_key(session: Session, principal: Actor, query: LibraryQuery) -> tuple[Any, ...]:
    database = session.get_bind().url.render_as_string(hide_password=True)
    head = _ledger_head(session, database)
    approved_only = query.status in (None, Status.APPROVED)
    # the approved library looks the same to every role; other statuses depend on who asks
    scope = (
        ("library",)
        if approved_only
        else (getattr(principal, "role", None), getattr(principal, "organisation_id", None))
    )
    return (database, head, scope, query.model_dump_json())


def search_library(session: Session, principal: Actor, query: LibraryQuery) -> Page[ProjectCard]:
    """Library projects matching the query, newest decision first (pages cached by the ledger
    head, see :class:`_PageCache`; :func:`search_library_uncached` is the search itself)."""
    key = _cache_key(session, principal, query)
    if key[1] is None:  # an empty ledger says nothing about the data: never cache
        return search_library_uncached(session, principal, query)
    page = SEARCH_CACHE.get(key)
    if page is None:
        page = search_library_uncached(session, principal, query)
        SEARCH_CACHE.put(key, page)
    return page


def search_library_uncached(
    session: Session, principal: Actor, query: LibraryQuery
) -> Page[ProjectCard]:
    """Library projects matching the query, newest decision first.

    No count query: one page of ``limit + 1`` rows tells whether more follow. ``total`` is exact
    on the last page; otherwise ``extra['total_capped']`` is true and ``total`` is a lower bound
    (``offset + limit + 1``, enough for the pager). Counting every match of a common word costs
    more than the page itself (measured, benchmarks/library_search.py).

    With search words, the newest :data:`RECENT_WINDOW` projects are tried first (see
    :func:`_recent_window`); the newest matches there are the newest overall, so when they fill
    the page the answer is exact. Only otherwise does the full query run, and then the words
    (with the filters) are rare, which the GIN index answers from few rows. (Left to itself the
    planner multiplies the selectivities of a word's bigrams as if independent and sorts
    thousands of rows for a common phrase such as 污水处理.)"""
    if (
        query.financing_min_10k_cny is not None
        and query.financing_max_10k_cny is not None
        and query.financing_min_10k_cny > query.financing_max_10k_cny
    ):
        raise InvalidInput.on("financing_max_10k_cny", "must not be below financing_min_10k_cny")
    dialect = session.get_bind().dialect.name
    base = base_filters(principal, query)
    tokens = search.query_tokens(query.q)
    rows: list[Any] = []
    if tokens and query.offset + query.limit < RECENT_WINDOW:
        rows = list(session.execute(_recent_window(base, tokens, dialect, query)).all())
    if len(rows) <= query.limit:  # the window did not fill the page (or there was no text)
        where = [*base, *other_filters(query, Project)]
        if tokens:
            where.append(_text_clause(dialect, tokens, Project.search_text))
        rows = list(
            session.execute(
                card_select()
                .where(*where)
                .order_by(Project.decided_at.desc(), Project.id.desc())
                .offset(query.offset)
                .limit(query.limit + 1)
            ).all()
        )
    capped = len(rows) > query.limit
    rows = rows[: query.limit]
    total = query.offset + len(rows) + (1 if capped else 0)
    return Page(
        [card(r) for r in rows], total, query.offset, query.limit,
        {"total_capped": capped, "tokens": tokens},
    )  # fmt: skip


# --- statistics --------------------------------------------------------------------------------


class StatRow(BaseModel):
    key: str
    label_zh: str
    label_en: str
    projects: int
    investment_10k_cny: float
    financing_10k_cny: float
    reduction_tco2e_per_year: float


class StatisticsOut(BaseModel):
    """Counts and money per breakdown. ``by_status`` covers every project; the other
    breakdowns cover the library (approved projects)."""

    library_projects: int
    library_investment_10k_cny: float
    library_financing_10k_cny: float
    library_reduction_tco2e_per_year: float
    by_category: list[StatRow]
    by_grade: list[StatRow]
    by_district: list[StatRow]
    by_status: list[StatRow]


def _rows(session: Session, column: Any, where: list[ColumnElement[bool]]) -> list[Any]:
    return session.execute(
        select(
            column.label("key"),
            func.count().label("projects"),
            func.coalesce(func.sum(Project.total_investment_fen), 0).label("investment"),
            func.coalesce(func.sum(Project.financing_amount_fen), 0).label("financing"),
            func.coalesce(func.sum(Project.reduction_tco2e_per_year), 0.0).label("reduction"),
        )
        .where(*where)
        .group_by(column)
    ).all()


def _stat(key: str, zh: str, en: str, row: Any) -> StatRow:
    return StatRow(
        key=key, label_zh=zh, label_en=en, projects=row.projects,
        investment_10k_cny=row.investment / FEN_PER_10K_CNY,
        financing_10k_cny=row.financing / FEN_PER_10K_CNY,
        reduction_tco2e_per_year=float(row.reduction),
    )  # fmt: skip


def statistics(session: Session, principal: Principal) -> StatisticsOut:
    """For regulators and admins: the library by catalogue category, grade and district (the
    city sub-centre as its own row inside 通州), and all projects by status."""
    require(principal, STATISTICS_ROLES)
    library = [Project.status == Status.APPROVED.value]
    catalogue = load_catalogue("green-finance-2025")
    by_category = []
    for row in sorted(_rows(session, Project.category_code, library), key=lambda r: r.key or "~"):
        item = catalogue.items.get(row.key or "")
        by_category.append(_stat(row.key or "—", item.name_zh if item else "未识别",
                                 item.name_en if item else "not identified", row))  # fmt: skip
    order = {g.value: i for i, g in enumerate(Grade)}
    by_grade = [
        _stat(row.key or "—", row.key or "未评级", row.key or "ungraded", row)
        for row in sorted(_rows(session, Project.grade, library),
                          key=lambda r: order.get(r.key or "", 99))
    ]  # fmt: skip
    districts = {d.code: d for d in reference.districts()}
    by_district = []
    for row in sorted(_rows(session, Project.district_code, library), key=lambda r: r.key):
        d = districts.get(row.key)
        by_district.append(_stat(row.key, d.name_zh if d else row.key,
                                 d.name_en if d else row.key, row))  # fmt: skip
    sub_centre = _rows(session, Project.in_city_sub_centre, library)
    for row in sub_centre:
        if row.key:
            by_district.append(
                _stat(SUB_CENTRE, "其中：城市副中心", "of which city sub-centre", row)
            )
    status_order = {s.value: i for i, s in enumerate(Status)}
    by_status = [
        _stat(row.key, STATUS_LABELS[Status(row.key)][0], STATUS_LABELS[Status(row.key)][1], row)
        for row in sorted(_rows(session, Project.status, []),
                          key=lambda r: status_order.get(r.key, 99))
    ]  # fmt: skip
    return StatisticsOut(
        library_projects=sum(r.projects for r in by_grade),
        library_investment_10k_cny=sum(r.investment_10k_cny for r in by_grade),
        library_financing_10k_cny=sum(r.financing_10k_cny for r in by_grade),
        library_reduction_tco2e_per_year=sum(r.reduction_tco2e_per_year for r in by_grade),
        by_category=by_category, by_grade=by_grade, by_district=by_district, by_status=by_status,
    )  # fmt: skip


LIBRARY_SOURCE_SET = "library"
EXAMPLE_EXPORTERS = frozenset({Role.ADMIN})


def approved_classifications(session: Session, actor: Actor) -> list[dict[str, str]]:
    """Approved library classifications as candidate labelled examples, in the schema of the
    taxonomy's ``labelled_examples.csv``: every approved, non-synthetic library project with its
    catalogue item. ``source`` says who set the item: the assigned reviewer (``item_source`` =
    reviewer, a reclassification with its reason in the ledger: the reviewer's decision rather
    than the engine's first choice), or the automatic screening, whose first item the reviewer(s)
    accepted with the project — not an independent label: fed back unread it would reinforce the
    engine's own choices. Curators
    check each row before adding it with ``benchmarks/taxonomy_examples.py --include``. Only
    the operator (CLI) and administrators read them."""
    if isinstance(actor, Principal):
        require(actor, EXAMPLE_EXPORTERS)
    rows = session.execute(
        select(
            Project.id, Project.name, Project.description, Project.edition,
            Project.item_code, Project.item_source, Project.decided_at,
        )
        .where(
            Project.status == Status.APPROVED.value,
            Project.item_code.is_not(None),
            Project.is_synthetic.is_(False),
        )
        .order_by(Project.id)
    ).all()  # fmt: skip
    return [
        {
            "example_id": f"{LIBRARY_SOURCE_SET}:{r.id}",
            "source_set": LIBRARY_SOURCE_SET,
            "edition": r.edition,
            "codes": r.item_code,
            "text": f"{r.name}。{r.description}",
            "source": f"greenfin project library, project {r.id}: "
            + (
                "item set by the reviewer (reclassified), approved "
                if r.item_source == REVIEWER_SOURCE
                else "item proposed by screening, accepted at approval "
            )
            + (f"{r.decided_at:%Y-%m-%d}" if r.decided_at else "(date not recorded)")
            + "; check the item before including",
        }
        for r in rows
    ]
