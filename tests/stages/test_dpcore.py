"""The compiled dynamic program (stages/dpcore.py) against the numpy one it replaced (dp_reference.py): the
same path on random inputs, ties included."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dp_reference import _banded_dp
from twinpages.stages.dpcore import Bands, banded_dp
from twinpages.stages.sentalign import _widened, bead_types


@st.composite
def programs(draw):
    n, m = draw(st.integers(1, 14)), draw(st.integers(1, 14))
    types = bead_types(draw(st.integers(1, 4)))
    if draw(st.booleans()):
        bands = [(0, m)] * (n + 1)
    else:  # a band around a random monotone path, as the guided and coarse-to-fine passes make
        lo, hi = np.full(n + 1, m), np.zeros(n + 1, dtype=np.int64)
        i = j = 0
        moves = iter(draw(st.lists(st.sampled_from([(1, 0), (0, 1), (1, 1)]), min_size=n + m, max_size=n + m)))
        while True:
            lo[i], hi[i] = min(lo[i], j), max(hi[i], j)
            if (i, j) == (n, m):
                break
            di, dj = next(moves, (1, 1))
            i, j = min(i + di, n), min(j + dj, m)
        bands = _widened(lo, hi, m, draw(st.integers(0, 3)))
    flat = Bands.of(bands)
    # gains on a coarse grid, so that ties between beads, gaps and states are frequent
    levels = draw(st.lists(st.integers(-8, 8), min_size=len(types) * flat.cells, max_size=len(types) * flat.cells))
    gains = (np.array(levels, np.float32) / 4).reshape(len(types), flat.cells)
    gap_open = draw(st.sampled_from([0.0, 0.25, 0.4, 1.0]))
    return n, m, types, bands, flat, gains, gap_open


@settings(max_examples=400, deadline=None)
@given(programs())
def test_the_compiled_program_takes_the_reference_path(program):
    n, m, types, bands, flat, gains, gap_open = program

    def gain_row(a, b, start, j0, j1):  # the reference's view of the same table
        i, t = start + a, types.index((a, b))
        at = int(flat.off[i]) + j0 + b - bands[i][0]
        return gains[t, at:at + j1 - j0]

    assert banded_dp(n, m, types, gains, flat, gap_open) == _banded_dp(n, m, types, gain_row, bands, gap_open)


def test_a_path_covers_every_sentence_once():
    rng = np.random.default_rng(3)
    n, m, types = 30, 22, bead_types(4)
    flat = Bands.of([(0, m)] * (n + 1))
    path = banded_dp(n, m, types, rng.normal(size=(len(types), flat.cells)).astype(np.float32), flat, 0.4)
    src = [i for (i, _), (a, _) in path for i in range(i, i + a)]
    tgt = [j for (_, j), (_, b) in path for j in range(j, j + b)]
    assert src == list(range(n)) and tgt == list(range(m))


@settings(max_examples=60, deadline=None)
@given(programs(), st.integers(0, 2**32 - 1))
def test_the_gains_table_holds_the_row_by_row_similarities_bit_for_bit(program, seed):
    """The table is filled by products over each row's band, as the numpy program computed them one row at a
    time: the same bits, so the compiled program sees the numbers the old one saw."""
    from twinpages.stages.sentalign import _gains, run_sizes

    n, m, types, bands, flat, _, _ = program
    rng = np.random.default_rng(seed)
    sizes = run_sizes(max(max(t) for t in types))

    def runs(count):
        return {k: rng.normal(size=(max(count - k + 1, 0), 16)).astype(np.float32) for k in sizes}

    src, tgt = runs(n), runs(m)
    src_mu = {k: rng.normal(size=len(v)).astype(np.float32) for k, v in src.items()}
    tgt_mu = {k: rng.normal(size=len(v)).astype(np.float32) for k, v in tgt.items()}
    table = _gains(n, types, flat, src, tgt, src_mu, tgt_mu, 1.3, 0.2, 0.08)
    for t, (a, b) in enumerate(types):
        for i in range(a, n + 1):
            lo, hi = bands[i]
            j0, j1 = max(lo - b, 0), hi - b + 1
            if j1 <= j0:
                continue
            sim = 1.3 * (tgt[b][j0:j1] @ src[a][i - a] - (src_mu[a][i - a] + tgt_mu[b][j0:j1]) / 2)
            row = (sim - 0.2 - 0.08 * (a + b - 2)) * ((a + b) / 2.0)
            at = int(flat.off[i]) + j0 + b - lo
            assert np.array_equal(table[t, at:at + j1 - j0], row)
