"""Explainable screening of project / loan descriptions against a catalogue edition.

Method (measured in ``benchmarks/taxonomy_accuracy.py``):

1. **Lexical ranking.** BM25 (Robertson & Zaragoza 2009; k1 = 1.2, b = 0.75) over character
   bigrams and trigrams of each finest-level item: its name (weight 3), its ancestors' names
   (weight 1) and its 条件/说明 text (weight 1). Queries are expanded with a curated synonym and
   English glossary (``synonyms.csv``). The BM25 score is divided by the query's best score so that
   it lies in [0, 1].
2. **Phrase rules** (``phrase_rules.csv``): high-precision phrases that point to green-finance-2025
   items, transferred to other editions through the curated crosswalk.
3. **Industry prior**: the GB/T 4754 小类 codes each 2025 item lists (same 小类 1, same 中类 0.5,
   same 大类 0.25), transferred to other editions through the crosswalk.
4. **Activity kind**: manufacturing / trade / consumption / service / project cues in the text
   (``activity_cues.csv``) against the kind of each item (from its name) — the manufacturing vs.
   construction-and-operation confusion.
5. **Labelled examples** (``labelled_examples.csv``, :mod:`greenfin.taxonomy.examples`): the
   best cosine similarity to a hand-labelled record accepted under each item — how practitioners
   write about an item, and which sibling of an older edition they pick.
6. **Out of scope** (``out_of_scope_rules.csv``) and a minimum lexical evidence.

score = lexical + rules + w_industry · prior + w_kind · kind agreement + w_example · example
similarity. All weights are parameters of :class:`ScreeningWeights`, not constants in code paths.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from greenfin import reference
from greenfin.reference.taxonomy import cached_rows
from greenfin.taxonomy import criteria as criteria_mod
from greenfin.taxonomy.catalogue import (
    DEFAULT_EDITION,
    ActivityKind,
    Catalogue,
    CatalogueItem,
    load_catalogue,
)
from greenfin.taxonomy.crosswalk import links_between
from greenfin.taxonomy.examples import ExampleIndex, read_examples
from greenfin.taxonomy.parameters import extract_parameters
from greenfin.taxonomy.text import (
    ascii_boundaries,
    merged_spans,
    ngrams,
    normalise,
    normalise_series,
)

BASE_EDITION = "green-finance-2025"
# the catalogue's own cross-references: "参照本目录2.1.7、2.1.8规定要求" (one code or a list)
REFERENCE = re.compile(r"参照本目录\s*(\d+(?:\.\d+)+(?:\s*[、,，和及与]\s*\d+(?:\.\d+)+)*)")
CODE = re.compile(r"\d+(?:\.\d+)+")
EVIDENCE_DEPTH = 3  # a rule or keyword on one of this many leading items is evidence


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_EVIDENCE = "needs_evidence"
    NOT_ELIGIBLE = "not_eligible"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class ScreeningWeights:
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    name_weight: float = 3.0
    ancestor_weight: float = 1.0
    text_weight: float = 1.0
    reference_weight: float = 0.5  # text of the items an item's scope refers to (参照本目录…)
    rule_scale: float = 1.0
    industry: float = 0.35
    kind_match: float = 0.25
    kind_mismatch: float = 0.3
    project_default: float = 0.08
    manufacturing_code_cue: float = 0.5
    min_raw_bm25: float = 14.0  # below this, without a rule hit, the text says too little
    keyword_first: float = 0.45  # any practitioner keyword of the item
    keyword_more: float = 0.1  # each further match, up to two
    keyword_negative: float = 0.4
    keyword_transfer: float = 0.6  # 2025 keywords seen through the crosswalk, other editions
    base_projection: float = 0.8  # other editions: the full 2025 score projected via crosswalk
    example: float = 1.0  # best similarity to a labelled example of the item
    example_floor: float = 0.2  # cosine at or below which an example says nothing
    example_display_min: float = 0.3  # cosine below which no "closest example" is shown
    # a text whose closest labelled example is a non-green record (cosine ≥ min) and which is
    # that much (margin) closer to it than to any green example is out of scope; chosen on the
    # development sets, leave-one-set-out (docs/taxonomy.md); min > 1 switches it off
    non_green_min: float = 0.4
    non_green_margin: float = 0.2


@dataclass(frozen=True)
class ScreeningInput:
    id: str
    name: str
    description: str
    industry_code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.name}。{self.description}"


@dataclass(frozen=True)
class Candidate:
    code: str
    name_zh: str
    path: str
    score: float
    lexical: float
    rules: tuple[str, ...]
    industry_evidence: str
    kind_note: str
    matched_terms: tuple[str, ...]
    ghg_mark: str
    similar_example: str = ""  # "c:C0045 0.62": the closest labelled example under this item


@dataclass(frozen=True)
class ScreeningResult:
    edition: str
    id: str
    candidates: tuple[Candidate, ...]
    verdict: Verdict
    reason: str
    criteria: criteria_mod.CriteriaReport | None
    explanation: str


@dataclass(frozen=True)
class _Prepared:
    """A batch's texts as every feature reads them, computed once per batch (and shared with
    the 2025 screen that older editions project)."""

    normalised: pl.Series
    expanded: list[str]
    series: pl.Series
    grams: list[list[str]]
    example_queries: sparse.csr_matrix


class InputError(ValueError):
    """Bad screening input; ``field`` names what is wrong."""

    def __init__(self, field_name: str, message: str, row: int | None = None) -> None:
        super().__init__(f"{field_name}: {message}" + (f" (row {row})" if row is not None else ""))
        self.field = field_name
        self.message = message
        self.row = row


@cache
def _synonyms() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(Chinese term → expansion, Latin word → expansion, English phrase → expansion).
    Chinese terms match as substrings; single Latin words and multi-word English phrases
    ("waste heat" → 余热, whose meaning is not its words') as whole words. Phrases are keyed with
    hyphens as spaces, so "waste-to-energy" and "waste to energy" are one entry."""
    chinese: dict[str, str] = {}
    latin: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for r in cached_rows("synonyms.csv"):
        term = normalise(r["term"])
        if r["lang"] != "en":
            table = chinese
        elif " " in term or "-" in term:
            table, term = phrases, _phrase_key(term)
        else:
            table = latin
        table[term] = f"{table[term]} {r['expansion']}" if term in table else r["expansion"]
    return chinese, latin, phrases


def _phrase_key(text: str) -> str:
    return " ".join(text.replace("-", " ").split())


@cache
def _phrase_pattern() -> str:
    """One regex for every English phrase, whole words only, a hyphen or any run of spaces
    between words; longest first, so the longest phrase at a position wins."""
    _, _, phrases = _synonyms()
    alternatives = (
        r"[\s\-]+".join(re.escape(word) for word in key.split())
        for key in sorted(phrases, key=len, reverse=True)
    )
    return ascii_boundaries(r"\b(?:" + "|".join(alternatives) + r")\b")


def _contains_all(texts: pl.Series, patterns: list[str]) -> np.ndarray:
    """(texts × patterns) booleans in one Polars query: one plan for every pattern, instead of
    a query per pattern whose fixed cost dominates a single record (~0.4 ms × 174 rules)."""
    if not patterns:
        return np.zeros((len(texts), 0), dtype=bool)
    frame = pl.DataFrame({"text": texts}).select(
        pl.col("text").str.contains(f"(?i){pattern}").fill_null(False).alias(f"p{j}")
        for j, pattern in enumerate(patterns)
    )
    return frame.to_numpy().astype(bool).reshape(len(texts), len(patterns))


@cache
def _shadowed_terms() -> pl.DataFrame:
    """(short, long) pairs of Chinese dictionary terms where ``short`` occurs inside ``long``."""
    chinese, _, _ = _synonyms()
    pairs = [(a, b) for a in chinese for b in chinese if a != b and a in b]
    return pl.DataFrame(pairs, schema={"zh": pl.String, "long": pl.String}, orient="row")


def _longest_matches(found: pl.Series) -> pl.Series:
    """Per text, the dictionary terms found, without any term contained in a longer term that
    was also found (maximum matching by term, not by position): "离心风机" (a fan) must not also
    expand as "风机" (which practitioners also use for a wind turbine). Known limit: a short term
    that also stands alone elsewhere in the same text is dropped too ("风机基础…离心风机"); the
    longer terms' expansions usually carry its meaning (光伏电站 → 太阳能光伏发电设施建设运营)."""
    terms = (
        pl.DataFrame({"zh": found}).with_row_index("row").explode("zh").drop_nulls("zh")
        .unique(["row", "zh"], maintain_order=True)
    )  # fmt: skip
    shadowed = terms.join(_shadowed_terms(), on="zh").join(
        terms.rename({"zh": "long"}), on=["row", "long"], how="semi"
    )
    kept = terms.join(
        shadowed.select("row", "zh"), on=["row", "zh"], how="anti", maintain_order="left"
    )
    grouped = kept.group_by("row", maintain_order=True).agg("zh")
    return (
        pl.DataFrame({"row": pl.arange(0, len(found), eager=True, dtype=pl.UInt32)})
        .join(grouped, on="row", how="left", maintain_order="left")["zh"]
        .fill_null([])
    )


def expand_series(texts: pl.Series) -> list[str]:
    """``expand`` for a whole column in two vectorised passes (Aho–Corasick for the Chinese
    dictionary, a word split for the Latin glossary)."""
    chinese, latin, phrases = _synonyms()
    found = pl.DataFrame(
        {
            "text": texts,
            "zh": _longest_matches(texts.str.extract_many(list(chinese), overlapping=True)),
            "phrase": texts.str.extract_all(_phrase_pattern()),
            "en": texts.str.extract_all(r"[a-z][a-z0-9]*"),  # hyphenated words split
        }
    ).with_columns(
        pl.col("zh").list.eval(pl.element().replace_strict(chinese, default="")),
        pl.col("phrase").list.eval(
            pl.element().str.replace_all(r"[\s\-]+", " ").replace_strict(phrases, default="")
        ),
        pl.col("en")
        .list.unique(maintain_order=True)
        .list.eval(pl.element().replace_strict(latin, default="")),
    )
    extra = found.select(
        pl.concat_list("zh", "phrase", "en")
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.join(" ")
        .alias("extra")
    ).to_series()
    return (texts + " " + extra).str.strip_chars_end().to_list()


USE_CUE = "use"  # buying to use: favours project and consumption items
GENERIC_CUE = "generic"  # words naming no particular product ("产品", "零部件", "公司")
MASK_CUE = "mask"  # removed before the kind cues are matched ("再制造" is not 制造)
# activities stated so specifically that a yielding exclusion (working capital) gives way to them
YIELDING_KINDS = frozenset({ActivityKind.TRADE.value, ActivityKind.MANUFACTURING.value})


@cache
def _kind_cues() -> tuple[tuple[ActivityKind, str], ...]:
    return tuple(
        (ActivityKind(r["kind"]), ascii_boundaries(r["pattern"]))
        for r in cached_rows("activity_cues.csv")
        if r["kind"] not in (USE_CUE, GENERIC_CUE, MASK_CUE)
    )


@cache
def _cue_patterns(kind: str) -> tuple[str, ...]:
    """The patterns of one special cue kind (generic, mask, use) of ``activity_cues.csv``."""
    rows = cached_rows("activity_cues.csv")
    return tuple(ascii_boundaries(r["pattern"]) for r in rows if r["kind"] == kind)


@cache
def _phrase_rules() -> tuple[tuple[str, str, str, float], ...]:
    return tuple(
        (
            r["rule_id"],
            ascii_boundaries(r["pattern"]),
            r["item_code"],
            float(r["weight"]),
        )
        for r in cached_rows("phrase_rules.csv")
    )


KEYWORD_FILES = {
    "green-finance-2025": "item_keywords.csv",
    "bond-2021": "item_keywords_bond_2021.csv",
    "industry-2019": "item_keywords_industry_2019.csv",
}


@cache
def _item_keywords(edition: str = BASE_EDITION) -> tuple[pl.DataFrame, pl.DataFrame]:
    """An edition's own practitioner dictionary (``item_keywords*.csv``) as two literal tables:
    (keyword, item) and (negative keyword, item); empty where none is curated yet."""
    positive: list[tuple[str, str]] = []
    negative: list[tuple[str, str]] = []
    for r in cached_rows(KEYWORD_FILES.get(edition, "")):
        for column, out in (("keywords", positive), ("negative_keywords", negative)):
            out.extend(
                (normalise(t.strip()), r["item_code"]) for t in r[column].split("|") if t.strip()
            )
    schema = {"kw": pl.String, "code": pl.String}
    return (
        pl.DataFrame(positive, schema=schema, orient="row").unique(),
        pl.DataFrame(negative, schema=schema, orient="row").unique(),
    )


def _matches(texts: pl.Series, table: pl.DataFrame) -> pl.DataFrame:
    """(row, code, n) — how many distinct dictionary terms of each item occur in each text, in
    one Aho–Corasick pass over all terms."""
    if table.is_empty():
        return pl.DataFrame(schema={"row": pl.UInt32, "code": pl.String, "n": pl.UInt32})
    terms = table["kw"].unique().to_list()
    return (
        pl.DataFrame({"kw": texts.str.extract_many(terms, overlapping=True)})
        .with_row_index("row")
        .explode("kw")
        .drop_nulls("kw")
        .unique(["row", "kw"])
        .join(table, on="kw")
        .group_by("row", "code")
        .agg(pl.len().cast(pl.UInt32).alias("n"))
    )


@cache
def weights_for(edition: str) -> ScreeningWeights:
    """Defaults overridden by the tuned values of ``screening_weights.csv`` for the edition."""
    tuned = {
        r["parameter"]: float(r["value"])
        for r in cached_rows("screening_weights.csv")
        if r["edition"] == edition
    }
    return replace(ScreeningWeights(), **tuned)


@dataclass(frozen=True)
class ExclusionRule:
    rule_id: str
    pattern: str
    reason_zh: str
    overrides: bool  # beats every green cue (an explicit negation)
    yields_to_keywords: bool  # loses to a practitioner keyword too, not only to a phrase rule
    # loses to a stated trade / manufacturing activity whose product is named (working capital)
    yields_to_stated_activity: bool = False


@cache
def _out_of_scope_rules(edition: str) -> tuple[ExclusionRule, ...]:
    """The exclusion rules that apply to ``edition`` (an empty ``editions`` means every one)."""
    return tuple(
        ExclusionRule(
            r["rule_id"],
            ascii_boundaries(r["pattern"]),
            r["reason_zh"],
            overrides=r.get("overrides_green_cues") == "true",
            yields_to_keywords=r.get("yields_to_keywords") == "true",
            yields_to_stated_activity=r.get("yields_to_stated_activity") == "true",
        )
        for r in cached_rows("out_of_scope_rules.csv")
        if not r.get("editions") or edition in r["editions"].split("|")
    )


def _industry_levels(code: str) -> tuple[str, str, str]:
    return code[:2], code[:3], code


class Screener:
    """A fitted index for one edition. Build once (``screener(edition)``), reuse for every call."""

    def __init__(
        self,
        edition: str = DEFAULT_EDITION,
        weights: ScreeningWeights | None = None,
        examples: ExampleIndex | None = None,
    ):
        self.catalogue: Catalogue = load_catalogue(edition)
        self.edition = edition
        self.weights = weights or weights_for(edition)
        # the shipped examples unless given (the evaluation leaves out the set it measures)
        self.examples = examples if examples is not None else shipped_examples()
        self._base: Screener | None = None
        self.items: list[CatalogueItem] = self.catalogue.finest()
        self.codes = [i.code for i in self.items]
        self.position = {code: k for k, code in enumerate(self.codes)}
        self._build_index()
        self._build_transfers()

    # --- index ------------------------------------------------------------------------------

    def _doc_counts(self, item: CatalogueItem) -> Counter[str]:
        w = self.weights
        counts: Counter[str] = Counter()
        for gram in ngrams(item.name_zh):
            counts[gram] += w.name_weight
        for ancestor in self.catalogue.ancestors(item.code):
            for gram in ngrams(ancestor.name_zh):
                counts[gram] += w.ancestor_weight
        for gram in ngrams(item.text_zh):
            counts[gram] += w.text_weight
        return counts

    def _referred_counts(self, item: CatalogueItem) -> Counter[str]:
        """The n-grams of the items whose scope ``item``'s text refers to ("…参照本目录3.1.3规定
        要求": a trade or consumption item's equipment and products are those items'), each at
        its largest count among them, times ``reference_weight``. They join the item's BM25
        document, length included: a trade item referring to sixteen manufacturing items is a
        long document, which keeps it from outranking them on their own terms (measured on the
        development sets: leaving the referred text out of the length scored lower)."""
        referred: Counter[str] = Counter()
        if not self.weights.reference_weight:
            return referred
        codes = {c for group in REFERENCE.findall(item.text_zh) for c in CODE.findall(group)}
        for code in sorted(codes - {item.code}):
            other = self.catalogue.items.get(code)
            if other is not None:
                referred |= Counter(ngrams(other.text_zh))  # the larger count of each n-gram
        return Counter({g: n * self.weights.reference_weight for g, n in referred.items()})

    def _build_index(self) -> None:
        w = self.weights
        docs = [self._doc_counts(i) + self._referred_counts(i) for i in self.items]
        vocab: dict[str, int] = {}
        for doc in docs:
            for gram in doc:
                vocab.setdefault(gram, len(vocab))
        n_docs = len(docs)
        df = Counter(gram for doc in docs for gram in doc)
        lengths = np.array([sum(doc.values()) for doc in docs])  # referred text included
        avg = lengths.mean() if n_docs else 1.0
        rows, cols, vals = [], [], []
        for d, doc in enumerate(docs):
            norm = w.bm25_k1 * (1 - w.bm25_b + w.bm25_b * lengths[d] / avg)
            for gram, tf in doc.items():
                idf = math.log(1 + (n_docs - df[gram] + 0.5) / (df[gram] + 0.5))
                rows.append(d)
                cols.append(vocab[gram])
                vals.append(idf * tf * (w.bm25_k1 + 1) / (tf + norm))
        self.vocab = vocab
        self.item_grams = [set(ngrams(item.name_zh + item.text_zh)) for item in self.items]
        # terms × items, so that a (queries × terms) matrix times it gives (queries × items)
        self.term_item = sparse.csr_matrix(
            (vals, (cols, rows)), shape=(len(vocab), n_docs), dtype=np.float64
        )

    def _build_transfers(self) -> None:
        """Rules and industry codes are curated on green-finance-2025; map them to this edition."""
        n = len(self.items)
        base_codes = load_catalogue(BASE_EDITION).finest()
        if self.edition == BASE_EDITION:
            transfer = {i.code: [(i.code, 1.0)] for i in base_codes}
        else:
            transfer = links_between(BASE_EDITION, self.edition)
        self.transfer = transfer
        self.industry_sets: list[dict[str, float]] = [{} for _ in range(n)]
        for base in base_codes:
            for code, weight in transfer.get(base.code, []):
                k = self.position.get(code)
                if k is None:
                    continue
                for g in base.gbt4754_codes:
                    for level_code, level_weight in zip(
                        _industry_levels(g), (0.25, 0.5, 1.0), strict=True
                    ):
                        current = self.industry_sets[k].get(level_code, 0.0)
                        self.industry_sets[k][level_code] = max(current, level_weight * weight)
        self.kinds = np.array([item.kind.value for item in self.items])
        # (2025 items × this edition's items) link weights, for projecting whole 2025 scores
        base_position = {item.code: k for k, item in enumerate(base_codes)}
        rows, cols, vals = [], [], []
        for base_code, links in transfer.items():
            # "partial" describes scope overlap, not how likely a record of the 2025 item lands
            # in the target: an item's strongest counterpart gets the full weight
            strongest = max((weight for _, weight in links), default=1.0)
            for code, weight in links:
                if base_code in base_position and code in self.position:
                    rows.append(base_position[base_code])
                    cols.append(self.position[code])
                    vals.append(weight / strongest)
        self.projection = sparse.csr_matrix(
            (vals, (rows, cols)), shape=(len(base_codes), n), dtype=np.float64
        )
        self.rule_targets = {
            rule_id: {code for code, _ in transfer.get(base_code, [])}
            for rule_id, _, base_code, _ in _phrase_rules()
        }

    @property
    def base(self) -> Screener:
        """The green-finance-2025 screener whose scores other editions project (same examples)."""
        if self.edition == BASE_EDITION:
            return self
        if self._base is None:
            shipped = self.examples is shipped_examples()
            self._base = (
                screener(BASE_EDITION) if shipped else Screener(BASE_EDITION, None, self.examples)
            )
        return self._base

    # --- scoring ----------------------------------------------------------------------------

    def _query_matrix(self, grams: list[list[str]]) -> sparse.csr_matrix:
        """Binary (query × term) matrix of the synonym-expanded texts' n-grams."""
        vocab = self.vocab
        indptr, indices = [0], []
        for text_grams in grams:
            indices.extend({vocab[g] for g in text_grams if g in vocab})
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(grams), len(vocab)))

    def _rule_matrix(self, texts: pl.Series) -> tuple[np.ndarray, list[list[str]]]:
        n = len(texts)
        scores = np.zeros((n, len(self.items)))
        hits: list[list[str]] = [[] for _ in range(n)]
        rules = _phrase_rules()
        fired = _contains_all(texts, [pattern for _, pattern, _, _ in rules])
        for j, (rule_id, _, base_code, weight) in enumerate(rules):
            rows = np.flatnonzero(fired[:, j])
            if not len(rows):
                continue
            for code, link_weight in self.transfer.get(base_code, []):
                k = self.position.get(code)
                if k is not None:
                    scores[rows, k] += weight * link_weight * self.weights.rule_scale
            for r in rows:
                hits[r].append(rule_id)
        return scores, hits

    def _keyword_matrix(self, texts: pl.Series) -> np.ndarray:
        """Practitioner keywords: the edition's own dictionary, plus the green-finance-2025
        dictionary transferred through the crosswalk (scaled by ``keyword_transfer``)."""
        w = self.weights
        scores = np.zeros((len(texts), len(self.items)))
        sources = [(self.edition, None, 1.0)]
        if self.edition != BASE_EDITION and w.keyword_transfer:
            sources.append((BASE_EDITION, self.transfer, w.keyword_transfer))
        for dictionary, transfer, scale in sources:
            positive, negative = _item_keywords(dictionary)
            hits = _matches(texts, positive).with_columns(
                (w.keyword_first + w.keyword_more * (pl.col("n") - 1).clip(0, 2)).alias("value")
            )
            misses = _matches(texts, negative).with_columns(
                pl.lit(-w.keyword_negative).alias("value")
            )
            for frame in (hits, misses):
                for row, code, value in frame.select("row", "code", "value").iter_rows():
                    links = transfer.get(code, []) if transfer is not None else [(code, 1.0)]
                    for target, link_weight in links:
                        k = self.position.get(target)
                        if k is not None:
                            scores[row, k] += value * link_weight * scale
        return scores

    def _kind_matrix(
        self, texts: pl.Series, industry_codes: list[str | None]
    ) -> tuple[np.ndarray, list[set[str]], list[set[str]]]:
        """Kind agreement: cue hits (n × kinds) against each item's kind, without row loops.

        A specific cue (manufacturing, trade, consumption, service) favours items of that kind
        and penalises every other item, project items included; a manufacturing industry code
        (GB/T 4754 门类 C) counts as a weaker manufacturing cue."""
        w = self.weights
        kinds = [k.value for k in ActivityKind]
        hits = np.zeros((len(texts), len(kinds)))
        cues = _kind_cues()
        use = "|".join(_cue_patterns(USE_CUE))
        if mask := "|".join(_cue_patterns(MASK_CUE)):
            texts = texts.str.replace_all(mask, " ")
        fired = _contains_all(texts, [pattern for _, pattern in cues] + ([use] if use else []))
        for j, (kind, _) in enumerate(cues):
            column = kinds.index(kind.value)
            hits[:, column] = np.maximum(hits[:, column], fired[:, j])
        uses = fired[:, -1] if use else np.zeros(len(texts), dtype=bool)
        manufacturing = kinds.index(ActivityKind.MANUFACTURING.value)
        industries = reference.industry_codes()
        in_section_c = np.array(
            [bool(c) and c in industries and industries[c].section == "C" for c in industry_codes]
        )
        project = kinds.index(ActivityKind.PROJECT.value)
        # the code is often the borrower's industry, not the activity's: a text that says it
        # builds, retrofits or buys something outweighs it
        says_otherwise = (hits[:, project] > 0) | uses
        # what the text itself says, before the industry code adds its weaker cue
        stated = [{kinds[j] for j in np.flatnonzero(row > 0)} for row in hits]
        hits[:, manufacturing] = np.maximum(
            hits[:, manufacturing], in_section_c * ~says_otherwise * w.manufacturing_code_cue
        )
        specific = [i for i in range(len(kinds)) if i != project]
        onehot = np.stack([self.kinds == k for k in kinds], axis=1).astype(float)  # items × kinds
        strength = hits[:, specific].max(axis=1)  # 0 … 1
        match = hits[:, specific] @ onehot[:, specific].T  # strength of the item's own kind cue
        adjust = w.kind_match * match - w.kind_mismatch * (strength[:, None] - match).clip(0)
        # explicit project cues soften the penalty on project items (e.g. "生产基地建设")
        adjust += (
            hits[:, project][:, None]
            * onehot[None, :, project]
            * w.kind_mismatch
            * 0.5
            * strength[:, None]
        )
        # buying-to-use only counts where the text does not also say it manufactures
        buys = (uses & (hits[:, manufacturing] < 1)).astype(float)[:, None]
        signs = {ActivityKind.PROJECT: 1, ActivityKind.CONSUMPTION: 1,
                 ActivityKind.MANUFACTURING: -1, ActivityKind.TRADE: -1}  # fmt: skip
        for kind, sign in signs.items():
            adjust += sign * w.kind_match * buys * onehot[None, :, kinds.index(kind.value)]
        no_specific = strength == 0
        adjust += np.where(
            no_specific[:, None] & (onehot[None, :, project] > 0), w.project_default, 0
        )
        detected = [{kinds[j] for j in np.flatnonzero(row > 0)} for row in hits]
        return adjust, detected, stated

    def _industry_vector(self, code: str) -> np.ndarray:
        keys = _industry_levels(code)
        return np.array(
            [
                max((prior.get(key, 0.0) for key in keys), default=0.0)
                for prior in self.industry_sets
            ]
        )

    def _industry_matrix(self, industry_codes: list[str | None]) -> np.ndarray:
        out = np.zeros((len(industry_codes), len(self.items)))
        distinct = {c for c in industry_codes if c}
        vectors = {c: self._industry_vector(c) * self.weights.industry for c in distinct}
        for r, code in enumerate(industry_codes):
            if code:
                out[r] = vectors[code]
        return out

    def _out_of_scope(self, texts: pl.Series) -> list[ExclusionRule | None]:
        """Per text: the first exclusion rule that fires; a later rule that overrides green cues
        (an explicit negation) replaces an earlier one that does not, so "住宅开发…未申报绿色建筑
        星级" is excluded by the negation, not weighed."""
        reasons: list[ExclusionRule | None] = [None] * len(texts)
        rules = _out_of_scope_rules(self.edition)
        fired = _contains_all(texts, [rule.pattern for rule in rules])
        for j, rule in enumerate(rules):
            for r in np.flatnonzero(fired[:, j]):
                current = reasons[r]
                if current is None or (rule.overrides and not current.overrides):
                    reasons[r] = rule
        return reasons

    def score(
        self, texts: list[str], industry_codes: list[str | None]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """(final scores, raw BM25, diagnostics) for many texts at once: (n × items) arrays."""
        return self._score(self._prepare(texts), industry_codes)

    def _prepare(self, texts: list[str]) -> _Prepared:
        # every feature reads the synonym-expanded text, so English input meets the Chinese
        # dictionaries through the glossary
        normalised = normalise_series(pl.Series("text", texts, dtype=pl.String))
        expanded = expand_series(normalised)
        grams = [ngrams(text) for text in expanded]
        return _Prepared(
            normalised=normalised,
            expanded=expanded,
            series=pl.Series("text", expanded, dtype=pl.String),
            grams=grams,
            example_queries=self.examples.query_matrix(grams),
        )

    def _score(
        self, prepared: _Prepared, industry_codes: list[str | None]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        normalised, expanded, series, grams = (
            prepared.normalised, prepared.expanded, prepared.series, prepared.grams,
        )  # fmt: skip
        raw = (self._query_matrix(grams) @ self.term_item).toarray()
        best = raw.max(axis=1, keepdims=True)
        lexical = np.divide(raw, best, out=np.zeros_like(raw), where=best > 0)
        rules, rule_hits = self._rule_matrix(series)
        kinds, detected, stated = self._kind_matrix(series, industry_codes)
        industry = self._industry_matrix(industry_codes)
        keywords = self._keyword_matrix(series)
        example_queries = prepared.example_queries
        # one product gives both the item scores and the best cosine to any green example
        examples, green_best = self.examples.item_scores_and_best(
            example_queries, self.edition, self.position, self.weights.example_floor
        )
        if not self.weights.example:  # examples switched off: no score and no closest example
            examples = np.zeros_like(examples)
        final = lexical + rules + kinds + industry + keywords + self.weights.example * examples
        non_green_best, non_green_id = self.examples.non_green(example_queries, self.edition)
        evidence, named = self._evidence(final, raw, rules, keywords)
        text_params: list[dict[str, Any]] | None = None
        if self.edition != BASE_EDITION and self.weights.base_projection:
            # the 2025 screen shares this edition's examples, so the prepared texts serve both
            base_final, _, base_diag = self.base._score(prepared, industry_codes)
            text_params = base_diag["text_params"]  # same texts: read once
            top = base_final.max(axis=1, keepdims=True)
            relative = np.divide(base_final, top, out=np.zeros_like(base_final), where=top > 0)
            # only the leading 2025 candidates speak: relative² keeps the long tail quiet, and
            # items the 2025 screen scored below zero (penalised, e.g. manufacturing items for a
            # consumer loan) say nothing — squared, they would speak loudest
            relative = relative.clip(0.0, None)
            final = (
                final
                + self.weights.base_projection
                * (sparse.csr_matrix(relative**2) @ self.projection).toarray()
            )
            # green evidence found against the 2025 catalogue counts where its top item has a
            # counterpart in this edition
            linked = np.asarray(self.projection.sum(axis=1)).ravel() > 0
            evidence |= base_diag["evidence"] & linked[base_final.argmax(axis=1)]
            # and an activity it names there (a 2025 phrase rule or keyword) counts here too
            named |= base_diag["named"] & linked[base_final.argmax(axis=1)]
        return (
            final,
            raw,
            {
                "rule_hits": rule_hits,
                "kinds": detected,
                "stated_kinds": stated,
                "industry": industry,
                "rules": rules,
                "lexical": lexical,
                "keywords": keywords,
                "examples": examples,
                "evidence": evidence,
                "named": named,
                "expanded": expanded,
                "example_queries": example_queries,
                "green_best": green_best,
                "non_green_best": non_green_best,
                "non_green_id": non_green_id,
                "out_of_scope": self._out_of_scope(series),
                # figures the text itself states (explicit parameters override them)
                "text_params": text_params
                if text_params is not None
                else extract_parameters(normalised),
            },
        )

    def _evidence(
        self, final: np.ndarray, raw: np.ndarray, rules: np.ndarray, keywords: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per text: does anything beyond weak lexical overlap support its leading items? A
        phrase rule or keyword on one of the three best items (the text named an activity of
        the catalogue, even where another item outranks it), or enough lexical evidence overall.
        Returns (evidence, named): ``named`` is the first part alone."""
        k = min(EVIDENCE_DEPTH, final.shape[1])
        leading = np.argpartition(-final, k - 1, axis=1)[:, :k]
        named = (
            (np.take_along_axis(rules, leading, 1) > 0)
            | (np.take_along_axis(keywords, leading, 1) > 0)
        ).any(axis=1)
        return named | (raw.max(axis=1) >= self.weights.min_raw_bm25), named

    # --- results ------------------------------------------------------------------------------

    def screen(self, record: ScreeningInput, top_k: int = 3) -> ScreeningResult:
        """Screen one record, with evidence for every candidate."""
        validate_input(record)
        return self.screen_many([record], top_k, detail_k=top_k)[0]

    def screen_many(
        self, records: list[ScreeningInput], top_k: int = 3, detail_k: int = 1
    ) -> list[ScreeningResult]:
        """Screen many records in one scoring pass. Matched-term evidence is computed for the
        first ``detail_k`` candidates (1 in batch work, where it dominates the cost)."""
        final, raw, diag = self.score(
            [r.text for r in records], [r.industry_code or None for r in records]
        )
        k = min(top_k, len(self.items))
        top = np.argpartition(-final, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(final, top, axis=1).argsort(axis=1)[:, ::-1]
        top = np.take_along_axis(top, order, axis=1)
        expanded = diag["expanded"]
        # the closest labelled example of each detailed candidate, one product per item
        diag["similar"] = [
            self.examples.nearest(diag["example_queries"], self.edition, self.position, top[:, r])
            for r in range(min(detail_k, k))
        ]
        return [
            self._result(record, final[row], raw[row], diag, row, top[row], expanded[row], detail_k)
            for row, record in enumerate(records)
        ]

    def _result(
        self,
        record: ScreeningInput,
        final: np.ndarray,
        raw: np.ndarray,
        diag: dict[str, Any],
        row: int,
        order: np.ndarray,
        expanded_text: str,
        detail_k: int,
    ) -> ScreeningResult:
        query_grams = set(ngrams(expanded_text))
        candidates = []
        for rank, k in enumerate(order):
            item = self.items[k]
            matched: tuple[str, ...] = ()
            similar = ""
            if rank < detail_k:
                matched = tuple(merged_spans(record.text, query_grams & self.item_grams[k])[:6])
                nearest = diag["similar"][rank][row]
                if (
                    nearest
                    and diag["examples"][row, k] > 0
                    and nearest[1] >= self.weights.example_display_min
                ):
                    similar = f"{nearest[0]} {nearest[1]:.2f}"
            candidates.append(
                Candidate(
                    code=item.code,
                    name_zh=item.name_zh,
                    path=self.catalogue.path_label(item.code),
                    score=round(float(final[k]), 4),
                    lexical=round(float(diag["lexical"][row, k]), 4),
                    rules=self._rules_for(diag["rule_hits"][row], item.code),
                    industry_evidence=self._industry_note(record.industry_code, k, diag, row),
                    kind_note="、".join(sorted(diag["kinds"][row])),
                    matched_terms=matched,
                    ghg_mark=item.ghg_mark,
                    similar_example=similar,
                )
            )
        verdict, reason, report = self._verdict(record, candidates, raw, diag, row)
        return ScreeningResult(
            edition=self.edition,
            id=record.id,
            candidates=tuple(candidates),
            verdict=verdict,
            reason=reason,
            criteria=report,
            explanation=explain(candidates, verdict, reason, report),
        )

    def _rules_for(self, hits: list[str], code: str) -> tuple[str, ...]:
        """The rule ids among ``hits`` that point (directly or via the crosswalk) at ``code``."""
        return tuple(h for h in hits if code in self.rule_targets.get(h, ()))

    def _industry_note(self, code: str | None, k: int, diag: dict[str, Any], row: int) -> str:
        if not code:
            return ""
        industry = reference.industry_codes().get(code)
        label = f"{code} {industry.name_zh}" if industry else code
        if diag["industry"][row, k] > 0:
            return f"行业代码 {label} 属于该条目的行业范围"
        return f"行业代码 {label} 不在该条目列出的行业范围内"

    def _names_a_product(
        self, excluded: ExclusionRule, expanded: str, k: int, diag: dict[str, Any], row: int
    ) -> bool:
        """Does the text state a trade or manufacturing activity of item ``k``'s kind, and name
        the product on its own? The product is what remains once the activity's cue words, the
        exclusion's own words and words naming no particular product ("产品", "零部件", "公司";
        the ``generic`` cues) are removed: "钢材贸易流贷" and "汽车零部件贸易公司流动资金" leave
        nothing of 8.1.1 / 8.2.1; "地源热泵机组批发" still matches 8.5.6 by BM25 ≥
        ``min_raw_bm25``."""
        item = self.items[k]
        # the older editions bundle trade into manufacturing items ("…制造及贸易")
        trades = "贸易" in item.name_zh or "贸易" in item.text_zh
        kinds = {item.kind.value} | ({ActivityKind.TRADE.value} if trades else set())
        stated = kinds & diag["stated_kinds"][row] & YIELDING_KINDS
        if not stated:
            return False
        cues = [pattern for cue_kind, pattern in _kind_cues() if cue_kind.value in stated]
        remainder = _without(expanded, [*cues, excluded.pattern, *_cue_patterns(GENERIC_CUE)])
        query = self._query_matrix([ngrams(remainder)])
        return float((query @ self.term_item[:, k]).toarray()[0, 0]) >= self.weights.min_raw_bm25

    def _verdict(
        self,
        record: ScreeningInput,
        candidates: list[Candidate],
        raw: np.ndarray,
        diag: dict[str, Any],
        row: int,
    ) -> tuple[Verdict, str, criteria_mod.CriteriaReport | None]:
        top = candidates[0]
        excluded: ExclusionRule | None = diag["out_of_scope"][row]
        # an exclusion rule loses only to a high-precision phrase rule (keywords are broader),
        # or, where the rule says so, to a keyword of the best item ("流动资金，用于生产…锅炉"), or
        # to a stated trade or manufacturing activity that the best item is of ("贸易流贷。地源热泵
        # 机组批发": working capital to trade a green product is what section 8 finances)
        k = self.position[top.code]
        named = bool(top.rules) or (
            excluded is not None
            and excluded.yields_to_keywords
            and (
                diag["keywords"][row, k] > 0
                or (
                    excluded.yields_to_stated_activity
                    and self._names_a_product(excluded, diag["expanded"][row], k, diag, row)
                )
            )
        )
        if excluded and (excluded.overrides or not named):
            return Verdict.OUT_OF_SCOPE, excluded.reason_zh, None
        if not diag["evidence"][row]:
            return Verdict.OUT_OF_SCOPE, "描述与目录任何条目都缺乏足够的匹配依据", None
        read = {k: v for k, v in diag["text_params"][row].items() if k not in record.params}
        params = {**read, **record.params}
        if record.industry_code:  # criteria may depend on the activity's industry (``when``)
            params.setdefault("gbt4754_code", record.industry_code)
        report = criteria_mod.evaluate(self.edition, top.code, params)
        used = sorted(
            {c.criterion.parameter for c in report.checks if c.value is not None} & read.keys()
        )
        figures = "，".join(f"{k}={criteria_mod.plain_number(read[k])}" for k in used)
        source = f"（参数读自描述：{figures}）" if used else ""
        if report.outcome is criteria_mod.Outcome.FAILED:
            # one message per bar: the cases of one group often share it (every motor type ≤ 1)
            bars: dict[tuple[str, str, str], str] = {}
            for c in report.failed:
                key = (c.criterion.parameter, c.criterion.operator, c.criterion.threshold)
                bars.setdefault(key, c.message)
            failed = "；".join(bars.values())
            return Verdict.NOT_ELIGIBLE, f"技术标准未达标：{failed}{source}", report
        # a record much like one labelled not green, and unlike every green one, is out of scope
        # (a phrase rule or a practitioner keyword on a leading item, which names a catalogue
        # activity, still wins; a failed threshold above says more, so it is checked first)
        w = self.weights
        like_non_green = diag["non_green_best"][row]
        # where a stated or declared figure was checked, the figure decides, not the wording
        # ("一级能效" and "三级能效" differ in one character)
        figures_checked = any(c.value is not None for c in report.checks)
        if (
            not diag["named"][row]
            and not figures_checked
            and like_non_green >= w.non_green_min
            and like_non_green - diag["green_best"][row] >= w.non_green_margin
        ):
            return (
                Verdict.OUT_OF_SCOPE,
                f"与已标注为非绿的案例高度相似（{diag['non_green_id'][row]} {like_non_green:.2f}，"
                f"最相似的绿色案例 {diag['green_best'][row]:.2f}）",
                None,
            )
        if report.outcome is criteria_mod.Outcome.PASSED:
            return Verdict.ELIGIBLE, f"文本匹配且全部适用的技术标准均已通过{source}", report
        if report.outcome is criteria_mod.Outcome.UNVERIFIED:
            missing = "、".join(report.missing_parameters) or "所引标准中的阈值"
            return Verdict.NEEDS_EVIDENCE, f"文本匹配，技术标准待核实（缺少：{missing}）", report
        return (
            Verdict.NEEDS_EVIDENCE,
            "文本匹配；目录条件为定性要求，需审核人员核对证明材料",
            report,
        )


def _without(text: str, patterns: list[str]) -> str:
    """``text`` with every match of the (Polars-dialect) patterns blanked out."""
    series = pl.Series([text], dtype=pl.String)
    for pattern in patterns:
        series = series.str.replace_all(f"(?i){pattern}", " ")
    return series[0]


def explain(
    candidates: list[Candidate],
    verdict: Verdict,
    reason: str,
    report: criteria_mod.CriteriaReport | None,
) -> str:
    top = candidates[0]
    parts = [f"{top.code} {top.name_zh}"]
    if top.matched_terms:
        parts.append("匹配词：" + "、".join(top.matched_terms))
    if top.rules:
        parts.append("规则：" + ",".join(top.rules))
    if top.similar_example:
        parts.append("相似已标注案例：" + top.similar_example)
    if top.industry_evidence:
        parts.append(top.industry_evidence)
    if report and report.checks:
        applicable = [
            c for c in report.checks if c.outcome is not criteria_mod.Outcome.NOT_APPLICABLE
        ]
        if applicable:
            parts.append("技术标准：" + "；".join(c.message for c in applicable[:4]))
    parts.append(f"结论：{verdict.value}（{reason}）")
    return " | ".join(parts)


def validate_input(record: ScreeningInput, row: int | None = None) -> None:
    if not (record.name or "").strip() and not (record.description or "").strip():
        raise InputError("description", "name and description are both empty", row)
    code = (record.industry_code or "").strip()
    if code and code not in reference.industry_codes():
        raise InputError("industry_code", f"{code!r} is not a GB/T 4754-2017 code", row)


@cache
def shipped_examples() -> ExampleIndex:
    """The labelled examples shipped with the package, indexed once per process."""
    return ExampleIndex(read_examples(), lambda texts: expand_series(normalise_series(
        pl.Series("text", texts, dtype=pl.String))))  # fmt: skip


def screener(edition: str = DEFAULT_EDITION) -> Screener:
    """The shared, fitted screener of an edition (built once per process)."""
    return _screener(edition)


@cache
def _screener(edition: str) -> Screener:
    return Screener(edition)
