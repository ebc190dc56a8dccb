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
    codes: tuple[str, ...]  # accepted codes of ``edition``, the labeller's first choice first
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
        self._blocks: dict[str, tuple[sparse.csc_matrix, np.ndarray, np.ndarray]] = {}

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

    def without(self, source_sets: Iterable[str]) -> ExampleIndex:
        """The index minus the examples of ``source_sets`` (to evaluate on those sets)."""
        drop = set(source_sets)
        return ExampleIndex([e for e in self.examples if e.source_set not in drop], self._expand)

    def _block(
        self, edition: str, position: dict[str, int]
    ) -> tuple[sparse.csc_matrix, np.ndarray, np.ndarray]:
        """(vocabulary × (example, item) columns grouped by item, the first column of each
        item's group, the items), built once per edition."""
        if edition not in self._blocks:
            pairs = sorted(
                {
                    (position[code], self._row_of_text[e.text])
                    for e in self.examples
                    if e.edition == edition
                    for code in e.codes
                    if code in position
                }
            )
            rows = np.array([r for _, r in pairs], dtype=np.int64)
            items = np.array([i for i, _ in pairs], dtype=np.int64)
            starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]]) if len(items) else items
            self._blocks[edition] = (self.matrix[rows].T.tocsc(), starts, items[starts])
        return self._blocks[edition]

    def item_scores(
        self,
        query_grams: list[list[str]],
        edition: str,
        position: dict[str, int],
        floor: float,
    ) -> np.ndarray:
        """(queries × items) rescaled best similarity (see the module docstring)."""
        scores = np.zeros((len(query_grams), len(position)))
        block, starts, targets = self._block(edition, position)
        if not len(targets) or not query_grams:
            return scores
        queries = self._tfidf([Counter(g) for g in query_grams])
        for lo in range(0, len(query_grams), CHUNK_ROWS):
            sim = (queries[lo : lo + CHUNK_ROWS] @ block).toarray()
            # columns are grouped by item: the best example per item in one reduceat
            scores[lo : lo + CHUNK_ROWS, targets] = np.maximum.reduceat(sim, starts, axis=1)
        return np.clip((scores - floor) / (1.0 - floor), 0.0, None)

    def nearest(self, grams: list[str], edition: str, code: str) -> tuple[str, float] | None:
        """The example id labelled ``code`` most similar to one query, with its cosine."""
        ids = [e for e in self.examples if e.edition == edition and code in e.codes]
        if not ids:
            return None
        query = self._tfidf([Counter(grams)])
        sims = (self.matrix[[self._row_of_text[e.text] for e in ids]] @ query.T).toarray()
        best = int(sims.argmax())
        return ids[best].example_id, float(sims[best, 0])


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
