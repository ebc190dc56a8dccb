"""RFC 9457 problem details (``application/problem+json``), naming the offending field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenfin.services.errors import FieldProblem, ServiceError

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldProblemOut(BaseModel):
    field: str
    message: str
    row: int | None = None


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblemOut] = []


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": title}
    for status, title in (
        (400, "Bad request"),
        (401, "Not authenticated"),
        (403, "Forbidden for this role"),
        (404, "Not found"),
        (409, "Conflict"),
        (422, "Invalid input"),
    )
}


def _slug(title: str) -> str:
    return "/problems/" + title.lower().replace(" ", "-")


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=_slug(title),
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[
            FieldProblemOut(field=p.field, message=p.message, row=p.row) for p in problems or []
        ],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def service_error(request: Request, exc: ServiceError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(request, exc.status, exc.title, exc.detail, exc.problems, headers)


def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        # ("body", "uscc") -> "uscc"; ("query", "limit") -> "limit"
        field = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "request")
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(FieldProblem(field=field or "body", message=message))
    detail = "; ".join(f"{p.field}: {p.message}" for p in problems) or "invalid request"
    return problem_response(request, 422, "Invalid input", detail, problems)


def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    return problem_response(
        request, exc.status_code, title, str(exc.detail), headers=getattr(exc, "headers", None)
    )
