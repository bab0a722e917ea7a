"""faiss's exact k-NN under each OpenBLAS kernel (backends/blas.py chooses one from the CPU's flags).

    python benchmarks/blas_kernels.py --json

One fresh process per setting (OpenBLAS reads OPENBLAS_CORETYPE when it loads): exact k-NN of 8,000
queries against 60,000 vectors (512-d, random, 2 threads), its seconds, and whether its neighbours
equal those of the default kernel; numpy's matrix product of the same arrays for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import sys, time, numpy as np
import faiss
faiss.omp_set_num_threads(2)
rng = np.random.default_rng(0)
q = rng.standard_normal((8000, 512)).astype('float32'); b = rng.standard_normal((60000, 512)).astype('float32')
t = time.perf_counter(); _, rows = faiss.knn(q, b, 4, metric=faiss.METRIC_INNER_PRODUCT); tf = time.perf_counter() - t
t = time.perf_counter(); q @ b.T; tn = time.perf_counter() - t
np.save(sys.argv[1], rows); print(tf, tn)
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    out, reference = {}, None
    with tempfile.TemporaryDirectory() as tmp:
        for kernel in (None, "Haswell", "SkylakeX"):
            env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
            if kernel:
                env["OPENBLAS_CORETYPE"] = kernel
            done = subprocess.run([sys.executable, "-c", CHILD, f"{tmp}/{kernel}.npy"], env=env, text=True,
                                  capture_output=True, check=True)
            faiss_s, numpy_s = map(float, done.stdout.split())
            import numpy as np

            rows = np.load(f"{tmp}/{kernel}.npy")
            reference = rows if reference is None else reference
            out[kernel or "default"] = {"faiss_knn_seconds": round(faiss_s, 2),
                                        "numpy_matmul_seconds": round(numpy_s, 2),
                                        "same_neighbours": bool((rows == reference).all())}
    from twinpages.backends.blas import cpu_flags, kernel_for

    out["chosen_by_twinpages"] = kernel_for(cpu_flags())
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
