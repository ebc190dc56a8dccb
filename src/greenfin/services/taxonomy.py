"""Taxonomy use cases: browse catalogues, screen one record, screen a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from greenfin import reference
from greenfin.reference.taxonomy import cached_rows
from greenfin.services.errors import FieldProblem, InvalidInput, NotFound
from greenfin.services.tabular import read_user_table
from greenfin.taxonomy import batch, criteria, crosswalk
from greenfin.taxonomy.catalogue import (
    DEFAULT_EDITION,
    TaxonomyError,
    editions,
    load_catalogue,
)
from greenfin.taxonomy.screening import InputError, ScreeningInput, screener

MAX_TOP_K = 10


class EditionOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    document: str
    in_force_from: str
    finest_level: int
    status: str
    is_default: bool
    note: str


class ItemOut(BaseModel):
    edition: str
    code: str
    level: int
    parent_code: str
    name_zh: str
    name_en: str
    ghg_mark: str
    text_status: str


class LinkOut(BaseModel):
    edition: str
    code: str
    name_zh: str
    match: str
    basis: str
    note: str


class EuLinkOut(BaseModel):
    activity_ref: str
    activity_name: str
    match: str
    cgt_status: str
    criteria_differ: str
    note: str


class CriterionOut(BaseModel):
    criterion_id: str
    label_zh: str
    parameter: str
    operator: str
    threshold: str
    unit: str
    when: str
    quote_zh: str
    standard_ref: str
    status: str


class ItemDetailOut(ItemOut):
    path: str
    text_zh: str
    gbt4754_codes: list[str]
    gbt4754_names: list[str]
    children: list[ItemOut]
    crosswalk: list[LinkOut]
    eu: list[EuLinkOut]
    criteria: list[CriterionOut]
    source: str
    note: str


class ScreenRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Annotated[str, Field(max_length=500)] = ""
    description: Annotated[str, Field(max_length=5000)] = ""
    industry_code: Annotated[str | None, Field(max_length=4, examples=["4416"])] = None
    params: dict[str, str | float | int] = Field(default_factory=dict)
    edition: str = DEFAULT_EDITION
    top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K)] = 3

    @field_validator("edition")
    @classmethod
    def _known_edition(cls, value: str) -> str:
        if value not in editions():
            raise ValueError(f"unknown edition {value!r}; known: {', '.join(editions())}")
        return value


class CheckOut(BaseModel):
    criterion_id: str
    label_zh: str
    outcome: str
    value: str | None
    message: str
    quote_zh: str


class CandidateOut(BaseModel):
    code: str
    name_zh: str
    path: str
    score: float
    lexical: float
    rules: list[str]
    matched_terms: list[str]
    industry_evidence: str
    ghg_mark: str
    similar_example: str = Field(
        "",
        description="closest hand-labelled example under this item and its cosine, e.g. "
        "'c:C0045 0.88' (labelled_examples.csv); empty when none is similar",
    )


class ScreenOut(BaseModel):
    edition: str
    edition_name_zh: str
    verdict: str
    reason: str
    explanation: str
    candidates: list[CandidateOut]
    criteria_outcome: str | None
    checks: list[CheckOut]


def list_editions() -> list[EditionOut]:
    return [EditionOut(**e.__dict__) for e in editions().values()]


def _catalogue(edition: str):  # noqa: ANN202 - returns greenfin.taxonomy.Catalogue
    try:
        return load_catalogue(edition)
    except TaxonomyError as exc:
        raise NotFound(str(exc)) from None


def _item_out(item: Any) -> ItemOut:
    return ItemOut(
        edition=item.edition, code=item.code, level=item.level, parent_code=item.parent_code,
        name_zh=item.name_zh, name_en=item.name_en, ghg_mark=item.ghg_mark,
        text_status=item.text_status,
    )  # fmt: skip


def list_items(edition: str, q: str | None = None, level: int | None = None) -> list[ItemOut]:
    catalogue = _catalogue(edition)
    items = catalogue.items.values()
    if level is not None:
        items = [i for i in items if i.level == level]
    if q:
        needle = q.strip().lower()
        items = [
            i
            for i in items
            if needle in i.code or needle in i.name_zh.lower() or needle in i.text_zh.lower()
        ]
    return [_item_out(i) for i in items]


def item_detail(edition: str, code: str) -> ItemDetailOut:
    catalogue = _catalogue(edition)
    if code not in catalogue.items:
        raise NotFound(f"{edition} has no item {code}")
    item = catalogue.items[code]
    industries = reference.industry_codes()
    links = []
    for link in crosswalk.links_of(edition, code):
        other_edition, other_code = (
            (link.to_edition, link.to_code)
            if (link.from_edition, link.from_code) == (edition, code)
            else (link.from_edition, link.from_code)
        )
        try:
            other = load_catalogue(other_edition).items.get(other_code)
        except TaxonomyError:
            other = None
        links.append(
            LinkOut(
                edition=other_edition,
                code=other_code,
                name_zh=other.name_zh if other else "",
                match=link.match,
                basis=link.basis,
                note=link.note,
            )
        )
    eu = [
        EuLinkOut(
            activity_ref=r.get("eu_activity_ref", ""),
            activity_name=r.get("eu_activity_name", ""),
            match=r.get("match", ""),
            cgt_status=r.get("cgt_status", ""),
            criteria_differ=r.get("criteria_differ", ""),
            note=r.get("note", ""),
        )
        for r in crosswalk.eu_links().get(f"{edition}:{code}", [])
    ]
    return ItemDetailOut(
        **_item_out(item).model_dump(),
        path=catalogue.path_label(code),
        text_zh=item.text_zh,
        gbt4754_codes=list(item.gbt4754_codes),
        gbt4754_names=[
            industries[c].name_zh if c in industries else "" for c in item.gbt4754_codes
        ],
        children=[_item_out(catalogue.items[c]) for c in catalogue.children.get(code, [])],
        crosswalk=links,
        eu=eu,
        criteria=[
            CriterionOut(**{f: getattr(c, f) for f in CriterionOut.model_fields})
            for c in criteria.criteria_for(edition, code)
        ],
        source=item.source,
        note=item.note,
    )


class NaceOut(BaseModel):
    nace_division: str
    nace_name_en: str
    match: str
    note: str


class IndustryOut(BaseModel):
    code: str
    name_zh: str
    level: int
    section: str
    nace: list[NaceOut]
    candidate_items: list[ItemOut]  # green-finance-2025 items whose activities list this code


def industry_detail(code: str) -> IndustryOut:
    """A GB/T 4754 code with its NACE division(s) and the 2025 catalogue items it can fall under
    (the catalogue's own industry lists: a screening prior, not a verdict)."""
    industry = reference.industry_codes().get(code)
    if industry is None:
        raise NotFound(f"{code} is not a GB/T 4754-2017 code")
    division = code[:2] if code[:2].isdigit() else ""
    nace = [
        NaceOut(nace_division=r["nace_division"], nace_name_en=r["nace_name_en"],
                match=r["match"], note=r["note"])
        for r in cached_rows("crosswalk_gbt4754_nace.csv")
        if division and r["gbt4754_division"] == division
    ]  # fmt: skip
    catalogue = load_catalogue(DEFAULT_EDITION)
    candidates = [
        _item_out(i)
        for i in catalogue.finest()
        if any(c == code or (len(code) < 4 and c.startswith(code)) for c in i.gbt4754_codes)
    ]
    return IndustryOut(
        code=code, name_zh=industry.name_zh, level=industry.level, section=industry.section,
        nace=nace, candidate_items=candidates,
    )  # fmt: skip


def screen_one(request: ScreenRequest) -> ScreenOut:
    record = ScreeningInput(
        id="1", name=request.name, description=request.description,
        industry_code=request.industry_code or None, params=dict(request.params),
    )  # fmt: skip
    try:
        engine = screener(request.edition)
        result = engine.screen(record, top_k=request.top_k)
    except InputError as exc:
        raise InvalidInput.on(exc.field, exc.message) from None
    except TaxonomyError as exc:
        raise InvalidInput.on("edition", str(exc)) from None
    report = result.criteria
    return ScreenOut(
        edition=result.edition,
        edition_name_zh=engine.catalogue.edition.name_zh,
        verdict=result.verdict.value,
        reason=result.reason,
        explanation=result.explanation,
        candidates=[
            CandidateOut(
                code=c.code,
                name_zh=c.name_zh,
                path=c.path,
                score=c.score,
                lexical=c.lexical,
                rules=list(c.rules),
                matched_terms=list(c.matched_terms),
                industry_evidence=c.industry_evidence,
                ghg_mark=c.ghg_mark,
                similar_example=c.similar_example,
            )
            for c in result.candidates
        ],
        criteria_outcome=report.outcome.value if report else None,
        checks=[
            CheckOut(
                criterion_id=ch.criterion.criterion_id,
                label_zh=ch.criterion.label_zh,
                outcome=ch.outcome.value,
                value=None if ch.value is None else str(ch.value),
                message=ch.message,
                quote_zh=ch.criterion.quote_zh,
            )
            for ch in (report.checks if report else ())
        ],
    )


def screen_table(
    data: bytes,
    filename: str,
    edition: str = DEFAULT_EDITION,
    top_k: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Any, str | None]:
    """Screen an uploaded/local table; returns (result frame, detected CSV encoding)."""
    if edition not in editions():
        raise InvalidInput.on("edition", f"unknown edition {edition!r}")
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput.on("top_k", f"must be between 1 and {MAX_TOP_K}")
    table = read_user_table(data, filename)
    try:
        return batch.screen_frame(table.frame, edition, top_k, progress), table.encoding
    except batch.BatchValidationError as exc:
        raise InvalidInput(
            f"{Path(filename).name}: {exc}",
            [FieldProblem(p.field, p.message, p.row) for p in exc.problems],
        ) from None
    except TaxonomyError as exc:
        raise InvalidInput.on("edition", str(exc)) from None
