"""Loaders for the taxonomy reference files (``reference/data/taxonomy``). Plain rows; the
``greenfin.taxonomy`` package builds its model from them."""

from __future__ import annotations

from functools import cache

from greenfin.reference import data_rows


def taxonomy_rows(name: str) -> list[dict[str, str]]:
    """Rows of ``reference/data/taxonomy/<name>`` (empty list when a curated file is absent)."""
    return data_rows("taxonomy", name)


@cache
def cached_rows(name: str) -> tuple[dict[str, str], ...]:
    return tuple(taxonomy_rows(name))
