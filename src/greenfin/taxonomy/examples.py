"""Labelled examples as evidence: "records like this one were classified as item X".

A nearest-neighbour layer beside the catalogue-text ranking. Catalogue texts say what an item
*is*; labelled records say how borrowers and loan officers *write* about it ("用于秸秆打捆机、
生物质颗粒机生产" is equipment manufacturing, 3.1.4), and, for the older editions, which of several
sibling items a practitioner picks. Each example is a record text with the accepted codes of one
edition (``labelled_examples.csv``: hand-labelled development records, each with its source).

Method: TF-IDF over the same character bigrams/trigrams as the lexical ranking (``text.ngrams``),
on the synonym-expanded text (so English examples meet Chinese queries through the glossary);
sublinear term frequency ``1 + ln tf`` and smoothed ``idf = ln((1 + N) / (1 + df)) + 1``
(Manning, Raghavan & Schütze 2008, §6.4; the scikit-learn convention); rows L2-normalised, so a
query × example product is the cosine similarity. Per item the score is the best similarity of
any example accepted under it, rescaled above a floor::

    s_item = max_e max(0, (cos(q, e) − floor) / (1 − floor))

which the screener adds with weight ``ScreeningWeights.example``. The floor and weight are tuned
like every other weight (``benchmarks/taxonomy_tune.py``), and the evaluation leaves the examples
of the set it measures out (``ExampleIndex.without``), so no record is scored against itself.

Records labelled *not green* for an edition (out of scope, no code) are examples too, with no
codes. :meth:`ExampleIndex.item_scores_and_best` and :meth:`ExampleIndex.non_green` give each
query its best cosine to a green and to a non-green example of the edition; the screener
excludes a text that resembles a non-green record much more than any green one
(``ScreeningWeights.non_green_min`` / ``_margin``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy.text import ngrams

EXAMPLES_FILE = "labelled_examples.csv"
CHUNK_ROWS = 4096  # queries per similarity block: bounds the dense (queries × examples) block


@dataclass(frozen=True)
class LabelledExample:
    example_id: str  # "<set>:<id>", e.g. "c:C0045"
    source_set: str
    edition: str
    codes: tuple[str, ...]  # accepted codes of ``edition``, first choice first; () = not green
    text: str  # name。description, as written


class ExampleIndex:
    """The TF-IDF index of a set of labelled examples, queried per edition."""

    def __init__(
        self, examples: Sequence[LabelledExample], expand: Callable[[list[str]], list[str]]
    ) -> None:
        self.examples = tuple(examples)
        self._expand = expand
        texts = sorted({e.text for e in self.examples})
        self._row_of_text = {t: k for k, t in enumerate(texts)}
        grams = [Counter(ngrams(t)) for t in expand(texts)] if texts else []
        df = Counter(g for doc in grams for g in doc)
        self.vocab = {g: k for k, g in enumerate(df)}
        n = len(grams)
        self.idf = np.array([math.log((1 + n) / (1 + df[g])) + 1 for g in self.vocab])
        self.matrix = self._tfidf(grams)  # distinct texts × vocabulary
        self._blocks: dict[tuple[str, tuple[str, ...]], _Block] = {}
        self._negatives: dict[str, tuple[sparse.csc_matrix, list[str]]] = {}

    def _tfidf(self, grams: list[Counter[str]]) -> sparse.csr_matrix:
        indptr, indices, values = [0], [], []
        for doc in grams:
            known = [(self.vocab[g], tf) for g, tf in doc.items() if g in self.vocab]
            indices.extend(k for k, _ in known)
            values.extend((1 + math.log(tf)) * self.idf[k] for k, tf in known)
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (values, indices, indptr), shape=(len(grams), len(self.vocab)), dtype=np.float64
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.diags(1.0 / norms) @ matrix

    def query_matrix(self, query_grams: list[list[str]]) -> sparse.csr_matrix:
        """(queries × vocabulary) L2-normalised TF-IDF rows of the queries' n-grams."""
        return self._tfidf([Counter(g) for g in query_grams])

    def without(self, source_sets: Iterable[str]) -> ExampleIndex:
        """The index minus the examples of ``source_sets`` (to evaluate on those sets)."""
        drop = set(source_sets)
        return ExampleIndex([e for e in self.examples if e.source_set not in drop], self._expand)

    def _block(self, edition: str, position: dict[str, int]) -> _Block:
        """The edition's examples as columns grouped by item, built once per edition and item
        order (``position``: code → column of the caller's score matrix)."""
        key = (edition, tuple(position))
        if key not in self._blocks:
            pairs = sorted(
                {
                    (position[code], self._row_of_text[e.text], e.example_id)
                    for e in self.examples
                    if e.edition == edition
                    for code in e.codes
                    if code in position
                }
            )
            items = np.array([i for i, _, _ in pairs], dtype=np.int64)
            starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]]) if len(items) else items
            self._blocks[key] = _Block(
                matrix=self.matrix[[r for _, r, _ in pairs]].T.tocsc(),
                starts=starts,
                ends=np.r_[starts[1:], len(items)].astype(np.int64),
                items=items[starts],
                example_ids=tuple(i for _, _, i in pairs),
            )
        return self._blocks[key]

    def item_scores(
        self, queries: sparse.csr_matrix, edition: str, position: dict[str, int], floor: float
    ) -> np.ndarray:
        """(queries × items) rescaled best similarity (see the module docstring); ``queries``
        from :meth:`query_matrix`."""
        return self.item_scores_and_best(queries, edition, position, floor)[0]

    def item_scores_and_best(
        self, queries: sparse.csr_matrix, edition: str, position: dict[str, int], floor: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`item_scores`, and per query the best raw cosine to any green example of the
        edition (from the same product)."""
        scores = np.zeros((queries.shape[0], len(position)))
        best = np.zeros(queries.shape[0])
        block = self._block(edition, position)
        if not len(block.items) or not queries.shape[0]:
            return scores, best
        for lo in range(0, queries.shape[0], CHUNK_ROWS):
            sim = (queries[lo : lo + CHUNK_ROWS] @ block.matrix).toarray()
            # columns are grouped by item: the best example per item in one reduceat
            scores[lo : lo + CHUNK_ROWS, block.items] = np.maximum.reduceat(
                sim, block.starts, axis=1
            )
            best[lo : lo + CHUNK_ROWS] = sim.max(axis=1)
        return np.clip((scores - floor) / (1.0 - floor), 0.0, None), best

    def _non_green(self, edition: str) -> tuple[sparse.csc_matrix, list[str]]:
        """The edition's non-green example texts as (vocabulary × texts) columns, and their ids."""
        if edition not in self._negatives:
            rows = sorted({(self._row_of_text[e.text], e.example_id) for e in self.examples
                           if e.edition == edition and not e.codes})  # fmt: skip
            self._negatives[edition] = (
                self.matrix[[r for r, _ in rows]].T.tocsc(),
                [i for _, i in rows],
            )
        return self._negatives[edition]

    def non_green(
        self, queries: sparse.csr_matrix, edition: str
    ) -> tuple[np.ndarray, list[str | None]]:
        """Per query, the best cosine to a non-green example of the edition and that example's
        id (0 and None where the edition has none)."""
        negative, ids = self._non_green(edition)
        n = queries.shape[0]
        best = np.zeros(n)
        nearest: list[str | None] = [None] * n
        if not negative.shape[1]:
            return best, nearest
        for lo in range(0, n, CHUNK_ROWS):
            sim = (queries[lo : lo + CHUNK_ROWS] @ negative).toarray()
            best[lo : lo + sim.shape[0]] = sim.max(axis=1)
            columns = sim.argmax(axis=1)
            shares = sim[np.arange(len(columns)), columns] > 0  # no shared n-gram: no nearest
            nearest[lo : lo + len(columns)] = [
                ids[int(c)] if shared else None for c, shared in zip(columns, shares, strict=True)
            ]
        return best, nearest

    def nearest(
        self,
        queries: sparse.csr_matrix,
        edition: str,
        position: dict[str, int],
        item_per_query: np.ndarray,
    ) -> list[tuple[str, float] | None]:
        """Per query, the example accepted under the given item (a position) most similar to
        it, with its cosine; None where the item has no example. One product per distinct
        item, so a batch costs at most one pass over the examples."""
        block = self._block(edition, position)
        out: list[tuple[str, float] | None] = [None] * queries.shape[0]
        group = {int(item): g for g, item in enumerate(block.items)}
        for item in np.unique(item_per_query):
            g = group.get(int(item))
            if g is None:
                continue
            rows = np.flatnonzero(item_per_query == item)
            lo, hi = int(block.starts[g]), int(block.ends[g])
            sim = (queries[rows] @ block.matrix[:, lo:hi]).toarray()
            best = sim.argmax(axis=1)
            for row, column, cosine in zip(rows, best, sim.max(axis=1), strict=True):
                out[int(row)] = (block.example_ids[lo + int(column)], float(cosine))
        return out


@dataclass(frozen=True)
class _Block:
    matrix: sparse.csc_matrix  # vocabulary × (example, item) columns, grouped by item
    starts: np.ndarray  # first column of each item's group
    ends: np.ndarray  # one past its last column
    items: np.ndarray  # the item (position) of each group
    example_ids: tuple[str, ...]  # per column


def read_examples() -> list[LabelledExample]:
    """The shipped labelled examples (``labelled_examples.csv``)."""
    return [
        LabelledExample(
            example_id=r["example_id"],
            source_set=r["source_set"],
            edition=r["edition"],
            codes=tuple(c for c in r["codes"].split(";") if c),
            text=r["text"],
        )
        for r in cached_rows(EXAMPLES_FILE)
    ]
