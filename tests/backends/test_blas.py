"""The OpenBLAS kernel named for faiss: only one the processor can run, and its results are right."""

import os
import subprocess
import sys

import numpy as np
import pytest

from twinpages.backends.blas import kernel_for


def test_a_kernel_is_named_only_when_every_instruction_set_it_needs_is_there():
    assert kernel_for({"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"}) == "SkylakeX"
    assert kernel_for({"avx512f", "avx2", "fma"}) == "Haswell"  # AVX-512 in part only
    assert kernel_for({"sse4_2"}) is None


def test_faiss_under_the_chosen_kernel_finds_what_numpy_finds():
    """In a fresh process (the kernel is chosen when faiss's OpenBLAS loads): exact k-NN from faiss with
    the kernel twinpages chose equals numpy's matrix product on the same vectors."""
    code = ("import twinpages, os, sys, numpy as np, faiss\n"
            "rng = np.random.default_rng(0)\n"
            "q = rng.standard_normal((300, 512)).astype('float32')\n"
            "b = rng.standard_normal((5000, 512)).astype('float32')\n"
            "sims, rows = faiss.knn(q, b, 4, metric=faiss.METRIC_INNER_PRODUCT)\n"
            "np.save(sys.argv[1], rows); np.save(sys.argv[2], sims); print(os.environ.get('OPENBLAS_CORETYPE'))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, f"{tmp}/rows.npy", f"{tmp}/sims.npy"], env=env,
                             capture_output=True, text=True, check=True)
        rows, sims = np.load(f"{tmp}/rows.npy"), np.load(f"{tmp}/sims.npy")
    rng = np.random.default_rng(0)
    q = rng.standard_normal((300, 512)).astype("float32")
    b = rng.standard_normal((5000, 512)).astype("float32")
    true = q.astype(np.float64) @ b.T.astype(np.float64)
    # the similarities it reports are the rows' true ones, and no better row was left out
    assert np.allclose(sims, np.take_along_axis(true, rows, 1), atol=1e-3), out.stdout
    assert np.all(sims[:, -1] >= np.sort(true, axis=1)[:, -4] - 1e-3), out.stdout


def test_row_dots_depend_on_the_rows_alone():
    """A stored similarity is the same bits whether its row was computed alone or in a batch of any size."""
    from twinpages.backends.blas import row_dots

    rng = np.random.default_rng(1)
    a = rng.standard_normal((5000, 512)).astype("float32")
    b = rng.standard_normal((5000, 512)).astype("float32")
    batch = row_dots(a, b)
    assert batch.dtype == np.float32 and batch.shape == (5000,)
    alone = np.array([row_dots(a[i], b[i]) for i in (0, 1, 4095, 4096, 4999)])
    assert np.array_equal(alone, batch[[0, 1, 4095, 4096, 4999]])
    assert np.array_equal(row_dots(a, b, batch=7), batch)  # the batch it is summed in does not matter either
    # and it is the float64 dot rounded once (to within one float32 step)
    exact = (a.astype(np.float64) * b.astype(np.float64)).sum(axis=1)
    assert np.allclose(batch, exact, rtol=1e-6, atol=1e-6)
    assert row_dots(a[:2, None, :], b[:2, None, :]).shape == (2, 1)
    with pytest.raises(ValueError, match="one shape"):
        row_dots(a[:2], b[:3])


def test_one_thread_limits_every_blas_and_restores_it():
    import faiss  # noqa: F401  (its OpenBLAS loaded, as in a run)
    from threadpoolctl import threadpool_info

    from twinpages.backends.blas import one_thread

    before = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    with one_thread():
        inside = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    after = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    # numpy's OpenBLAS and faiss's, the two twinpages' products run on (a BLAS loaded after the controller was
    # made, such as scipy's where the `train` extra is installed, is not twinpages' and is left alone)
    ours = {p: n for p, n in inside.items() if "numpy" in p or "faiss" in p}
    assert len(ours) == 2 and set(ours.values()) == {1}
    assert after == before
