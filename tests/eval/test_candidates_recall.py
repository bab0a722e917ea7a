"""`twinpages eval candidates`: its JSON line, on a DDTP subset, for both kinds of index."""

import json

import pytest

from conftest import shared_path
from twinpages.cli import main


@pytest.mark.parametrize("index", ["exact", "approx"])
def test_eval_candidates_prints_its_metrics_as_the_last_line(index, capsys, tmp_path):
    folder = shared_path("data", "docalign", "ddtp-en-fr")
    code = main(["eval", "candidates", "--docs", str(folder / "docs.jsonl.gz"), "--gold", str(folder / "gold.tsv"),
                 "--gold-pairs", "1100", "--distractors", "100", "--extract", "none", "--index", index,
                 "--cache", str(tmp_path.parent / "eval-candidates.sqlite"), "-q", "--json"])
    assert code == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["searched"] == {"en-fr": index}  # 1,100+ documents a side: enough for an approximate index
    assert metrics["gold"] == 1100 and metrics["gold_recall"] > 0.98
    # the search's own seconds (rounded to 0.1: an exact search of 1,200 documents may show 0.0) lie
    # within the time of the process that ran it
    assert 0 <= metrics["build_seconds"] + metrics["search_seconds"] <= metrics["candidate_phase_seconds"]
    assert metrics["peak_rss_mb"] > 50
    per_doc = metrics["index_bytes_per_doc"]
    # 512 float16 values a document (exact: the run's float16 vectors stored as they are; approximate: its
    # float16 copy for re-ranking), plus its id and, when approximate, its codes
    assert (1024 <= per_doc < 1100) if index == "exact" else (1024 < per_doc < 1300)
