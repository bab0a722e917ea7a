"""Each extension point takes a new entry with one line in its table: a toy entry, added here, runs end to end
(README: How to add). The runs are in this process: a table changed in a test is not seen by workers."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from conftest import DE_SEED, EN_SEED, EXAMPLES
from twinpages import PipelineConfig, mine
from twinpages.data import Document
from twinpages.phases.base import Phase, save_stats
from twinpages.store import Layout


def _seed_lines(name: str) -> str:
    """A seed page as one line of text (its main text, roughly: the longer lines)."""
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    return " ".join(x for x in lines if len(x) > 60)


def read_lines_file(path: Path, doc_id: str, config):
    """A toy input format: one document per line of a `.lines` file."""
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            yield Document(id=f"{doc_id}:{k}", raw=line, source=f"{path}:{k}", lang=None)


def test_an_input_format_is_one_line_in_the_readers_table(tmp_path, monkeypatch):
    from twinpages.stages.readers import READERS, InputFormat

    monkeypatch.setitem(READERS, "lines", InputFormat("lines", (".lines",), None, False, read_lines_file))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pages.lines").write_text(_seed_lines(EN_SEED) + "\n\n" + _seed_lines(DE_SEED) + "\n",
                                                 encoding="utf-8")
    config = PipelineConfig()
    result = mine([tmp_path / "in"], tmp_path / "out", replace(config, extract=replace(config.extract, mode="none")))
    assert result.stats["documents_kept"] == 2
    pairs = [json.loads(x) for x in (tmp_path / "out" / "docpairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(p["src_id"], p["tgt_id"]) for p in pairs] == [("pages.lines:1", "pages.lines:3")]


def test_a_bitext_format_is_one_line_in_the_sinks_table(tmp_path, monkeypatch):
    from twinpages.stages.writers.sinks import SINKS, TextSink

    class Moses(TextSink):  # a toy format: "source ||| target" lines
        extension = "moses"

        def line(self, k, row) -> str:
            return f"{row.src} ||| {row.tgt}\n"

    monkeypatch.setitem(SINKS, "moses", Moses)
    config = PipelineConfig()
    config = replace(config, output=replace(config.output, formats=("tsv", "moses")))
    mine([EXAMPLES], tmp_path / "out", config)
    moses = (tmp_path / "out" / "bitext" / "en-de.moses").read_text(encoding="utf-8").splitlines()
    tsv = (tmp_path / "out" / "bitext" / "en-de.tsv").read_text(encoding="utf-8").splitlines()
    assert len(moses) == len(tsv) >= 10
    assert moses[0] == " ||| ".join(tsv[0].split("\t")[2:4])


class Repeated:
    """A toy encoder: USE-m3's vectors under another name, with its calibration declared as the protocol
    asks (what the aligner reads)."""

    name = "usem3-again"
    dim = 512
    similarity_scale = 1.0
    unrelated_cosine = 0.09
    margin_bead_cosine = 0.75

    def __init__(self, threads: int = 2):
        from twinpages.backends.encoders import USEM3

        self.inner = USEM3(threads)
        self.languages = self.inner.languages

    def encode(self, texts) -> np.ndarray:
        return self.inner.encode(texts)


def test_an_encoder_is_one_line_in_the_encoders_table(tmp_path, monkeypatch):
    from twinpages.backends import encoders

    monkeypatch.setitem(encoders._REGISTRY, "usem3-again", Repeated)
    config = PipelineConfig()
    result = mine([EXAMPLES], tmp_path / "out", replace(config, embed=replace(config.embed, encoder="usem3-again")))
    assert result.stats["encoders"] == {"usem3-again": 2} and result.stats["document_pairs"] == 1
    assert list((tmp_path / "out" / "shards" / "vectors").iterdir())[0].name == "usem3-again"


@dataclass(frozen=True, slots=True)
class CountLanguages(Phase):
    """A toy phase after the read phase: documents per language, one task, its stats file its completion mark."""

    name: ClassVar[str] = "languages counted"
    record: ClassVar[str] = "toy"

    root: str
    documents: tuple[str, ...]

    @classmethod
    def make(cls, run):
        return cls(run.root, tuple(str(run.layout.documents(s.name)) for s in run.shards))

    def stats_path(self, task) -> Path:
        return Layout(self.root).stats("toy", "languages")

    def __call__(self, task) -> dict:
        from collections import Counter

        from twinpages.store.shards import read_table

        counts = Counter(lang for p in self.documents
                         for lang in read_table(Path(p), ["lang"]).column("lang").to_pylist())
        save_stats(self.stats_path(task), dict(counts))
        return dict(counts)


def test_a_phase_is_one_class_and_one_line_in_the_phases(tmp_path, monkeypatch):
    from twinpages import corpus
    from twinpages.phases.read import Analyse

    phases = list(corpus.PHASES)
    monkeypatch.setattr(corpus, "PHASES", tuple(phases[:phases.index(Analyse) + 1] + [CountLanguages]
                                                + phases[phases.index(Analyse) + 1:]))
    mine([EXAMPLES], tmp_path / "out")
    stats = tmp_path / "out" / "shards" / "stats" / "toy" / "languages.json"
    assert json.loads(stats.read_text(encoding="utf-8")) == {"en": 1, "de": 1}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["phases"]["toy"] == [{"path": "shards/stats/toy/languages.json", "bytes": stats.stat().st_size}]
    before = stats.stat().st_mtime_ns
    result = mine([EXAMPLES], tmp_path / "out")  # done: a rerun skips it
    assert stats.stat().st_mtime_ns == before and result.stats["stage_seconds"]["languages counted"] == 0


@pytest.mark.parametrize("table", ["readers", "sinks", "encoders"])
def test_each_table_lists_what_the_flags_offer(table):
    from twinpages.backends.encoders import _REGISTRY
    from twinpages.stages.readers import FORMATS, READERS
    from twinpages.stages.writers.sinks import FORMATS as BITEXT_FORMATS
    from twinpages.stages.writers.sinks import SINKS

    if table == "readers":
        assert set(FORMATS) == set(READERS)
    elif table == "sinks":
        assert BITEXT_FORMATS == tuple(SINKS)
    else:
        from twinpages.stages.embed import EmbedConfig

        field = EmbedConfig.__dataclass_fields__["encoder"]
        assert set(field.metadata["choices"]) == {"auto", *_REGISTRY}
