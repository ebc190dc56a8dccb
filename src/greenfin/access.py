"""Access markers shared by the API and web faces.

Every route declares who may call it: ``public`` or a set of roles. The markers are attached to the
dependency callables, so a test can read the rule of every route and fail on a route without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from greenfin.identity.roles import Role

ACCESS_ATTR = "__greenfin_access__"
PUBLIC = "public"
ALL_ROLES = frozenset(Role)


def mark(fn: Callable[..., Any], rule: frozenset[Role] | str) -> Callable[..., Any]:
    setattr(fn, ACCESS_ATTR, rule)
    return fn


def rule_of(fn: Any) -> frozenset[Role] | str | None:
    return getattr(fn, ACCESS_ATTR, None)
