"""twinpages: find translated twins in multilingual web text."""

__version__ = "0.2.0"

from .backends.blas import choose_openblas_kernel  # noqa: E402

choose_openblas_kernel()  # before faiss loads its OpenBLAS (backends/blas.py)

from .api import MineResult, add, align_files, extract, mine  # noqa: E402
from .config import PipelineConfig  # noqa: E402
from .runners import RunnerConfig  # noqa: E402
from .stages.analyse import Analyser  # noqa: E402
from .stages.decision import Decider  # noqa: E402

__all__ = ["Analyser", "Decider", "MineResult", "PipelineConfig", "RunnerConfig", "add", "align_files", "extract",
           "mine", "__version__"]
