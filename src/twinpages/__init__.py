"""twinpages: find translated twins in multilingual web text."""

__version__ = "0.1.0"

from .pipeline import MineResult, Pipeline, PipelineConfig, align_files, mine  # noqa: E402

__all__ = ["MineResult", "Pipeline", "PipelineConfig", "align_files", "mine", "__version__"]
