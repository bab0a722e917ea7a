"""Which OpenBLAS kernels faiss runs on, chosen from the processor's instruction sets.

faiss-cpu's wheel bundles OpenBLAS 0.3.15, which does not recognise recent Xeons and falls back to its
generic kernels: exact k-NN of 8,000 × 60,000 vectors took 18.7 s there against 3.1 s with the
SkylakeX kernels on the same machine, with identical results (benchmarks in BENCHMARKS.md, "Candidate
search"). OpenBLAS reads OPENBLAS_CORETYPE when its library loads, so this must run before faiss is
first imported (twinpages/__init__.py does it). A kernel is only named when the processor has every
instruction set it uses, and a value the user set is left alone.
"""

from __future__ import annotations

import os

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
