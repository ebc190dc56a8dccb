"""Text normalisation and n-gram features for Chinese (and some English) project descriptions.

Chinese has no spaces; overlapping character bigrams and trigrams are the standard robust features
for lexical retrieval without a segmenter. Latin words are kept whole (lower-cased).
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# Word boundary for Latin terms inside Chinese text in Polars (Rust) regexes: Chinese characters
# count as non-word here, so "emc模式" matches "emc" (a Unicode \b would not see a boundary
# before 模). Data files write \b; ``ascii_boundaries`` swaps it in.
ASCII_BOUNDARY = r"(?-u:\b)"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z][a-z0-9\-]*")
# Characters that carry no topical meaning on their own inside project descriptions.
_STOP_CHARS = set("的和与及等或在对为了于其以上下中用所该本此有是将由")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower-case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def ngrams(text: str, sizes: tuple[int, ...] = (2, 3)) -> list[str]:
    """Character n-grams of CJK runs and whole Latin words, in order of appearance."""
    out: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        if not ("\u3400" <= run[0] <= "\u9fff"):
            if len(run) > 1:
                out.append(run)
            continue
        for n in sizes:
            for i in range(len(run) - n + 1):
                gram = run[i : i + n]
                if gram[0] in _STOP_CHARS or gram[-1] in _STOP_CHARS:
                    continue
                out.append(gram)
    return out


def merged_spans(text: str, grams: set[str]) -> list[str]:
    """Maximal substrings of ``text`` covered by the given n-grams (for readable evidence)."""
    norm = normalise(text)
    covered = [False] * len(norm)
    for gram in grams:
        start = norm.find(gram)
        while start != -1:
            for k in range(start, start + len(gram)):
                covered[k] = True
            start = norm.find(gram, start + 1)
    spans, current = [], []
    for ch, flag in zip(norm, covered, strict=True):
        if flag:
            current.append(ch)
        elif current:
            spans.append("".join(current))
            current = []
    if current:
        spans.append("".join(current))
    seen: list[str] = []
    for span in sorted(spans, key=len, reverse=True):
        if len(span) >= 2 and span not in seen:
            seen.append(span)
    return seen


def ascii_boundaries(pattern: str) -> str:
    """A data file's regex with every ``\\b`` as an ASCII word boundary (see ``ASCII_BOUNDARY``)."""
    return pattern.replace(r"\b", ASCII_BOUNDARY)


def normalise_series(texts: pl.Series) -> pl.Series:
    """``normalise`` for a Polars column (large batches): lower-case, full-width ASCII and
    the ideographic space to half-width."""
    folded = texts.fill_null("").str.to_lowercase()
    full = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
    half = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))
    return folded.str.replace_many(list(full), list(half)).str.replace_all("\u3000", " ")
