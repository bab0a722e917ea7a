"""Choosing among the accepted pairs, after every candidate is decided: over all of a language pair's
pairs at once (phases/select.py runs it), so that a story's de-fr pair does not take the place of its
English original's pairs."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import setting


@dataclass(frozen=True, slots=True)
class SelectConfig:
    """Choices made after every candidate is decided, over all accepted pairs at once."""

    one_to_one: bool = setting(False, flag="--one-to-one", help="keep each document in at most one pair "
                               "(Bitextor-style), taken greedily by score x candidate margin")
    # applied after --one-to-one: a document's best partner is not replaced by one that passes the filter
    translator: str = setting("any", flag="--translator", choices=("any", "machine", "human"),
                              help="keep only pairs whose translation the provenance model judged machine (or "
                                   "human) output; `unknown` verdicts are left out of either")


def one_to_one_rank(pair) -> float:
    """How strongly a pair claims its two documents when each may keep only one partner: the pair's
    score times the candidate margin. The margin discounts a document close to many others, which is
    what tells a translation's real original from its near-identical siblings: on full DDTP, greedy
    choice by score gives P 0.989 / R 0.977, by score x margin 0.991 / 0.980 (BENCHMARKS.md).
    Pairs aligned without a candidate search (margin 0) rank by score."""
    return pair.score * (pair.candidate_score or 1.0)


def one_to_one(pairs: list) -> list:
    """Greedy 1-1 matching by ``one_to_one_rank``, as Bitextor's document aligner outputs. Takes
    DocPairs or anything with their score, candidate_score, src_id and tgt_id (phases/select.PairKey)."""
    used: set[str] = set()
    out = []
    for p in sorted(pairs, key=lambda p: (-one_to_one_rank(p), p.src_id, p.tgt_id)):
        if p.src_id in used or p.tgt_id in used:
            continue
        used.update((p.src_id, p.tgt_id))
        out.append(p)
    return out
