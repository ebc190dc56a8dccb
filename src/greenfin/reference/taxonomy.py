"""Loaders for the taxonomy reference files (``reference/data/taxonomy``). Plain rows; the
``greenfin.taxonomy`` package builds its model from them."""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


def taxonomy_rows(name: str) -> list[dict[str, str]]:
    """Rows of ``reference/data/taxonomy/<name>`` (empty list when a curated file is absent)."""
    path = resources.files("greenfin.reference").joinpath("data", "taxonomy", name)
    if not path.is_file():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@cache
def cached_rows(name: str) -> tuple[dict[str, str], ...]:
    return tuple(taxonomy_rows(name))
