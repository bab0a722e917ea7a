"""Sentence alignment of two documents: 1-1, 1-n, n-1 and n-m beads, and unaligned sentences.

In the family of Vecalign (Thompson & Koehn 2019) and Bertalign: sentences and concatenations of up
to ``max_bead`` consecutive sentences are embedded, and a monotone dynamic program picks the beads.
It maximises a gain rather than minimising a cost, which makes partial translations natural: a bead
of a sentences on one side and b on the other gains ``(sim - null - merge_penalty * (a + b - 2)) * (a + b) / 2``,
and leaving a sentence unaligned gains nothing. ``sim`` is the cosine less the mean similarity of
each text to the other side (long and generic texts are close to everything), and ``null`` is the
level that unrelated sentences of *this* document pair reach (a quantile of the normalised 1-1
similarities, with a floor), so a bead is
only taken when it is clearly better than chance, and the half of an article that was never
translated stays unaligned instead of being forced onto its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..data import SentPair

# overlaps(sentences, sizes) -> {k: vectors of the runs of k consecutive sentences}
OverlapFn = Callable[[Sequence[str], Sequence[int]], dict[int, np.ndarray]]

# Sentinel choices in the back-pointer table; bead types are indexed from 0 upwards.
_SKIP_SRC, _SKIP_TGT = -1, -2


@dataclass(frozen=True, slots=True)
class SentAlignConfig:
    max_bead: int = 3  # most sentences on one side of a bead; beads have a + b <= max_bead + 1
    null_floor: float = 0.1  # normalised similarity below which two texts are never taken as translations
    null_quantile: float = 0.8  # the chance level of a pair is this quantile of its 1-1 similarities
    # Concatenations are more similar than their parts (more shared content), so without a price on
    # merging, two 1-1 beads would become one 2-2 bead. Charged per sentence beyond a 1-1 bead.
    merge_penalty: float = 0.08
    normalise: bool = True  # subtract each text's mean similarity to the other side (Vecalign's idea)


@dataclass(slots=True)
class Alignment:
    beads: list[SentPair]  # in document order, including unaligned sentences (one side empty)
    null: float  # the chance similarity the beads were measured against

    @property
    def aligned(self) -> list[SentPair]:
        return [b for b in self.beads if b.src_idx and b.tgt_idx]


def bead_types(max_bead: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(1, max_bead + 1) for b in range(1, max_bead + 1) if a + b <= max_bead + 1]


def overlap_texts(sentences: Sequence[str], size: int) -> list[str]:
    """Concatenations of ``size`` consecutive sentences, the i-th starting at sentence i."""
    return [" ".join(sentences[i:i + size]) for i in range(len(sentences) - size + 1)]


def null_similarity(sim: np.ndarray, config: SentAlignConfig) -> float:
    if sim.size == 0:
        return config.null_floor
    # In an n x m pair at most min(n, m) cells are translations; a high quantile of the rest is the
    # level that chance reaches. Too few cells for a quantile: trust the floor.
    if sim.size < 20:
        return config.null_floor
    return max(config.null_floor, float(np.quantile(sim, config.null_quantile)))


def _runs(sentences: Sequence[str], emb: np.ndarray | None, sizes: list[int], overlaps: OverlapFn):
    """Vectors of the runs of each size; the single sentences' from ``emb`` when given."""
    if emb is None:
        return overlaps(sentences, sizes)
    return {**overlaps(sentences, [k for k in sizes if k > 1]), 1: emb}


def align(
    src: Sequence[str],
    tgt: Sequence[str],
    src_emb: np.ndarray | None,
    tgt_emb: np.ndarray | None,
    overlaps: OverlapFn,
    config: SentAlignConfig = SentAlignConfig(),
) -> Alignment:
    """Align two sentence sequences. ``*_emb`` are their (normalised) sentence embeddings and
    ``overlaps(sentences, sizes)`` embeds the runs of consecutive sentences that multi-sentence beads
    need (``backends.encoders.encode_overlaps`` with the same encoder). With ``*_emb`` None, the
    sentence embeddings come from ``overlaps`` too, in the same pass."""
    n, m = len(src), len(tgt)
    if n == 0 or m == 0:
        beads = [SentPair((i,), (), s, "", 0.0) for i, s in enumerate(src)]
        beads += [SentPair((), (j,), "", t, 0.0) for j, t in enumerate(tgt)]
        return Alignment(beads, config.null_floor)

    types = bead_types(config.max_bead)
    sizes = sorted({a for a, _ in types} | {b for _, b in types})
    src_ovl = _runs(src, src_emb, sizes, overlaps)
    tgt_ovl = _runs(tgt, tgt_emb, sizes, overlaps)
    src_emb, tgt_emb = src_ovl[1], tgt_ovl[1]

    # How similar each text is to the other side on average: long concatenations and generic
    # sentences are close to everything, so their raw cosines overstate a match.
    if config.normalise:
        src_mu = {k: (v @ tgt_emb.T).mean(axis=1) for k, v in src_ovl.items()}
        tgt_mu = {k: (v @ src_emb.T).mean(axis=1) for k, v in tgt_ovl.items()}
    else:
        src_mu = {k: np.zeros(len(v), np.float32) for k, v in src_ovl.items()}
        tgt_mu = {k: np.zeros(len(v), np.float32) for k, v in tgt_ovl.items()}

    def similarity(a: int, b: int) -> np.ndarray:
        return src_ovl[a] @ tgt_ovl[b].T - (src_mu[a][:, None] + tgt_mu[b][None, :]) / 2

    null = null_similarity(similarity(1, 1), config)
    gains = {}
    for a, b in types:
        if len(src_ovl[a]) and len(tgt_ovl[b]):
            penalty = config.merge_penalty * (a + b - 2)
            gains[(a, b)] = (similarity(a, b) - null - penalty) * ((a + b) / 2.0)

    score = np.zeros((n + 1, m + 1), dtype=np.float64)
    choice = np.full((n + 1, m + 1), _SKIP_TGT, dtype=np.int8)
    choice[1:, 0] = _SKIP_SRC
    for i in range(1, n + 1):
        best = score[i - 1].copy()  # leave source sentence i-1 unaligned
        best_choice = np.full(m + 1, _SKIP_SRC, dtype=np.int8)
        for t, (a, b) in enumerate(types):
            if i < a or (a, b) not in gains:
                continue
            g = gains[(a, b)][i - a]  # beads starting at source sentence i-a, over target starts 0..m-b
            cand = score[i - a, : m + 1 - b] + g
            better = cand > best[b:]
            best[b:][better] = cand[better]
            best_choice[b:][better] = t
        # leaving target sentence j-1 unaligned gains nothing, so the row is a running maximum
        running = np.maximum.accumulate(best)
        skip = running > best
        best_choice[skip] = _SKIP_TGT
        best_choice[0] = _SKIP_TGT if i == 0 else _SKIP_SRC
        score[i] = running
        choice[i] = best_choice

    beads: list[SentPair] = []
    i, j = n, m
    while i > 0 or j > 0:
        c = choice[i, j] if i > 0 and j > 0 else (_SKIP_SRC if i > 0 else _SKIP_TGT)
        if c == _SKIP_SRC:
            i -= 1
            beads.append(SentPair((i,), (), src[i], "", 0.0))
        elif c == _SKIP_TGT:
            j -= 1
            beads.append(SentPair((), (j,), "", tgt[j], 0.0))
        else:
            a, b = types[c]
            i, j = i - a, j - b
            cos = float(src_ovl[a][i] @ tgt_ovl[b][j])
            beads.append(SentPair(tuple(range(i, i + a)), tuple(range(j, j + b)),
                                  " ".join(src[i:i + a]), " ".join(tgt[j:j + b]), cos))
    beads.reverse()
    return Alignment(beads, null)
