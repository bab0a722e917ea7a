"""BLAS: which OpenBLAS kernels run, on how many threads, and the dot products twinpages stores.

Kernels. faiss-cpu's wheel bundles OpenBLAS 0.3.15, which does not recognise recent Xeons and falls
back to its generic kernels: exact k-NN of 8,000 × 60,000 vectors took 18.7 s there against 3.1 s with
the SkylakeX kernels on the same machine, with identical results (BENCHMARKS.md, "Candidate search").
OpenBLAS reads OPENBLAS_CORETYPE when its library loads, so ``choose_openblas_kernel`` must run before
faiss is first imported (twinpages/__init__.py does it). A kernel is only named when the processor has
every instruction set it uses, and a value the user set is left alone.

Threads. A float32 matrix product's last bits depend on how OpenBLAS splits the work: on the Haswell
kernel (every AVX2 processor, AMD's included) one row of ``A @ B`` differs between 1 and 2 threads and
between a 3-row and a 400-row ``A``. So every product whose result is stored runs on **one BLAS
thread** (``one_thread``) with shapes that the run's plan fixes (a task's documents, fixed chunks of
sentences); parallelism is across tasks (worker processes) or across those fixed chunks (the
encoder's thread pool), never inside one product. The bytes then depend on the task, not on the
runner, the number of workers or the threads a worker has (BENCHMARKS.md, "Same bytes under every
runner": the encoder runs 1.4x faster this way than on two BLAS threads).

Stored similarities. Where a similarity itself is stored (the neighbours' cosines that margins are made
of), it is recomputed by ``row_dots``: float64 products summed by numpy's pairwise summation, a fixed
order in plain C, so the value depends on the two vectors alone, not on the BLAS kernel, the batch a
row was searched in, or the processor.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

# kernel -> the /proc/cpuinfo flags it needs, best first
KERNELS = (
    ("SkylakeX", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}),
    ("Haswell", {"avx2", "fma"}),
)


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> set[str]:
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def kernel_for(flags: set[str]) -> str | None:
    for name, needs in KERNELS:
        if needs <= flags:
            return name
    return None


def choose_openblas_kernel() -> str | None:
    """Set OPENBLAS_CORETYPE for this process and its children (unless set); returns the kernel in force."""
    if "OPENBLAS_CORETYPE" not in os.environ:
        kernel = kernel_for(cpu_flags())
        if kernel:
            os.environ["OPENBLAS_CORETYPE"] = kernel
    return os.environ.get("OPENBLAS_CORETYPE")


@lru_cache(maxsize=1)
def _controller():
    # scanning the loaded libraries costs milliseconds: once per process. faiss's OpenBLAS is loaded
    # first so that the controller sees it (threadpoolctl lists the libraries loaded when it is made).
    import faiss  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def one_thread():
    """Every BLAS library of the process (numpy's and faiss's OpenBLAS) on one thread inside the block,
    as it was after. Nested blocks are fine; blocks entered from several Python threads at once are
    not (the setting is the process's): enter it once, around a thread pool."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def row_dots(a: np.ndarray, b: np.ndarray, batch: int = 4096) -> np.ndarray:
    """float32 ``sum(a * b, axis=-1)`` of two arrays of the same shape (..., d), computed in float64 in a
    fixed order: the same bytes for the same rows whatever the batch, the BLAS or the processor."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"row_dots needs arrays of one shape, not {a.shape} and {b.shape}")
    flat_a, flat_b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    out = np.empty(len(flat_a), np.float32)
    for s in range(0, len(flat_a), batch):  # float64 copies of a batch only
        prod = flat_a[s:s + batch].astype(np.float64) * flat_b[s:s + batch].astype(np.float64)
        out[s:s + batch] = prod.sum(axis=1)
    return out.reshape(a.shape[:-1])
