"""Web pages: 绿色识别 (screen a description) and the catalogue browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from greenfin.identity.principal import Principal
from greenfin.reference.taxonomy import cached_rows
from greenfin.services import taxonomy
from greenfin.services.errors import FieldProblem, ServiceError
from greenfin.taxonomy.catalogue import DEFAULT_EDITION
from greenfin.web.routes import CsrfDep, render, web_allow

router = APIRouter(include_in_schema=False)


def highlight(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into (segment, is_evidence) pairs; the template escapes each segment."""
    marks = [False] * len(text)
    lowered = text.lower()
    for term in terms:
        start = lowered.find(term.lower())
        while start != -1:
            for k in range(start, start + len(term)):
                marks[k] = True
            start = lowered.find(term.lower(), start + 1)
    segments: list[tuple[str, bool]] = []
    for ch, flag in zip(text, marks, strict=True):
        if segments and segments[-1][1] == flag:
            segments[-1] = (segments[-1][0] + ch, flag)
        else:
            segments.append((ch, flag))
    return segments


def parse_params(raw: str) -> tuple[dict[str, str], list[str]]:
    """``key=value`` per line → params; unknown keys are reported, not silently used."""
    known = {r["parameter"] for r in cached_rows("technical_parameters.csv")}
    params, unknown = {}, []
    for line in raw.splitlines():
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key in known:
            params[key] = value
        elif key:
            unknown.append(key)
    return params, unknown


def _form(request: Request, principal: Principal, status: int = 200, **ctx: object) -> Response:
    return render(
        request, "taxonomy_screen.html", principal, status,
        editions=taxonomy.list_editions(),
        parameters=cached_rows("technical_parameters.csv"), **ctx,
    )  # fmt: skip


@router.get("/taxonomy", response_class=HTMLResponse)
def screen_form(
    request: Request, principal: Annotated[Principal, Depends(web_allow())]
) -> Response:
    return _form(request, principal, values={"edition": DEFAULT_EDITION}, result=None, problems=[])


@router.post("/taxonomy", response_class=HTMLResponse, dependencies=[CsrfDep])
async def screen_submit(
    request: Request, principal: Annotated[Principal, Depends(web_allow())]
) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    params, unknown = parse_params(values.get("params", ""))
    try:
        body = taxonomy.ScreenRequest(
            name=values.get("name", ""), description=values.get("description", ""),
            industry_code=values.get("industry_code") or None, params=params,
            edition=values.get("edition", DEFAULT_EDITION),
        )  # fmt: skip
        result = taxonomy.screen_one(body)
    except ValidationError as exc:
        problems = [
            FieldProblem(str(e["loc"][0]) if e["loc"] else "form", e["msg"]) for e in exc.errors()
        ]
        return _form(request, principal, 422, values=values, result=None, problems=problems)
    except ServiceError as exc:
        return _form(request, principal, exc.status, values=values, result=None,
                     problems=exc.problems)  # fmt: skip
    terms = result.candidates[0].matched_terms if result.candidates else []
    text = f"{values.get('name', '')}。{values.get('description', '')}".strip("。")
    return _form(
        request, principal, values=values, result=result, problems=[],
        segments=highlight(text, terms), unknown_params=unknown,
    )  # fmt: skip


@router.get("/taxonomy/catalogue", response_class=HTMLResponse)
def catalogue(
    request: Request,
    principal: Annotated[Principal, Depends(web_allow())],
    edition: Annotated[str, Query(max_length=40)] = DEFAULT_EDITION,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    items = taxonomy.list_items(edition, q or None)
    return render(
        request, "taxonomy_catalogue.html", principal, editions=taxonomy.list_editions(),
        edition=edition, items=items, q=q or "",
    )  # fmt: skip


@router.get("/taxonomy/catalogue/{edition}/{code}", response_class=HTMLResponse)
def catalogue_item(
    edition: str, code: str, request: Request,
    principal: Annotated[Principal, Depends(web_allow())],
) -> Response:  # fmt: skip
    detail = taxonomy.item_detail(edition, code)
    return render(request, "taxonomy_item.html", principal, item=detail)
