"""What a finished run leaves for the commands that come after it (``add``, ``query``, ``serve``):
``shards/state.json``, naming its input shards, its documents' numbering, its language plan, its
candidates, the decided batches and the selected pairs. A later run that keeps these input shards as
the first of its own (``twinpages add``, or ``mine`` over the same inputs and more after them) numbers
the old documents as before, so it can reuse their work: documents, vectors, index shards, and the
decisions on candidate pairs between old documents.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..io import atomic_lines
from ..phases.plan import InputShard
from ..stages.languages import LanguagePlan
from .layout import Layout
from .shards import ShardIndex


@dataclass(frozen=True, slots=True)
class RunState:
    shards: tuple[InputShard, ...]
    index: ShardIndex
    candidates: str  # file names under shards/
    decided: tuple[str, ...]
    pairs: str
    encoders: tuple[str, ...]
    spooled: tuple[str, ...] = ()  # copies of streams read by this run or the runs it grew from
    languages: LanguagePlan | None = None  # the run's language plan (None: a run from before it was kept)

    def save(self, layout: Layout) -> Path:
        # ASCII: input paths that are not UTF-8 (surrogate escapes) survive the round trip as \udcXX escapes
        atomic_lines(layout.state, [json.dumps({
            "shards": [asdict(s) for s in self.shards],
            "index": {"names": list(self.index.names), "bases": list(self.index.bases),
                      "renamed": [list(r) for r in self.index.renamed]},
            "candidates": self.candidates, "decided": list(self.decided), "pairs": self.pairs,
            "encoders": list(self.encoders), "spooled": list(self.spooled),
            "languages": self.languages.to_dict() if self.languages else None}, indent=1) + "\n"])
        return layout.state

    @classmethod
    def load(cls, layout: Layout) -> RunState | None:
        try:
            d = json.loads(layout.state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        shards = tuple(InputShard(s["number"], tuple(tuple(f) for f in s["files"]), s["digest"], s["part"],
                                  s["parts"], s["size"]) for s in d["shards"])
        index = ShardIndex(tuple(d["index"]["names"]), tuple(d["index"]["bases"]),
                           tuple(tuple(r) for r in d["index"]["renamed"]))
        languages = LanguagePlan.from_dict(d["languages"]) if d.get("languages") else None
        return cls(shards, index, d["candidates"], tuple(d["decided"]), d["pairs"], tuple(d["encoders"]),
                   tuple(d.get("spooled", ())), languages)
