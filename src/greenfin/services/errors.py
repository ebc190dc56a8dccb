"""Service errors; faces turn them into RFC 9457 problems, page messages or exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class FieldProblem:
    field: str
    message: str
    row: int | None = None


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"

    @classmethod
    def on(cls, field_name: str, message: str) -> InvalidInput:
        return cls(f"{field_name}: {message}", [FieldProblem(field_name, message)])


class Conflict(ServiceError):
    status = 409
    title = "Conflict"

    @classmethod
    def on(cls, field_name: str, message: str) -> Conflict:
        return cls(f"{field_name}: {message}", [FieldProblem(field_name, message)])


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Unauthenticated(ServiceError):
    status = 401
    title = "Not authenticated"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int = 0
    limit: int = 50
    extra: dict[str, object] = field(default_factory=dict)
