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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..data import SentPair
from ..settings import setting

if TYPE_CHECKING:
    from .dpcore import Bands

# overlaps(sentences, sizes) -> {k: vectors of the runs of k consecutive sentences}
OverlapFn = Callable[[Sequence[str], Sequence[int]], dict[int, np.ndarray]]

# Sentinel choices in the back-pointer table; bead types are indexed from 0 upwards.
_SKIP_SRC, _SKIP_TGT = -1, -2


@dataclass(frozen=True, slots=True)
class SentAlignConfig:
    max_bead: int = setting(4, low=1)  # most sentences on one side of a bead; beads have a + b <= max_bead + 1
    # normalised similarity below which two texts are never taken as translations
    null_floor: float = setting(0.1, low=-1.0, high=1.0)
    # the chance level of a pair is this quantile of its 1-1 similarities
    null_quantile: float = setting(0.8, low=0.0, high=1.0)
    # Concatenations are more similar than their parts (more shared content), so without a price on
    # merging, two 1-1 beads would become one 2-2 bead. Charged per sentence beyond a 1-1 bead.
    merge_penalty: float = setting(0.08, low=0.0)
    # Longer pairs are aligned coarse-to-fine: full dynamic programs only up to this many cells.
    max_full_cells: int = setting(250_000, low=1)
    # Encoders spread similarities differently (E5's cosines crowd near 0.8); this maps an encoder's
    # normalised similarities onto USE-m3's scale, to which the other settings are tuned.
    similarity_scale: float = setting(1.0, low=1e-6)
    gap_open: float = setting(0.4, low=0.0)  # cost of a run of unaligned sentences inside an alignment (affine gaps)
    band_blocks: int = setting(3, low=1)  # half-width of the fine search band around the coarse path, in coarse blocks
    # an exact pass guided by a first alignment searches this many sentences around it
    guide_width: int = setting(8, low=1)
    # pairs larger than this (n x m) search near their anchors when they have some
    anchored_cells: int = setting(2_500, low=1)
    normalise: bool = True  # subtract each text's mean similarity to the other side (Vecalign's idea)
    # That mean is shrunk towards the encoder's cosine between unrelated texts, as if the other side had
    # ``prior_weight`` more unrelated sentences: a side of one or two sentences is mostly the text's own
    # translation, so its mean alone would cancel the match (a 1 x 1 pair would score 0).
    # USE-m3, random DDTP en-fr sentence pairs; set per encoder by the pipeline
    prior_cosine: float = setting(0.09, low=-1.0, high=1.0)
    prior_weight: float = setting(4.0, low=0.0)


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


def mean_runs(emb: np.ndarray, sizes: list[int]) -> dict[int, np.ndarray]:
    """Approximate run vectors: the normalised mean of the run's sentence vectors. No encoder call, so
    a first pass over many candidate pairs is cheap; the encoded runs are more exact (see align)."""
    out = {1: emb}
    csum = np.concatenate([np.zeros((1, emb.shape[1]), emb.dtype), np.cumsum(emb, axis=0)])
    for k in sizes:
        if k > 1:
            v = csum[k:] - csum[:-k] if len(emb) >= k else np.zeros((0, emb.shape[1]), emb.dtype)
            norms = np.linalg.norm(v, axis=1, keepdims=True)
            out[k] = (v / np.maximum(norms, 1e-12)).astype(emb.dtype)
    return out


def _runs(sentences: Sequence[str], emb: np.ndarray | None, sizes: list[int], overlaps: OverlapFn | None,
          windows: list[tuple[int, int]] | None = None):
    """Vectors of the runs of each size; the single sentences' from ``emb`` when given. With ``windows``
    and an ``overlaps`` that takes them (its ``windowed`` attribute), runs it leaves NaN (outside the
    windows, or beyond its shortcut) are approximated by ``mean_runs``."""
    if overlaps is None:
        return mean_runs(emb, sizes)
    if emb is None:
        return overlaps(sentences, sizes)
    multi = [k for k in sizes if k > 1]
    if windows is None or not getattr(overlaps, "windowed", False):  # a plain OverlapFn encodes every run
        return {**overlaps(sentences, multi), 1: emb}
    out = mean_runs(emb, sizes)
    for k, vectors in overlaps(sentences, multi, windows).items():  # NaN where it encoded nothing
        done = ~np.isnan(vectors[:, 0])
        out[k][done] = vectors[done]
    return out


def align(
    src: Sequence[str],
    tgt: Sequence[str],
    src_emb: np.ndarray | None,
    tgt_emb: np.ndarray | None,
    overlaps: OverlapFn | None,
    config: SentAlignConfig = SentAlignConfig(),
    guide: list[SentPair] | None = None,
    anchors: list[tuple[int, int]] | None = None,
) -> Alignment:
    """Align two sentence sequences. ``*_emb`` are their (normalised) sentence embeddings and
    ``overlaps(sentences, sizes)`` embeds the runs of consecutive sentences that multi-sentence beads
    need (``backends.encoders.encode_overlaps`` with the same encoder). With ``*_emb`` None, the
    sentence embeddings come from ``overlaps`` too, in the same pass. With ``overlaps`` None, runs are
    approximated by their sentences' mean vector (``mean_runs``): a cheap first pass.

    ``guide``: the beads of a first (cheap) alignment of the same pair. Runs are then encoded only where
    it was not one-to-one (``guide_windows``), and the search keeps to a band around its path
    (``guide_bands``): on long pages most beads are 1-1, so the exact pass costs a fraction of a full one.
    ``anchors``: sentence pairs sure to be aligned (docalign.anchor_chain); a long pair's search then keeps
    near them (``anchor_bands``)."""
    n, m = len(src), len(tgt)
    if n == 0 or m == 0:
        beads = [SentPair((i,), (), s, "", 0.0) for i, s in enumerate(src)]
        beads += [SentPair((), (j,), "", t, 0.0) for j, t in enumerate(tgt)]
        return Alignment(beads, config.null_floor)
    sizes = run_sizes(config.max_bead)
    if guide is None or src_emb is None or tgt_emb is None:
        bands = anchor_bands(anchors, n, m, config.guide_width) \
            if anchors and n * m > config.anchored_cells else None
        return align_runs(src, tgt, _runs(src, src_emb, sizes, overlaps), _runs(tgt, tgt_emb, sizes, overlaps),
                          config, bands)
    src_win, tgt_win = guide_windows(guide, n, m, config.max_bead)
    return align_runs(src, tgt, _runs(src, src_emb, sizes, overlaps, src_win),
                      _runs(tgt, tgt_emb, sizes, overlaps, tgt_win), config,
                      guide_bands(guide, n, m, config.guide_width))


def run_sizes(max_bead: int) -> list[int]:
    return sorted({a for a, _ in bead_types(max_bead)} | {b for _, b in bead_types(max_bead)})


def guide_windows(guide: list[SentPair], n: int, m: int, max_bead: int) -> tuple[list[tuple[int, int]],
                                                                                  list[tuple[int, int]]]:
    """Where a first alignment (``guide``) was not one sentence to one: the source and target ranges
    ``[start, end)`` whose runs of sentences a second, exact pass needs encoded. Around each bead that is
    not 1-1, and at the edges of each run of unaligned sentences (not inside it: the untranslated half of
    a page needs no runs), with ``max_bead - 1`` sentences of margin. Merged, in order."""
    pad = max_bead - 1
    src, tgt = [], []
    i = j = 0
    for bead in guide:
        a, b = len(bead.src_idx), len(bead.tgt_idx)
        if not (a == 1 and b == 1):
            if a and b:
                src.append((i - pad, i + a + pad))
                tgt.append((j - pad, j + b + pad))
            elif a:  # an unaligned source sentence: runs that could absorb it start or end next to it
                src.append((i - pad, i + 1 + pad))
                tgt.append((j - pad, j + pad))
            else:
                tgt.append((j - pad, j + 1 + pad))
                src.append((i - pad, i + pad))
        i, j = i + a, j + b
    return _merge(src, n), _merge(tgt, m)


def _merge(ranges: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((max(lo, 0), min(hi, n)) for lo, hi in ranges):
        if hi <= lo:
            continue
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def guide_bands(guide: list[SentPair], n: int, m: int, width: int) -> list[tuple[int, int]]:
    """DP bands (target node ranges per source row) that follow a first alignment's path with ``width``
    sentences of margin on each side: the exact pass searches near the path, not the whole table."""
    lo, hi = np.full(n + 1, m), np.zeros(n + 1, dtype=np.int64)
    i = j = 0
    lo[0], hi[0] = 0, 0
    for bead in guide:
        i2, j2 = i + len(bead.src_idx), j + len(bead.tgt_idx)
        for r in range(i, i2 + 1):
            lo[r], hi[r] = min(lo[r], j), max(hi[r], j2)
        i, j = i2, j2
    return _widened(lo, hi, m, width)


def anchor_bands(anchors: list[tuple[int, int]], n: int, m: int, width: int) -> list[tuple[int, int]]:
    """DP bands through sentence anchors (source, target indices, increasing on both sides): each source
    row may reach from the previous anchor's target to the next one's, ``width`` sentences beyond.
    Between two anchors the whole rectangle stays open (an untranslated stretch, a reordered list); the
    search narrows where anchors are dense, which on a translation is almost everywhere."""
    nodes = [(0, 0)] + [(i, j) for i, j in anchors] + [(n, m)]
    lo, hi = np.zeros(n + 1, dtype=np.int64), np.zeros(n + 1, dtype=np.int64)
    for (i0, j0), (i1, j1) in zip(nodes, nodes[1:], strict=False):
        lo[i0:i1 + 1] = j0
        hi[i0:i1 + 1] = np.maximum(hi[i0:i1 + 1], j1 + 1)
    return _widened(lo, hi, m, width)


def align_runs(src: Sequence[str], tgt: Sequence[str], src_ovl: dict[int, np.ndarray],
               tgt_ovl: dict[int, np.ndarray], config: SentAlignConfig,
               bands: list[tuple[int, int]] | None = None) -> Alignment:
    """``align`` once the vectors of all runs are known: ``*_ovl[k][i]`` is the run of k sentences from i.
    ``bands``: search only these target ranges per source row (``guide_bands``); default: all, or
    coarse-to-fine for long pairs."""
    n, m = len(src), len(tgt)
    types = bead_types(config.max_bead)
    src_emb, tgt_emb = src_ovl[1], tgt_ovl[1]

    # How similar each text is to the other side on average: long concatenations and generic
    # sentences are close to everything, so their raw cosines overstate a match. The mean of the dot
    # products is the dot product with the mean vector, so this costs O(n) and not O(n m).
    if config.normalise:
        tgt_mean, src_mean = tgt_emb.mean(axis=0), src_emb.mean(axis=0)
        w = config.prior_weight
        prior = config.prior_cosine * w
        src_mu = {k: ((v @ tgt_mean) * m + prior) / (m + w) for k, v in src_ovl.items()}
        tgt_mu = {k: ((v @ src_mean) * n + prior) / (n + w) for k, v in tgt_ovl.items()}
    else:
        src_mu = {k: np.zeros(len(v), np.float32) for k, v in src_ovl.items()}
        tgt_mu = {k: np.zeros(len(v), np.float32) for k, v in tgt_ovl.items()}

    scale = config.similarity_scale
    null = null_similarity(scale * _sample_similarities(src_emb, tgt_emb, src_mu[1], tgt_mu[1]), config)

    def similarity(a: int, b: int, i: int, j0: int, j1: int) -> np.ndarray:
        """Normalised similarity of the runs of a source sentences from i and b target sentences from j0..j1-1."""
        return scale * _normalised(tgt_ovl[b][j0:j1] @ src_ovl[a][i], src_mu[a][i], tgt_mu[b][j0:j1])

    if bands is None:
        bands = [(0, m)] * (n + 1) if n * m <= config.max_full_cells else _bands_from_coarse(src_emb, tgt_emb, config)
    # numba loads with the first alignment: a process that never aligns (the driver) does without it
    from .dpcore import Bands, banded_dp

    flat = Bands.of(bands)
    gains = _gains(n, types, flat, src_ovl, tgt_ovl, src_mu, tgt_mu, scale, null, config.merge_penalty)
    path = banded_dp(n, m, types, gains, flat, config.gap_open)

    beads: list[SentPair] = []
    for (i, j), (a, b) in path:
        if a and b:
            cos = float(src_ovl[a][i] @ tgt_ovl[b][j])
            sim = float(similarity(a, b, i, j, j + 1)[0])
            part = cos if a + b == 2 else \
                _part_cosine(src_emb[i:i + a], tgt_ovl[b][j], tgt_emb[j:j + b], src_ovl[a][i])
            beads.append(SentPair(tuple(range(i, i + a)), tuple(range(j, j + b)),
                                  " ".join(src[i:i + a]), " ".join(tgt[j:j + b]), sim, cos, part_cosine=part))
        elif a:
            beads.append(SentPair((i,), (), src[i], "", 0.0))
        else:
            beads.append(SentPair((), (j,), "", tgt[j], 0.0))
    return Alignment(beads, null)


def _part_cosine(src_sents: np.ndarray, tgt_run: np.ndarray, tgt_sents: np.ndarray, src_run: np.ndarray) -> float:
    """The lowest cosine of one sentence of a bead with the other side's run (SentPair.part_cosine), by
    row_dots: stored, so the same bits on every processor."""
    from ..backends.blas import row_dots

    return float(min(row_dots(src_sents, np.broadcast_to(tgt_run, src_sents.shape)).min(),
                     row_dots(tgt_sents, np.broadcast_to(src_run, tgt_sents.shape)).min()))


def _sample_similarities(src_emb, tgt_emb, src_mu, tgt_mu, max_side: int = 500) -> np.ndarray:
    """Normalised 1-1 similarities: all of them for small pairs; for large ones, those between a
    fixed-seed sample of at most ``max_side`` sentences of each side (bounded memory and time)."""
    rng = np.random.default_rng(len(src_emb) * 100_003 + len(tgt_emb))
    i = np.sort(rng.choice(len(src_emb), max_side, replace=False)) if len(src_emb) > max_side else slice(None)
    j = np.sort(rng.choice(len(tgt_emb), max_side, replace=False)) if len(tgt_emb) > max_side else slice(None)
    return _normalised(src_emb[i] @ tgt_emb[j].T, src_mu[i][:, None], tgt_mu[j][None, :])


def _normalised(dots, src_mu, tgt_mu):
    """Cosines less the mean of the two texts' average similarity to the other side (align_runs): what
    the aligner scores, in one place for every path that computes it."""
    return dots - (src_mu + tgt_mu) / 2


def _gains(n: int, types, bands: Bands, src_ovl, tgt_ovl, src_mu, tgt_mu, scale: float, null: float,
           merge_penalty: float) -> np.ndarray:
    """What each bead type gains ending at each band cell (dpcore.banded_dp's table): a bead of a source
    and b target sentences scores ``(sim - null - merge_penalty * (a + b - 2)) * (a + b) / 2``.

    The similarities are one matrix-vector product per row and type, over the row's band, as the bead
    scores are: one matrix product per type would take half the time (BENCHMARKS.md), but its last bits
    differ, and paths would move where two choices tie within float32 rounding."""
    gains = np.zeros((len(types), bands.cells), np.float32)
    for t, (a, b) in enumerate(types):
        rows, cols, at = _cells(n, a, b, bands)
        if not len(rows):  # no bead of this type fits
            continue
        dots = np.empty(len(rows), np.float32)
        starts = np.flatnonzero(np.diff(rows, prepend=-1))
        for s, e in zip(starts.tolist(), [*starts[1:].tolist(), len(rows)], strict=True):
            np.matmul(tgt_ovl[b][cols[s]:cols[e - 1] + 1], src_ovl[a][rows[s]], out=dots[s:e])
        sim = scale * _normalised(dots, src_mu[a][rows], tgt_mu[b][cols])
        gains[t, at] = (sim - null - merge_penalty * (a + b - 2)) * ((a + b) / 2.0)
    return gains


def _cells(n: int, a: int, b: int, bands: Bands) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The beads of a source and b target sentences that end inside the band: their first source and target
    sentence (in row order), and the table cell of their end."""
    end = np.arange(a, n + 1)
    lo, hi = bands.lo[end], bands.hi[end]
    j0, j1 = np.maximum(lo - b, 0), hi - b + 1
    count = np.maximum(j1 - j0, 0)
    ends = np.repeat(end, count)
    first = np.repeat(np.cumsum(count) - count, count)
    cols = np.repeat(j0, count) + np.arange(int(count.sum())) - first
    return ends - a, cols, bands.off[ends] + cols + b - bands.lo[ends]


def _widened(lo: np.ndarray, hi: np.ndarray, m: int, width: int) -> list[tuple[int, int]]:
    """Per-row target ranges [lo, hi] of a path, widened by ``width`` and made what the DP needs:
    non-decreasing, overlapping from one row to the next, from (0, 0) to (n, m)."""
    lo = np.minimum.accumulate(np.clip(lo - width, 0, m)[::-1])[::-1]
    hi = np.maximum.accumulate(np.clip(hi + width, 0, m))
    lo[0], hi[-1] = 0, m
    return [(int(a), int(b)) for a, b in zip(lo, hi, strict=True)]


def _bands_from_coarse(src_emb, tgt_emb, config) -> list[tuple[int, int]]:
    """Vecalign's approximation: align block averages of the sentence vectors, then search only a band
    around that coarse path. Recursive, so any length ends in full DPs of bounded size."""
    n, m = len(src_emb), len(tgt_emb)
    factor = int(np.ceil(np.sqrt(n * m / config.max_full_cells)))

    def blocks(emb):
        k = int(np.ceil(len(emb) / factor))
        out = np.stack([emb[i * factor:(i + 1) * factor].mean(axis=0) for i in range(k)])
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    coarse_cfg = replace(config, max_bead=2)
    cs, ct = _block_runs(blocks(src_emb), coarse_cfg), _block_runs(blocks(tgt_emb), coarse_cfg)
    coarse = align_runs([""] * len(cs[1]), [""] * len(ct[1]), cs, ct, coarse_cfg)
    # path nodes in fine coordinates; the band follows them with a margin of a few blocks
    nodes = [(0, 0)]
    i = j = 0
    for bead in coarse.beads:
        i += len(bead.src_idx)
        j += len(bead.tgt_idx)
        nodes.append((min(i * factor, n), min(j * factor, m)))
    width = config.band_blocks * factor
    lo, hi = np.full(n + 1, m), np.zeros(n + 1, dtype=np.int64)
    for (i0, j0), (i1, j1) in zip(nodes, nodes[1:], strict=False):
        for i in range(i0, i1 + 1):
            lo[i] = min(lo[i], j0)
            hi[i] = max(hi[i], j1)
    return _widened(lo, hi, m, width)


def _block_runs(blocks: np.ndarray, config: SentAlignConfig) -> dict[int, np.ndarray]:
    """Runs of consecutive coarse blocks: their normalised mean (blocks are averages, not texts)."""
    out = {}
    for k in run_sizes(config.max_bead):
        runs = np.stack([blocks[i:i + k].mean(axis=0) for i in range(len(blocks) - k + 1)]) \
            if len(blocks) >= k else np.zeros((0, blocks.shape[1]), np.float32)
        out[k] = runs / np.maximum(np.linalg.norm(runs, axis=1, keepdims=True), 1e-9)
    return out
