"""Chinese full-text tokens for the project library, without a Chinese word segmenter.

A project's ``search_text`` is the set of its character **unigrams and bigrams** (CJK runs) and
lower-cased Latin/digit words, space-separated. A query matches when the document holds **every**
query token: a one-character query uses its unigram, a longer CJK run its bigrams (光伏发电 →
光伏 伏发 发电), Latin words whole. Bigram indexing is the usual segmenter-free approach for
Chinese (e.g. CJK bigram analysers in Lucene); it can over-match when every bigram of a phrase
occurs in a text without the phrase itself (a known, accepted imprecision).

The store indexes the token array (PostgreSQL GIN on ``string_to_array(search_text, ' ')``,
containment ``@>``), so the match needs no locale support for Chinese in the database; SQLite
falls back to ``LIKE`` over the same text. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# CJK unified ideographs (basic, extension A) and compatibility ideographs
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(f"[{_CJK}]+|[a-z0-9]+(?:\\.[0-9]+)?")
MAX_QUERY_TOKENS = 16


def normalise(text: str) -> str:
    """NFKC (full-width → half-width) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _is_cjk(run: str) -> bool:
    return "\u3400" <= run[0] <= "\ufaff"


def document_tokens(*texts: str | None) -> list[str]:
    """Unigrams and bigrams of every CJK run plus Latin/digit words, de-duplicated in order."""
    seen: dict[str, None] = {}
    for text in texts:
        for run in _RUNS.findall(normalise(text or "")):
            if _is_cjk(run):
                for i, char in enumerate(run):
                    seen.setdefault(char, None)
                    if i + 1 < len(run):
                        seen.setdefault(run[i : i + 2], None)
            else:
                seen.setdefault(run, None)
    return list(seen)


def search_text(*texts: str | None) -> str:
    """The value stored in ``projects.search_text``."""
    return " ".join(document_tokens(*texts))


def query_tokens(query: str | None) -> list[str]:
    """Tokens every matching document must hold (at most :data:`MAX_QUERY_TOKENS`)."""
    seen: dict[str, None] = {}
    for run in _RUNS.findall(normalise(query or "")):
        if _is_cjk(run) and len(run) > 1:
            for i in range(len(run) - 1):
                seen.setdefault(run[i : i + 2], None)
        else:
            seen.setdefault(run, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def matches(document: str, tokens: Iterable[str]) -> bool:
    """Reference semantics of the store's query (used in tests and the naive baseline)."""
    held = set(document.split(" "))
    return all(t in held for t in tokens)
