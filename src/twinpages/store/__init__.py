"""The run-folder store: every path of a run folder (layout.py), the folder's contract (folder.py), the
documents and vectors shards (shards.py), the finished run's state (state.py), lookups of documents
by id or address (lookup.py), and a run folder in object storage (remote.py). Phases, `add`, `query`,
`serve` and `report` read and write a run folder through these modules only."""

from .folder import RunFolder, RunFolderError, is_run_folder, open_folder, readable
from .layout import LAYOUT, LOCK, MANIFEST, MARKER, REPORT_MARKER, Layout, digest

__all__ = ["LAYOUT", "LOCK", "MANIFEST", "MARKER", "REPORT_MARKER", "Layout", "RunFolder", "RunFolderError",
           "digest", "is_run_folder", "open_folder", "readable"]
