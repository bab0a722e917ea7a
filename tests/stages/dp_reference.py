"""The alignment's dynamic program as it was in numpy (a Python loop over rows x bead types), kept as the
reference the compiled core (stages/dpcore.py) must match path for path. Unchanged but for its budget
checks, which the tests do not need."""

from dataclasses import dataclass, field

import numpy as np

# DP states: the path's last step was a bead (M), an unaligned source sentence (X) or target sentence (Y)
_M, _X, _Y = 0, 1, 2


@dataclass(slots=True)
class _Rows:
    """The dynamic program's tables, a row per source position, each over that row's band: the best score
    of any state, of state X, the bead that ends in M, the best state, and the back-pointers of X and Y."""

    best: list = field(default_factory=list)
    x: list = field(default_factory=list)
    bead: list = field(default_factory=list)
    state: list = field(default_factory=list)
    x_from: list = field(default_factory=list)
    y_arg: list = field(default_factory=list)
    y_from: list = field(default_factory=list)


def _banded_dp(n: int, m: int, types, gain_row, bands, gap_open: float = 0.0):
    """Best monotone path from (0, 0) to (n, m) through target ranges ``bands[i] = (lo, hi)`` of each
    source row i (node coordinates, inclusive, non-decreasing). Memory grows with the band widths,
    not with n * m. Returns (start (i, j), bead (a, b)) in document order; (1, 0) and (0, 1) are
    unaligned sentences.

    Gaps are affine (Gotoh): a run of unaligned sentences after a bead costs ``gap_open`` once, then
    nothing per sentence. An isolated unaligned sentence inside a translation is then dearer than the
    merge it usually belongs to, while the untranslated half of a page costs no more than one gap.
    Leading gaps are free, and moving between a source and a target gap costs nothing."""
    rows = _Rows()
    lo0, hi0 = bands[0]
    w0 = hi0 - lo0 + 1
    rows.best.append(np.zeros(w0))  # row 0: (0, 0) is the start; the rest a free leading target gap
    rows.x.append(np.full(w0, -np.inf))
    rows.bead.append(np.full(w0, -1, dtype=np.int8))
    rows.state.append(np.where(np.arange(lo0, hi0 + 1) == 0, _M, _Y).astype(np.int8))
    rows.x_from.append(np.zeros(w0, dtype=np.int8))
    rows.y_arg.append(np.maximum(np.arange(lo0, hi0 + 1) - 1, 0).astype(np.int32))
    rows.y_from.append(np.full(w0, _Y, dtype=np.int8))
    for i in range(1, n + 1):
        _next_row(rows, i, m, types, gain_row, bands, gap_open)
    return _traceback(rows, n, m, types, bands)


def _beads_ending(rows: _Rows, i: int, m: int, types, gain_row, bands) -> tuple[np.ndarray, np.ndarray]:
    """State M of row i: the best score of a bead ending at each node of the band, and which bead."""
    lo, hi = bands[i]
    width = hi - lo + 1
    mval = np.full(width, -np.inf)
    mbead = np.full(width, -1, dtype=np.int8)
    for t, (a, b) in enumerate(types):
        if i < a:
            continue
        prev = _shifted(rows.best[i - a], bands[i - a][0], lo, width, b)
        j0, j1 = max(lo - b, 0), min(hi - b, m - b) + 1
        if j1 <= j0:
            continue
        cand = prev.copy()
        cand[j0 + b - lo:j1 + b - lo] += gain_row(a, b, i - a, j0, j1)
        cand[:j0 + b - lo] = -np.inf
        cand[j1 + b - lo:] = -np.inf
        better = cand > mval
        mval[better] = cand[better]
        mbead[better] = t
    return mval, mbead


def _next_row(rows: _Rows, i: int, m: int, types, gain_row, bands, gap_open: float) -> None:
    lo, hi = bands[i]
    width = hi - lo + 1
    mval, mbead = _beads_ending(rows, i, m, types, gain_row, bands)
    # X: source sentence i-1 unaligned, opening a gap after a bead or extending one
    prev_best = _shifted(rows.best[i - 1], bands[i - 1][0], lo, width, 0)
    prev_x = _shifted(rows.x[i - 1], bands[i - 1][0], lo, width, 0)
    prev_state = _shifted(rows.state[i - 1].astype(np.float64), bands[i - 1][0], lo, width, 0)
    opened = np.where(prev_state == _M, prev_best - gap_open, prev_best)
    xval = np.maximum(opened, prev_x)
    xfrom = np.where(prev_x >= opened, _X, prev_state).astype(np.int8)
    if lo == 0:  # leading source gap: free
        xval[0], xfrom[0] = 0.0, _X
    # Y: target sentences unaligned up to here, from the best M (paying the opening) or X on this row
    z = np.maximum(mval - gap_open, xval)
    zfrom = np.where(mval - gap_open >= xval, _M, _X).astype(np.int8)
    run = np.maximum.accumulate(z)
    arg = np.maximum.accumulate(np.where(z >= run, np.arange(width), 0))
    yval = np.full(width, -np.inf)
    yval[1:] = run[:-1]
    yarg = np.zeros(width, dtype=np.int32)
    yarg[1:] = arg[:-1] + lo
    yfrom = np.zeros(width, dtype=np.int8)
    yfrom[1:] = zfrom[arg[:-1]]
    stacked = np.vstack([mval, xval, yval])
    state = np.argmax(stacked, axis=0).astype(np.int8)
    rows.best.append(stacked[state, np.arange(width)])
    rows.x.append(xval)
    rows.bead.append(mbead)
    rows.state.append(state)
    rows.x_from.append(xfrom)
    rows.y_arg.append(yarg)
    rows.y_from.append(yfrom)


def _traceback(rows: _Rows, n: int, m: int, types, bands) -> list:
    path = []
    i, j = n, m
    state = int(rows.state[n][m - bands[n][0]])
    while i > 0 or j > 0:
        k = j - bands[i][0]
        if state == _M:
            a, b = types[rows.bead[i][k]]
            i, j = i - a, j - b
            path.append(((i, j), (a, b)))
            state = int(rows.state[i][j - bands[i][0]])
        elif state == _X:
            state = int(rows.x_from[i][k]) if not (j == 0) else _X
            i -= 1
            path.append(((i, j), (1, 0)))
            if i == 0 and j > 0:
                state = _Y
        else:
            j_star, origin = int(rows.y_arg[i][k]), int(rows.y_from[i][k])
            for jj in range(j - 1, j_star - 1, -1):
                path.append(((i, jj), (0, 1)))
            j = j_star
            state = origin if i > 0 else _Y
            if i == 0 and j == 0:
                break
    path.reverse()
    return path


def _shifted(row: np.ndarray, row_lo: int, lo: int, width: int, b: int) -> np.ndarray:
    """Values of an earlier row at target nodes j - b for j in lo..lo+width-1; -inf outside its band."""
    out = np.full(width, -np.inf)
    start = lo - b - row_lo  # index into row of the first wanted node
    src0, src1 = max(start, 0), min(start + width, len(row))
    if src1 > src0:
        out[src0 - start:src1 - start] = row[src0:src1]
    return out
