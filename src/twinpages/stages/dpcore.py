"""The sentence alignment's dynamic program, compiled: a monotone path through banded rows with bead gains
and affine gaps (Gotoh), in numba.

The program is a loop over rows × band cells × bead types with a running maximum along each row; as numpy
it was a Python loop over rows × bead types of a dozen array operations each, and that loop, not the
similarity products, was the alignment's time (BENCHMARKS.md, "Where the time went"). numba compiles the same
loop once per machine (cached beside this file, or in the user's cache folder where that is read-only).
The arithmetic is the numpy version's, in the same order, on float64: the same scores, the same ties, the
same path (tests/stages/test_dpcore.py keeps the numpy version and compares paths on random inputs).

Rows are stored flat: row i covers the target nodes ``lo[i]..hi[i]`` at ``off[i]..off[i + 1] - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..limits import check

# DP states: the path's last step was a bead (M), an unaligned source sentence (X) or target sentence (Y)
M, X, Y = 0, 1, 2
ROWS_PER_CHECK = 64  # rows between two looks at the time budget (limits.check), which no signal reaches here


@dataclass(frozen=True, slots=True)
class Bands:
    """Per source row i, the target nodes lo[i]..hi[i] (inclusive) the path may pass, and where the row
    starts in the flat tables."""

    lo: np.ndarray
    hi: np.ndarray
    off: np.ndarray

    @classmethod
    def of(cls, bands: list[tuple[int, int]]) -> Bands:
        lo = np.array([b[0] for b in bands], dtype=np.int64)
        hi = np.array([b[1] for b in bands], dtype=np.int64)
        off = np.zeros(len(bands) + 1, dtype=np.int64)
        np.cumsum(hi - lo + 1, out=off[1:])
        return cls(lo, hi, off)

    @property
    def cells(self) -> int:
        return int(self.off[-1])


@dataclass(slots=True)
class Tables:
    """The program's tables, flat over the band cells: the best score of any state, of state X, the bead
    that ends in M, the best state, and the back-pointers of X and Y."""

    best: np.ndarray
    x: np.ndarray
    bead: np.ndarray
    state: np.ndarray
    x_from: np.ndarray
    y_arg: np.ndarray
    y_from: np.ndarray

    @classmethod
    def empty(cls, cells: int) -> Tables:
        return cls(np.empty(cells), np.empty(cells), np.empty(cells, np.int8), np.empty(cells, np.int8),
                   np.empty(cells, np.int8), np.empty(cells, np.int32), np.empty(cells, np.int8))


def banded_dp(n: int, m: int, types: list[tuple[int, int]], gains: np.ndarray, bands: Bands,
              gap_open: float = 0.0) -> list:
    """Best monotone path from (0, 0) to (n, m) through the bands. ``gains[t, off[i] + j - lo[i]]`` is the
    gain of a bead of type ``types[t]`` = (a, b) that ends at node (i, j), starting at (i - a, j - b); read
    only where that start is a node of row i - a's band. Returns (start (i, j), bead (a, b)) in document
    order; (1, 0) and (0, 1) are unaligned sentences.

    A run of unaligned sentences after a bead costs ``gap_open`` once, then nothing per sentence: an isolated
    unaligned sentence inside a translation is then dearer than the merge it usually belongs to, while the
    untranslated half of a page costs no more than one gap. Leading gaps are free, and moving between a
    source and a target gap costs nothing."""
    ta = np.array([a for a, _ in types], dtype=np.int64)
    tb = np.array([b for _, b in types], dtype=np.int64)
    tables = Tables.empty(bands.cells)
    _first_row(bands.lo[0], bands.hi[0], tables.best, tables.x, tables.bead, tables.state, tables.x_from,
               tables.y_arg, tables.y_from)
    for i0 in range(1, n + 1, ROWS_PER_CHECK):
        check()
        _rows(i0, min(i0 + ROWS_PER_CHECK, n + 1), bands.lo, bands.hi, bands.off, ta, tb, gains,
              float(gap_open), tables.best, tables.x, tables.bead, tables.state, tables.x_from, tables.y_arg,
              tables.y_from)
    return _traceback(n, m, types, bands, tables)


@njit(cache=True, nogil=True)
def _first_row(lo, hi, best, x, bead, state, x_from, y_arg, y_from):
    """Row 0: (0, 0) is the start; the rest a free leading target gap."""
    for k in range(hi - lo + 1):
        j = lo + k
        best[k] = 0.0
        x[k] = -np.inf
        bead[k] = -1
        state[k] = M if j == 0 else Y
        x_from[k] = 0
        y_arg[k] = max(j - 1, 0)
        y_from[k] = Y


@njit(cache=True, nogil=True)
def _rows(i0, i1, lo, hi, off, ta, tb, gains, gap_open, best, x, bead, state, x_from, y_arg, y_from):
    for i in range(i0, i1):
        base, row_lo, width = off[i], lo[i], hi[i] - lo[i] + 1
        p_base, p_lo, p_hi = off[i - 1], lo[i - 1], hi[i - 1]
        run, arg = -np.inf, 0  # the running maximum of z over the row so far, and its last position
        run_from = X
        for k in range(width):
            j = row_lo + k
            # M: the best bead ending here (the first type wins a tie)
            mval, mbead = -np.inf, -1
            for t in range(len(ta)):
                a, b = ta[t], tb[t]
                if i < a or j < b:
                    continue
                r = i - a
                if j - b < lo[r] or j - b > hi[r]:
                    continue
                cand = best[off[r] + j - b - lo[r]] + np.float64(gains[t, base + k])
                if cand > mval:
                    mval, mbead = cand, t
            # X: source sentence i-1 unaligned, opening a gap after a bead or extending one
            if p_lo <= j <= p_hi:
                prev_best, prev_x = best[p_base + j - p_lo], x[p_base + j - p_lo]
                prev_state = state[p_base + j - p_lo]
                opened = prev_best - gap_open if prev_state == M else prev_best
            else:
                prev_best, prev_x, prev_state, opened = -np.inf, -np.inf, -1, -np.inf
            xval = max(opened, prev_x)
            xfrom = X if prev_x >= opened else prev_state
            if row_lo == 0 and k == 0:  # leading source gap: free
                xval, xfrom = 0.0, X
            # Y: target sentences unaligned up to here, from the best M or X earlier on this row
            if k == 0:
                yval, yarg, yfrom = -np.inf, 0, 0
            else:
                yval, yarg, yfrom = run, arg + row_lo, run_from
            z = max(mval - gap_open, xval)
            if z >= run:  # a tie moves the gap's start to the later node
                run, arg = z, k
                run_from = M if mval - gap_open >= xval else X
            s, v = M, mval  # the first of M, X, Y wins a tie
            if xval > v:
                s, v = X, xval
            if yval > v:
                s, v = Y, yval
            c = base + k
            best[c], x[c], bead[c], state[c] = v, xval, mbead, s
            x_from[c], y_arg[c], y_from[c] = xfrom, yarg, yfrom


def _traceback(n: int, m: int, types, bands: Bands, t: Tables) -> list:
    def cell(i: int, j: int) -> int:
        return int(bands.off[i] + j - bands.lo[i])

    path = []
    i, j = n, m
    state = int(t.state[cell(n, m)])
    while i > 0 or j > 0:
        c = cell(i, j)
        if state == M:
            a, b = types[t.bead[c]]
            i, j = i - a, j - b
            path.append(((i, j), (a, b)))
            state = int(t.state[cell(i, j)])
        elif state == X:
            state = int(t.x_from[c]) if j != 0 else X
            i -= 1
            path.append(((i, j), (1, 0)))
            if i == 0 and j > 0:
                state = Y
        else:
            j_star, origin = int(t.y_arg[c]), int(t.y_from[c])
            for jj in range(j - 1, j_star - 1, -1):
                path.append(((i, jj), (0, 1)))
            j = j_star
            state = origin if i > 0 else Y
            if i == 0 and j == 0:
                break
    path.reverse()
    return path
